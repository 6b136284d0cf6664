/**
 * `npm run rotate -- -s <stack> [--secret a,b | --all] [--emergency] [--rollback a]`
 *
 * Drives one `pulumi up` of the stack through the Automation API and prints
 * each rotation step. Exit 0: rotated (or nothing due); 1: the rotation
 * failed or was rolled back; 2: could not run.
 */
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { dirname } from "node:path";
import { readStackConfig } from "../infra/config/stack-file";
import { REPO_ROOT } from "../infra/lib/paths";
import { ensureLocalServices } from "../infra/local/services";
import {
  LOCAL_CONFIG_FILE,
  LOCAL_STACK,
  localPulumiEnv,
  prepareLocalStack,
} from "../infra/local/stack";
import { describeStep, rotateStack, type StackHandle } from "../infra/rotation/command";
import { ensurePulumiCli } from "../infra/tools/pulumi-cli";
import { EXIT_OK, EXIT_PROBLEM, UsageError, run, type CommonFlags, type ExitCode } from "./lib/cli";

export const USAGE = `Usage: npm run rotate -- -s <stack> [options]

Rotates credentials of the stack: new credential, every sink (Vercel
variables, GitHub secrets), one redeploy per Vercel project, the health gate,
then revocation of the credential from two rotations ago. Without --secret or
--all, rotates only what is due (age, a bumped epoch).

Options:
  --stack <name>      the stack (also -s)
  --secret <names>    rotate these credentials now (comma-separated)
  --all               rotate every credential now (staggering is skipped: you asked)
  --emergency         also revoke the previous credentials in this run, after the gate
  --rollback <names>  point these credentials back to their last known-good generation
  --json              print the report as JSON
  --help              this text

Exit codes: 0 rotated, 1 failed or rolled back, 2 could not run.`;

function list(value: string | true | undefined): string[] {
  return typeof value === "string"
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

async function openStack(stack: string): Promise<StackHandle> {
  const cli = await ensurePulumiCli({ quiet: true });
  const pulumiCommand = await PulumiCommand.get({
    root: dirname(cli.binDir),
    skipVersionCheck: true,
  });
  let envVars: Record<string, string> = {};
  if (stack === LOCAL_STACK) {
    const services = await ensureLocalServices((line) => console.error(`[local] ${line}`));
    const env = await localPulumiEnv();
    await prepareLocalStack(services, env);
    envVars = Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
    );
  }
  const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT, pulumiCommand, envVars });
  const selected = await LocalWorkspace.selectStack(
    { stackName: stack, workDir: REPO_ROOT },
    { pulumiCommand, envVars, workDir: REPO_ROOT },
  );
  void workspace;
  const ws = selected.workspace as LocalWorkspace;
  return {
    stack: selected,
    setEnv: (key, value) => {
      if (value === undefined) delete ws.envVars[key];
      else ws.envVars[key] = value;
    },
    ...(stack === LOCAL_STACK ? { configFile: LOCAL_CONFIG_FILE } : {}),
  };
}

export async function main(
  flags: CommonFlags,
  out: (line: string) => void = console.log,
): Promise<ExitCode> {
  if (!flags.stack) throw new UsageError("name the stack: -s <stack>");
  const all = flags.options.get("all") === true;
  const secrets = list(flags.options.get("secret"));
  if (all && secrets.length > 0) throw new UsageError("use --secret or --all, not both");
  const { config } = readStackConfig({ stack: flags.stack });
  const handle = await openStack(flags.stack);
  const report = await rotateStack(
    {
      stack: flags.stack,
      rotate: all ? "all" : secrets,
      emergency: flags.options.get("emergency") === true,
      rollback: list(flags.options.get("rollback")),
      declared: config.rotation.credentials.map((c) => c.name),
    },
    handle,
    (step) => !flags.json && out(describeStep(step)),
  );
  const code = report.result === "succeeded" ? EXIT_OK : EXIT_PROBLEM;
  if (flags.json) out(JSON.stringify({ ok: code === EXIT_OK, exitCode: code, ...report }, null, 2));
  else {
    out(`rotation of stack ${report.stack}: ${report.result}`);
    for (const f of report.findings)
      out(
        `✗ [${f.severity}] ${f.subject}: ${f.message}\n  fix: ${f.fix}${f.details ? `\n  ${f.details.join("\n  ")}` : ""}`,
      );
  }
  return code;
}

/** `-s x` is the shared short form of `--stack x`. */
export function expandShortFlags(argv: readonly string[]): string[] {
  return argv.map((a) => (a === "-s" ? "--stack" : a));
}

if (require.main === module)
  void run(main, { usage: USAGE, argv: expandShortFlags(process.argv.slice(2)) });
