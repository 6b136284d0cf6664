/**
 * One backup or restore in a process of its own, so the benchmark reads this
 * process's peak RSS (getrusage) and CPU time for exactly that work. Input: JSON in
 * RUNBOOKS_BENCH (bench-local credentials only). Output: one JSON line.
 */
import { runBackup, type BackupOptions } from "../../infra/backups/backup";
import { runRestore, type RestoreOptions } from "../../infra/backups/restore";
import { closePools } from "../../infra/postgres/client";

// "noop": the same process start and imports and nothing else, for what starting a child costs.
const job = JSON.parse(process.env.RUNBOOKS_BENCH ?? "{}") as
  | { kind: "backup"; options: BackupOptions }
  | { kind: "restore"; options: RestoreOptions }
  | { kind: "noop" };

async function main() {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const report =
    job.kind === "noop"
      ? {}
      : job.kind === "backup"
        ? // As `npm run backup` runs it: the process exits after, so it may yield the CPU to pg_dump.
          await runBackup({ yieldCpu: true, ...job.options })
        : await runRestore(job.options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  await closePools();
  process.stdout.write(
    JSON.stringify({
      seconds,
      cpuSeconds,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      report,
    }) + "\n",
  );
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
