/**
 * Drives the `local` stack through the Pulumi CLI: a file backend in .state/,
 * the passphrase secrets provider with the fixed local passphrase, and a
 * generated copy of stacks/Pulumi.local.yaml under .local/ that adds what is
 * only known at run time (service addresses, the generated database password,
 * encrypted). The committed stack file is never rewritten.
 *
 * The engine does not tell the program which file `--config-file` named, so
 * every command here also gets it in the environment (`localConfigFileEnv`),
 * and a config error names the generated file and the committed one to edit.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_FILE_ENV, CONFIG_SOURCE_ENV } from "../config/errors";
import { ensurePulumiCli, pulumiEnv } from "../tools/pulumi-cli";
import type { LocalServices } from "./services";
import { localRotationSettings } from "./saas";
import { LOCAL_DIR, REPO_ROOT, STATE_DIR } from "../lib/paths";

export const LOCAL_STACK = "local";
/** Public on purpose: it protects only throwaway, per-machine credentials. */
export const LOCAL_PASSPHRASE = "runbooks-local-only";
export const LOCAL_CONFIG_FILE = join(LOCAL_DIR, `Pulumi.${LOCAL_STACK}.yaml`);

export interface PulumiRunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What tells the program that `configFile` was passed with `--config-file`, generated from `sourceFile`. */
export function localConfigFileEnv(configFile: string, sourceFile: string): Record<string, string> {
  return { [CONFIG_FILE_ENV]: configFile, [CONFIG_SOURCE_ENV]: sourceFile };
}

export async function localPulumiEnv(): Promise<NodeJS.ProcessEnv> {
  await ensurePulumiCli({ quiet: true });
  mkdirSync(STATE_DIR, { recursive: true });
  return pulumiEnv({
    ...process.env,
    PULUMI_BACKEND_URL: `file://${STATE_DIR}`,
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? LOCAL_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "1",
    ...localConfigFileEnv(
      LOCAL_CONFIG_FILE,
      join(REPO_ROOT, "stacks", `Pulumi.${LOCAL_STACK}.yaml`),
    ),
  });
}

/** Run the CLI in the repository; `stdin` feeds secrets without putting them in argv. */
export function runPulumi(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { stdin?: string; echo?: boolean } = {},
): Promise<PulumiRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, { cwd: REPO_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

async function mustRun(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { stdin?: string; echo?: boolean } = {},
): Promise<PulumiRunResult> {
  const result = await runPulumi(args, env, options);
  if (result.code !== 0) {
    // Secrets reach the CLI on stdin, so the arguments are safe to show.
    throw new Error(
      `pulumi ${args.join(" ")} failed (exit ${result.code}):\n${result.stderr.trim() || result.stdout.trim().split("\n").slice(-20).join("\n")}`,
    );
  }
  return result;
}

/** Make sure the stack exists in the local backend and write the run-time config file. */
export async function prepareLocalStack(
  services: LocalServices,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  await mustRun(
    ["stack", "select", LOCAL_STACK, "--create", "--secrets-provider", "passphrase"],
    env,
  );
  mkdirSync(LOCAL_DIR, { recursive: true });
  copyFileSync(join(REPO_ROOT, "stacks", `Pulumi.${LOCAL_STACK}.yaml`), LOCAL_CONFIG_FILE);
  const target = ["-s", LOCAL_STACK, "--config-file", LOCAL_CONFIG_FILE];
  await mustRun(["config", "set", "--secret", "databaseUrl", ...target], env, {
    stdin: services.postgres.databaseUrl,
  });
  for (const [key, value] of [
    ["localS3AccessKeyId", services.s3.accessKeyId],
    ["localS3SecretAccessKey", services.s3.secretAccessKey],
  ] as const)
    await mustRun(["config", "set", "--secret", key, ...target], env, { stdin: value });
  await mustRun(
    ["config", "set", "--path", "backup.endpoint", services.s3.endpoint, ...target],
    env,
  );
  if (services.saas) {
    const settings = localRotationSettings(services.saas);
    for (const [path, value] of settings.plain)
      await mustRun(["config", "set", "--path", path, value, ...target], env);
    for (const [key, value] of settings.secrets)
      await mustRun(["config", "set", "--secret", key, ...target], env, { stdin: value });
  }
}

export function localStackArgs(): string[] {
  return ["-s", LOCAL_STACK, "--config-file", LOCAL_CONFIG_FILE];
}
