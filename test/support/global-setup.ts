/**
 * Starts the real services once per test run and hands their addresses to
 * the test files through `inject("services")`: one Postgres cluster per test
 * worker (test/support/workers.ts), one S3 server and one CloudWatch for all.
 */
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../infra/local/postgres";
import { startS3 } from "../../infra/local/s3";
import { startCloudWatch } from "../../infra/local/cloudwatch";
import type { ServicesInfo } from "./services";
import { TEST_WORKERS } from "./workers";

export default async function setup(project: TestProject) {
  const started = Date.now();
  const [clusters, s3, cw] = await Promise.all([
    Promise.all(Array.from({ length: TEST_WORKERS }, () => startPostgres())),
    startS3(),
    startCloudWatch(),
  ]);
  const pg = clusters[0]!;
  const info: ServicesInfo = {
    postgres: { adminUrl: pg.adminUrl, port: pg.port, major: pg.major, external: pg.external },
    postgresByWorker: clusters.map((c) => ({
      adminUrl: c.adminUrl,
      port: c.port,
      major: c.major,
      external: c.external,
    })),
    s3: {
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      server: s3.server,
      external: s3.external,
    },
    cloudwatch: {
      endpoint: cw.endpoint,
      region: cw.region,
      accessKeyId: cw.accessKeyId,
      secretAccessKey: cw.secretAccessKey,
      external: cw.external,
    },
  };
  project.provide("services", info);
  console.log(
    `[harness] postgres ${pg.major} on 127.0.0.1:${clusters.map((c) => c.port).join(", ")}${pg.external ? " (DATABASE_URL)" : ` (one per worker)`}, ` +
      `S3 (${s3.server}) at ${s3.endpoint}${s3.external ? " (S3_ENDPOINT)" : ""}, CloudWatch (moto) at ${cw.endpoint}, ready in ${Date.now() - started} ms`,
  );
  return async () => {
    await Promise.all([...clusters.map((c) => c.stop()), s3.stop(), cw.stop()]);
  };
}
