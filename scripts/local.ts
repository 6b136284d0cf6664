/**
 * `npm run local`: the main job on the embedded default. Setup, start the
 * local services, `pulumi up --yes -s local`, then say what now exists.
 * Running it again is a no-op update.
 */
import { backupCommand } from "../infra/backups/commands";
import { resolveBackupSettings } from "../infra/backups/settings";
import { Client } from "pg";
import { runSetup } from "./setup";
import { ensureLocalServices } from "../infra/local/services";
import { describeRepair, repairInterruptedCheckpoints } from "../infra/local/state-repair";
import { STATE_DIR } from "../infra/lib/paths";
import {
  LOCAL_STACK,
  localPulumiEnv,
  localStackArgs,
  prepareLocalStack,
  runPulumi,
} from "../infra/local/stack";

// The AWS SDK's notice that Node 20 support ends in 2027 is known (README, Prerequisites). It would
// print twice in every run, once here and once from the backup provider that pulumi starts with this
// environment. Clients are created later, in main(), so this line comes first.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const log = (line: string) => console.log(`[local] ${line}`);

async function summarize(
  databaseUrl: string,
  appUrl: string,
  outputs: Record<string, unknown>,
): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{
      table: string;
      rls: boolean;
      forced: boolean;
      policies: number;
    }>(`
      select n.nspname || '.' || c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
             (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r','p') and n.nspname = 'public'
      order by 1`);
    log("what now exists:");
    if (rows.length === 0) log("  no tables in schema public");
    for (const r of rows) {
      const state = r.rls ? (r.forced ? "RLS on, forced" : "RLS on, NOT forced") : "RLS OFF";
      log(
        `  ${r.table.padEnd(28)} ${state.padEnd(20)} ${r.policies} ${r.policies === 1 ? "policy" : "policies"}`,
      );
    }
  } finally {
    await db.end();
  }
  const health = await fetch(`${appUrl}/api/health`).then(
    (r) => `${r.status}`,
    (e: Error) => `unreachable (${e.message})`,
  );
  log(`  app health ${appUrl}/api/health → ${health}`);
  const names = Object.keys(outputs);
  if (names.length > 0)
    log(
      `  stack outputs: ${names.join(", ")} (pulumi stack output -s ${LOCAL_STACK}, with PULUMI_BACKEND_URL=file://.state)`,
    );
}

async function main(): Promise<void> {
  await runSetup({ quiet: true });
  const services = await ensureLocalServices(log);
  const repaired = repairInterruptedCheckpoints(STATE_DIR);
  if (repaired.length > 0) log(describeRepair(".state/", repaired));
  const env = await localPulumiEnv();
  await prepareLocalStack(services, env);
  log(`pulumi up --yes ${localStackArgs().join(" ")}`);
  const up = await runPulumi(["up", "--yes", "--skip-preview", ...localStackArgs()], env, {
    echo: true,
  });
  if (up.code !== 0) {
    log(
      "pulumi up failed; the services are still running. Fix the error above and run `npm run local` again.",
    );
    process.exit(1);
  }
  // The BackupJob backs up BEFORE the RLS apply (that is its point); one more backup now makes the
  // latest backup hold what was just applied, so `npm run backup:verify -- -s local` proves it.
  const backup = await backupCommand(resolveBackupSettings({ stack: LOCAL_STACK }));
  for (const line of backup.lines) log(line);
  const out = await runPulumi(["stack", "output", "--json", "-s", LOCAL_STACK], env);
  const outputs = out.code === 0 ? (JSON.parse(out.stdout || "{}") as Record<string, unknown>) : {};
  await summarize(services.postgres.databaseUrl, services.app.url, outputs);
  log("done. `npm run local:down` destroys the stack and stops the services.");
}

main().catch((err: Error) => {
  console.error(`[local] ${err.message}`);
  process.exit(2);
});
