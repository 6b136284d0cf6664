/**
 * Backups against their baselines, all in one run on one pgbench database:
 *
 *   our backup (jobs 1)        vs  pg_dump -Fc > /dev/null      (the floor)
 *   the same, not yielding the CPU to pg_dump (as the provider runs it) vs the floor
 *   our backup (jobs 1)        vs  pg_dump > f && gzip f && upload f   (the runbook's pipeline)
 *   our backup (jobs 2)        vs  the floor
 *   peak RSS of our process    (a child process per measurement, getrusage)
 *   our restore                vs  pg_restore -d from a local file of the same dump
 *   MinIO's upload rate alone  (context: whether the S3 server limits the figures)
 *   CPU seconds the machine, our process and MinIO spend on the floor and on
 *   our backup (/proc: where the backup's extra wall time goes on 2 cores)
 *
 * Before the rounds: a CHECKPOINT and one unmeasured run of each side. Each
 * round starts with a CHECKPOINT too (the previous round's restores wrote
 * 2 GB). In each round the floor runs before our backup in odd rounds and
 * after it in even ones, and every round's own ratio is reported next to the
 * medians.
 *
 * "Our backup" is the whole thing: preflight, row counts, dump, upload, confirming
 * every object by the checksum S3 reports of it, manifest, latest.json. Its dump
 * phase is also reported alone.
 *
 *   npx tsx bench/backups/backup.ts [--scale 70] [--rounds 1]
 */
import { execFileSync, spawn } from "node:child_process";
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { Client } from "pg";
import { uploadStream } from "../../infra/backups/multipart";
import { requirePgBinary } from "../../infra/backups/pg-tools";
import { startPostgres, withDatabase } from "../../infra/local/postgres";
import { startS3 } from "../../infra/local/s3";
import { runChild } from "./run-child";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const SCALE = Number(option("scale", "70"));
const ROUNDS = Number(option("rounds", "1"));
const MIB = 1024 * 1024;

const log = (line: string) => console.log(`[bench:backups] ${line}`);

const TICK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU seconds every core of the machine has been busy (not idle, not waiting on I/O). */
function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / TICK;
}

/** CPU seconds (user + system) one process has used so far. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which may hold spaces: state is the first, utime the 12th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

function timed(
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  stdoutTo?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const out = stdoutTo === "/dev/null" ? "ignore" : "inherit";
    const child = spawn(
      "sh",
      ["-c", `"$0" "$@"${stdoutTo ? ` > '${stdoutTo}'` : ""}`, cmd, ...argv],
      {
        env,
        stdio: ["ignore", out, "inherit"],
      },
    );
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e9)
        : reject(new Error(`${cmd} exited ${code}`)),
    );
  });
}

const child = (job: unknown) => runChild<Record<string, unknown>>(job);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const work = mkdtempSync(join(tmpdir(), "bench-backups-"));
  const pg = await startPostgres();
  const s3 = await startS3();
  try {
    const pgDump = requirePgBinary("pg_dump", pg.major);
    const pgRestore = requirePgBinary("pg_restore", pg.major);
    const binDir = pgDump.path.replace(/\/pg_dump$/, "");
    const env = { ...process.env, PGPASSWORD: pg.password };
    const admin = new Client({ connectionString: pg.adminUrl });
    await admin.connect();
    await admin.query("create database bench");
    const url = withDatabase(pg.adminUrl, "bench");
    const dbArg = `postgres://${pg.user}@127.0.0.1:${pg.port}/bench`;
    log(`pgbench -i -s ${SCALE} …`);
    const initSeconds = await timed(
      join(binDir, "pgbench"),
      ["-i", "-q", "-s", String(SCALE), dbArg],
      env,
      "/dev/null",
    );
    const size = Number((await admin.query("select pg_database_size('bench') as s")).rows[0].s);
    log(
      `database: ${(size / 1e9).toFixed(2)} GB (pgbench scale ${SCALE}, init ${initSeconds.toFixed(0)} s)`,
    );

    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: "bench" }));
    const location = (prefix: string) => ({
      bucket: "bench",
      prefix,
      region: s3.region,
      endpoint: s3.endpoint,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });

    const rows: Record<string, number[]> = {
      floor: [],
      ours: [],
      oursDump: [],
      oursNoYield: [],
      runbook: [],
      jobs2: [],
      jobs2Dump: [],
      restore: [],
      pgRestore: [],
      floorMachineCpu: [],
      oursMachineCpu: [],
      oursProcessCpu: [],
      oursMinioCpu: [],
      childStartMachineCpu: [],
    };
    const rss: number[] = [];
    let dumpBytes = 0;
    let manifestKey = "";
    // The load's writes flushed, and each side run once unmeasured (caches, MinIO's first writes),
    // so round 1 measures the same machine as round 5.
    await admin.query("checkpoint");
    log("warm-up (not measured): pg_dump -Fc and our backup, once each");
    await timed(pgDump.path, ["-Fc", dbArg], env, "/dev/null");
    await child({ kind: "backup", options: { databaseUrl: url, location: location("warm-up/") } });
    // An external S3 server (S3_ENDPOINT) has no pid here: its CPU is not measured.
    const minioCpu = () => (s3.pid ? processCpuSeconds(s3.pid) : Number.NaN);
    const floorRun = async (round: number) => {
      log(`round ${round}: pg_dump -Fc > /dev/null (floor)`);
      const busy = machineBusySeconds();
      rows.floor!.push(await timed(pgDump.path, ["-Fc", dbArg], env, "/dev/null"));
      rows.floorMachineCpu!.push(machineBusySeconds() - busy);
    };
    for (let round = 1; round <= ROUNDS; round++) {
      // The previous round's two restores left about 2 GB of dirty buffers: flushed now, not by a
      // checkpoint that lands in the middle of whichever side happens to run next.
      await admin.query("checkpoint");
      // The same backup at the normal priority, as the provider and in-process callers run it.
      const noYieldRun = async () => {
        log(`round ${round}: our backup, one stream, not yielding the CPU`);
        const r = await child({
          kind: "backup",
          options: { databaseUrl: url, location: location(`r${round}-ny/`), yieldCpu: false },
        });
        rows.oursNoYield!.push(r.seconds);
      };
      // Alternate which side goes first, so neither always runs on a machine the other just warmed.
      if (round % 2 === 1) await floorRun(round);
      else await noYieldRun();
      log(`round ${round}: our backup, one stream`);
      const [busy, minio] = [machineBusySeconds(), minioCpu()];
      const ours = await child({
        kind: "backup",
        options: { databaseUrl: url, location: location(`r${round}-j1/`) },
      });
      rows.oursMachineCpu!.push(machineBusySeconds() - busy);
      rows.oursMinioCpu!.push(minioCpu() - minio);
      rows.oursProcessCpu!.push(ours.cpuSeconds);
      // The child's own start (Node, tsx, the imports) precedes its timed window but is in the
      // machine's CPU above: measured with a child that starts and does nothing.
      const idle = machineBusySeconds();
      await child({ kind: "noop" });
      rows.childStartMachineCpu!.push(machineBusySeconds() - idle);
      if (round % 2 === 0) await floorRun(round);
      else await noYieldRun();
      rows.ours!.push(ours.seconds);
      rows.oursDump!.push((ours.report.seconds as { dump: number }).dump);
      rss.push(ours.maxRssMb);
      dumpBytes = (ours.report.manifest as { size: number }).size;
      manifestKey = ours.report.manifestKey as string;
      log(`round ${round}: our backup, --jobs 2`);
      const jobs2 = await child({
        kind: "backup",
        options: { databaseUrl: url, location: location(`r${round}-j2/`), jobs: 2 },
      });
      rows.jobs2!.push(jobs2.seconds);
      rows.jobs2Dump!.push((jobs2.report.seconds as { dump: number }).dump);
      rss.push(jobs2.maxRssMb);
      log(`round ${round}: the runbook's pipeline (pg_dump > f && gzip f && upload f)`);
      const file = join(work, "dump.sql");
      const t0 = process.hrtime.bigint();
      await timed(pgDump.path, [dbArg], env, file);
      await timed("gzip", ["-f", file], env);
      await uploadStream({
        s3: client,
        location: location(`r${round}-runbook/`),
        key: `r${round}-runbook/dump.sql.gz`,
        body: createReadStream(`${file}.gz`),
        partSizeBytes: 16 * MIB,
        queueSize: 4,
      });
      rows.runbook!.push(Number(process.hrtime.bigint() - t0) / 1e9);
      rmSync(`${file}.gz`, { force: true });

      log(
        `round ${round}: restore (ours, verified while streaming) vs pg_restore -d from a local file`,
      );
      await admin.query(`create database restore_ours_${round} template template0`);
      const restored = await child({
        kind: "restore",
        options: {
          databaseUrl: withDatabase(pg.adminUrl, `restore_ours_${round}`),
          location: location(`r${round}-j1/`),
          from: manifestKey,
        },
      });
      rows.restore!.push(restored.seconds);
      rss.push(restored.maxRssMb);
      const local = join(work, "dump.custom");
      await timed(pgDump.path, ["-Fc", dbArg], env, local);
      await admin.query(`create database restore_direct_${round} template template0`);
      rows.pgRestore!.push(
        await timed(
          pgRestore.path,
          ["-d", `postgres://${pg.user}@127.0.0.1:${pg.port}/restore_direct_${round}`, local],
          env,
        ),
      );
      rmSync(local, { force: true });
      await admin.query(`drop database restore_ours_${round}`);
      await admin.query(`drop database restore_direct_${round}`);
    }

    log("MinIO upload rate alone (1 GiB of generated bytes, 16 MiB parts, 4 in flight)");
    const block = Buffer.alloc(MIB);
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent >= 1024 * MIB) return this.push(null);
        sent += MIB;
        this.push(block);
      },
    });
    const t1 = process.hrtime.bigint();
    await uploadStream({
      s3: client,
      location: location("rate/"),
      key: "rate/blob",
      body,
      partSizeBytes: 16 * MIB,
      queueSize: 4,
    });
    const minioMBps = 1024 / (Number(process.hrtime.bigint() - t1) / 1e9);
    client.destroy();
    await admin.end();

    const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)])) as Record<
      string,
      number
    >;
    const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
    // Each round's own ratio (its floor was timed just before it): how far the shared machine moves them.
    const perRound = (a: string, b: string) => rows[a]!.map((x, i) => ratio(x, rows[b]![i]!));
    const result = {
      date: new Date().toISOString(),
      machine: `${execFileSync("nproc").toString().trim()} cores`,
      postgres: pg.major,
      pgbenchScale: SCALE,
      databaseGB: Number((size / 1e9).toFixed(2)),
      dumpMB: Number((dumpBytes / 1e6).toFixed(1)),
      rounds: ROUNDS,
      seconds: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v.toFixed(2))])),
      ratios: {
        oursVsFloor: ratio(m.ours!, m.floor!),
        oursDumpPhaseVsFloor: ratio(m.oursDump!, m.floor!),
        oursNoYieldVsFloor: ratio(m.oursNoYield!, m.floor!),
        oursVsRunbookPipeline: ratio(m.ours!, m.runbook!),
        jobs2VsFloor: ratio(m.jobs2!, m.floor!),
        jobs2DumpPhaseVsFloor: ratio(m.jobs2Dump!, m.floor!),
        restoreVsPgRestore: ratio(m.restore!, m.pgRestore!),
      },
      perRoundRatios: {
        oursVsFloor: perRound("ours", "floor"),
        oursDumpPhaseVsFloor: perRound("oursDump", "floor"),
        oursNoYieldVsFloor: perRound("oursNoYield", "floor"),
        restoreVsPgRestore: perRound("restore", "pgRestore"),
      },
      peakRssMb: Number(Math.max(...rss).toFixed(0)),
      minioUploadMBps: Number(minioMBps.toFixed(0)),
    };
    mkdirSync(join(__dirname, "..", "results"), { recursive: true });
    writeFileSync(
      join(__dirname, "..", "results", "backups.json"),
      JSON.stringify(result, null, 2) + "\n",
    );
    const s = result.seconds;
    const md = `# Backups benchmark (${result.date.slice(0, 10)}, ${result.machine}, Postgres ${result.postgres})

pgbench scale ${SCALE}: ${result.databaseGB} GB database, ${result.dumpMB} MB custom-format dump; ${ROUNDS} round(s) after a warm-up, medians.

| measure | wall time | compared with | ratio | goal |
|---|---|---|---|---|
| our backup (dump, upload, stored-checksum confirm, manifest, latest) | ${s.ours} s | \`pg_dump -Fc > /dev/null\` ${s.floor} s | ${result.ratios.oursVsFloor}× | within 1.1× |
| — its dump + upload phase alone | ${s.oursDump} s | the floor | ${result.ratios.oursDumpPhaseVsFloor}× | |
| — the same backup not yielding the CPU (as the provider runs it) | ${s.oursNoYield} s | the floor | ${result.ratios.oursNoYieldVsFloor}× | |
| our backup | ${s.ours} s | \`pg_dump > f && gzip f && upload\` ${s.runbook} s | ${result.ratios.oursVsRunbookPipeline}× | faster (< 1) |
| \`--jobs 2\` | ${s.jobs2} s | the floor | ${result.ratios.jobs2VsFloor}× | say what it reaches |
| — its dump + upload phase alone | ${s.jobs2Dump} s | the floor | ${result.ratios.jobs2DumpPhaseVsFloor}× | |
| restore (verified while streaming, committed only if every byte matched) | ${s.restore} s | \`pg_restore -d\` from a local file ${s.pgRestore} s | ${result.ratios.restoreVsPgRestore}× | within 1.1× |
| peak RSS of our process (any of the above) | ${result.peakRssMb} MB | | | under 200 MB |

Each round's own ratio, in order: backup vs the floor ${result.perRoundRatios.oursVsFloor.join(", ")}; its dump + upload phase ${result.perRoundRatios.oursDumpPhaseVsFloor.join(", ")}; not yielding ${result.perRoundRatios.oursNoYieldVsFloor.join(", ")}; restore vs \`pg_restore -d\` ${result.perRoundRatios.restoreVsPgRestore.join(", ")}.

MinIO's upload rate alone: ${result.minioUploadMBps} MB/s (1 GiB, 16 MiB parts, 4 in flight).

CPU seconds (medians; the machine's busy time over all cores, from /proc/stat): the floor ${s.floorMachineCpu} s in ${s.floor} s of wall time; our backup ${s.oursMachineCpu} s in ${s.ours} s, of which our process ${s.oursProcessCpu} s, MinIO ${s.oursMinioCpu} s, and starting the child process before its timed window ${s.childStartMachineCpu} s (a child that starts and does nothing).
`;
    writeFileSync(join(__dirname, "..", "results", "backups.md"), md);
    console.log(md);
  } finally {
    await s3.stop();
    await pg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
