/**
 * `rotate` — the runbook's "Key Rotation" and "Suspected Security Breach →
 * rotate all secrets immediately", as one `pulumi up` of the stack driven
 * through the Automation API.
 */
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { dirname } from "node:path";
import { ensureLocalServices } from "../infra/local/services";
import {
  LOCAL_CONFIG_FILE,
  LOCAL_STACK,
  localPulumiEnv,
  prepareLocalStack,
} from "../infra/local/stack";
import { describeStep, rotateStack, type StackHandle } from "../infra/rotation/command";
import { ensurePulumiCli } from "../infra/tools/pulumi-cli";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import type { Progress } from "./lib/progress";

const ARGS = {
  secret: {
    type: "string",
    valueHint: "a,b",
    description: "rotate these credentials now, whatever their age (comma-separated names)",
  },
  all: {
    type: "boolean",
    description: "rotate every credential now (staggering is skipped: you asked)",
  },
  emergency: {
    type: "boolean",
    description: "also revoke the previous credentials in this run, after the health gate",
  },
  rollback: {
    type: "string",
    valueHint: "a,b",
    description: "point these credentials' sinks back to their last known-good generation",
  },
} as const satisfies ArgSpecs;

export interface RotateDeps {
  /** The engine behind the stack; tests hand in their own. */
  openStack(stack: string, root: string, progress: Progress): Promise<StackHandle>;
}

function list(value: string | undefined, flag: string): string[] {
  if (value === undefined) return [];
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new UsageError(`--${flag} needs credential names, e.g. app-db-login`);
  return names;
}

/** The stack through the Automation API; `local` first gets its services and generated stack file. */
async function openStack(stack: string, root: string, progress: Progress): Promise<StackHandle> {
  const cli = await ensurePulumiCli({ quiet: true });
  const pulumiCommand = await PulumiCommand.get({
    root: dirname(cli.binDir),
    skipVersionCheck: true,
  });
  let envVars: Record<string, string> = {};
  const local = stack === LOCAL_STACK;
  if (local) {
    const task = progress.task("local services");
    const services = await ensureLocalServices(() => task.increment());
    const env = await localPulumiEnv();
    await prepareLocalStack(services, env);
    task.finish("local services ready");
    envVars = Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
    );
  }
  const selected = await LocalWorkspace.selectStack(
    { stackName: stack, workDir: root },
    { pulumiCommand, envVars, workDir: root },
  );
  const ws = selected.workspace as LocalWorkspace;
  return {
    up: (onEvent) =>
      selected.up({
        onEvent,
        showSecrets: false,
        color: "never",
        ...(local ? { configFile: LOCAL_CONFIG_FILE } : {}),
      }),
    setEnv: (key, value) => {
      if (value === undefined) delete ws.envVars[key];
      else ws.envVars[key] = value;
    },
  };
}

export const rotate = defineCommand<typeof ARGS, RotateDeps>({
  name: "rotate",
  description:
    "Rotate the stack's credentials: new credential, every sink, one redeploy per project, the health gate, then revocation",
  help:
    "One `pulumi up` of the stack. Without --secret or --all, rotates only what is due (age over intervalDays, a bumped epoch).\n" +
    "The credential from two rotations ago is revoked only after the health gate passes; the previous one stays valid for the overlap\n" +
    "(--emergency revokes it too, after the gate). A failed gate revokes nothing: the sinks are pointed back to the last known-good\n" +
    "credential and the command exits 1 with what to do. A re-run after a crash continues where the last run stopped.",
  shared: ["stack", "json", "quiet"],
  args: ARGS,
  async run({ args, stack, root, deps, progress, now }) {
    if (!stack) throw new UsageError("name the stack: -s <stack>");
    const secrets = list(args.secret, "secret");
    if (args.all && secrets.length > 0) throw new UsageError("use --secret or --all, not both");
    const declared = stack.config.rotation.credentials.map((c) => c.name);
    if (!stack.config.features.rotation || declared.length === 0)
      throw new UsageError(
        `stack ${stack.context.stack} rotates nothing: declare runbooks:rotation.credentials (and features.rotation) in ${stack.context.stackFile}`,
      );
    const handle = await (deps.openStack ?? openStack)(stack.context.stack, root, progress);
    let index = 0;
    const report = await rotateStack(
      {
        stack: stack.context.stack,
        rotate: args.all ? "all" : secrets,
        emergency: args.emergency,
        rollback: list(args.rollback, "rollback"),
        declared,
      },
      handle,
      // How many steps the engine will take is known only to the engine.
      (step) => progress.step(++index, undefined, describeStep(step)),
      now,
    );
    return {
      findings: report.findings,
      report,
      text: [
        `rotation of stack ${report.stack}: ${report.result}`,
        ...report.steps.filter((s) => s.status !== "started").map(describeStep),
      ],
    };
  },
});

runAsMain(module, rotate);
