/**
 * Peak RSS of our backup process against the size of an incompressible dump:
 * memory must stay flat (part buffers have a budget) however large the data.
 *
 *   npx tsx bench/backups/rss.ts [--mb 128,512]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { Client } from "pg";
import { startPostgres, withDatabase } from "../../infra/local/postgres";
import { startS3 } from "../../infra/local/s3";
import { runChild } from "./run-child";

const i = process.argv.indexOf("--mb");
const SIZES = (i >= 0 ? process.argv[i + 1]! : "128,512").split(",").map(Number);

const child = (job: unknown) => runChild<{ manifest: { size: number } }>(job);

async function main() {
  const pg = await startPostgres();
  const s3 = await startS3();
  try {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: "rss" }));
    client.destroy();
    const admin = new Client({ connectionString: pg.adminUrl });
    await admin.connect();
    const rows: { dumpMB: number; maxRssMb: number; seconds: number }[] = [];
    for (const mb of SIZES) {
      const db = `rss_${mb}`;
      await admin.query(`create database ${db}`);
      const c = new Client({ connectionString: withDatabase(pg.adminUrl, db) });
      await c.connect();
      // 1 MiB of md5-derived bytes per row: the dump cannot compress it.
      await c.query(
        `create table blobs as select g as id, decode(string_agg(md5(g::text || ':' || k::text), ''), 'hex') as b
           from generate_series(1, ${mb}) g, generate_series(1, 65536) k group by g`,
      );
      await c.end();
      const run = await child({
        kind: "backup",
        options: {
          databaseUrl: withDatabase(pg.adminUrl, db),
          location: {
            bucket: "rss",
            prefix: `${db}/`,
            region: s3.region,
            endpoint: s3.endpoint,
            credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
          },
        },
      });
      rows.push({
        dumpMB: Math.round(run.report.manifest.size / 1e6),
        maxRssMb: Math.round(run.maxRssMb),
        seconds: Number(run.seconds.toFixed(1)),
      });
      console.log(`[bench:rss] ${JSON.stringify(rows.at(-1))}`);
      await admin.query(`drop database ${db}`);
    }
    await admin.end();
    mkdirSync(join(__dirname, "..", "results"), { recursive: true });
    writeFileSync(
      join(__dirname, "..", "results", "backups-rss.json"),
      JSON.stringify({ date: new Date().toISOString(), runs: rows }, null, 2) + "\n",
    );
  } finally {
    await s3.stop();
    await pg.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
