/**
 * `npm run local` and `npm run local:down` through the CLI, command for
 * command (scripts/lib/local-stack.ts `prepareLocalStack`, scripts/local.ts,
 * scripts/local-down.ts), in a temp copy of the project that keeps
 * `stackConfigDir: stacks` and the committed stack files, with the fixed local
 * passphrase. The scripts' own paths (.local/, .state/) are constants, so the
 * scripts themselves are not called: this runs their commands against a temp
 * backend and a temp run-time config file instead.
 *
 * What it guards: the sequence works on a fresh backend, a second `up` is a
 * no-op, and no step writes (or deletes) the committed stack file. Two
 * commands differ from the scripts on purpose, because the scripts' versions
 * fail (see the comments at each): `stack output` takes no --config-file, and
 * `stack rm` needs --preserve-config.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { LOCAL_PASSPHRASE, LOCAL_STACK } from "../../infra/local/stack";
import { repairInterruptedCheckpoints } from "../../infra/local/state-repair";
import { REPO_ROOT } from "../../infra/lib/paths";
import { LOCAL_BUCKET } from "../../infra/local/services";
import {
  ensureBucket,
  createE2eProject,
  credentialUrls,
  leakedSecrets,
  rlsState,
  type CliResult,
  type E2eProject,
} from "../support/engine";
import { services } from "../support/services";
import { stacksDirStatus } from "./guard";

const STEP = { timeout: 300_000 };
const STACK_FILE = `Pulumi.${LOCAL_STACK}.yaml`;

let p: E2eProject;
let stacksBefore: string;
/** The stack file as committed; the project's stacks/ copy must stay byte-identical. */
let committed: string;
let stackFileCopy: string;
/** The run-time config (`.local/Pulumi.local.yaml` for `npm run local`). */
let runtimeConfig: string;

function target(): string[] {
  return ["-s", LOCAL_STACK, "--config-file", runtimeConfig];
}

function expectOk(result: CliResult, what: string): void {
  // stderr only: it carries the engine's error, and it is checked for secrets below.
  expect(result.code, `${what} failed:\n${result.stderr.slice(-2000)}`).toBe(0);
}

beforeAll(async () => {
  stacksBefore = stacksDirStatus();
  p = await createE2eProject("localcli", { stacksCopy: true, passphrase: LOCAL_PASSPHRASE });
  committed = readFileSync(join(REPO_ROOT, "stacks", STACK_FILE), "utf8");
  stackFileCopy = join(p.workDir, "stacks", STACK_FILE);
  runtimeConfig = join(p.root, "local-dir", STACK_FILE);
}, 300_000);

afterAll(async () => {
  await p?.dispose();
});

describe("npm run local's commands on a fresh backend", () => {
  it(
    "prepare: select --create, copy the stack file, set the secret and the endpoint",
    STEP,
    async () => {
      expectOk(
        await p.cli([
          "stack",
          "select",
          LOCAL_STACK,
          "--create",
          "--secrets-provider",
          "passphrase",
        ]),
        "stack select --create",
      );
      mkdirSync(join(p.root, "local-dir"), { recursive: true });
      copyFileSync(stackFileCopy, runtimeConfig);
      expectOk(
        await p.cli(["config", "set", "--secret", "databaseUrl", ...target()], {
          stdin: p.db.url,
          op: "config set --secret databaseUrl",
        }),
        "config set --secret",
      );
      // The local S3 server's keys, as secrets (prepareLocalStack does the same from .local/services.json).
      for (const [key, value] of [
        ["localS3AccessKeyId", services().s3.accessKeyId],
        ["localS3SecretAccessKey", services().s3.secretAccessKey],
      ] as const)
        expectOk(
          await p.cli(["config", "set", "--secret", key, ...target()], {
            stdin: value,
            op: `config set --secret ${key}`,
          }),
          `config set --secret ${key}`,
        );
      await ensureBucket(LOCAL_BUCKET);
      expectOk(
        await p.cli([
          "config",
          "set",
          "--path",
          "backup.endpoint",
          services().s3.endpoint,
          ...target(),
        ]),
        "config set --path backup.endpoint",
      );
      // Rotation needs the SaaS stand-ins, which npm run local starts; its engine cases are
      // in rotation.test.ts. Here the sequence runs without it.
      expectOk(
        await p.cli(["config", "set", "--path", "features.rotation", "false", ...target()]),
        "config set --path features.rotation false",
      );
      const runtime = parseYaml(readFileSync(runtimeConfig, "utf8")) as {
        config: Record<string, unknown>;
      };
      expect(runtime.config["runbooks:databaseUrl"]).toEqual({
        secure: expect.stringMatching(/^v1:/),
      });
      expect(runtime.config["runbooks:backup"]).toMatchObject({ endpoint: services().s3.endpoint });
      expect(readFileSync(stackFileCopy, "utf8")).toBe(committed);
    },
  );

  it("up applies RLS; a second up is a no-op; stack output works", STEP, async () => {
    expectOk(await p.cli(["up", "--yes", "--skip-preview", ...target()], { op: "up" }), "up");
    const live = await rlsState(p.db);
    for (const table of [
      "agents",
      "plans",
      "projects",
      "tenant_members",
      "tenants",
      "user_preferences",
    ])
      expect(live[table], table).toMatchObject({ enabled: true, forced: true });

    expectOk(
      await p.cli(["up", "--yes", "--skip-preview", "--expect-no-changes", ...target()], {
        op: "up --expect-no-changes",
      }),
      "second up",
    );
    // Not `...target()` as scripts/local.ts passes: `stack output` has no
    // --config-file flag ("unknown flag"), and it needs no config anyway.
    const out = await p.cli(["stack", "output", "--json", "-s", LOCAL_STACK], {
      op: "stack output",
    });
    expectOk(out, "stack output");
    const outputs = JSON.parse(out.stdout) as {
      rls?: { tables?: string[] };
      backups?: { latest?: { key?: string; sha256?: string }; stale?: boolean };
    };
    expect(outputs.rls?.tables).toHaveLength(6);
    // The local stack's BackupJob took and verified a backup, and said where.
    expect(outputs.backups?.latest?.key).toMatch(
      /^postgres\/local\/backups\/\d{8}T\d{6}Z-[0-9a-f]{6}\/manifest\.json$/,
    );
    expect(outputs.backups?.stale).toBe(false);
    expect(readFileSync(stackFileCopy, "utf8")).toBe(committed);
  });

  it("the next up removes a policy added by hand (USING (true)), and says why", STEP, async () => {
    await p.db.sql(`create policy sneaky on public.tenants for select to anon using (true)`);
    const up = await p.cli(["up", "--yes", "--skip-preview", ...target()], { op: "up" });
    expectOk(up, "up");
    expect(up.stdout).toContain(
      "rls public.tenants: live differs from the last apply: policy sneaky was added out of band (PERMISSIVE SELECT to anon). up will drop policy sneaky (not declared)",
    );
    expect((await rlsState(p.db)).tenants?.policies).toEqual(["member_read"]);
  });

  it(
    "a checkpoint interrupted by a kill (empty .attrs) fails every command; the repair npm run local runs restores it",
    STEP,
    async () => {
      const attrs = join(
        p.backendDir,
        ".pulumi",
        "stacks",
        "runbooks",
        `${LOCAL_STACK}.json.attrs`,
      );
      expect(existsSync(attrs)).toBe(true);
      // What a kill between the sidecar's truncation and its write leaves behind.
      writeFileSync(attrs, "");
      const broken = await p.cli(["stack", "export", "-s", LOCAL_STACK], { op: "stack export" });
      expect(broken.code).not.toBe(0);
      expect(broken.stderr).toContain("failed to load checkpoint: EOF");

      expect(repairInterruptedCheckpoints(p.backendDir)).toEqual([
        `.pulumi/stacks/runbooks/${LOCAL_STACK}.json.attrs`,
      ]);
      expectOk(
        await p.cli(["up", "--yes", "--skip-preview", "--expect-no-changes", ...target()], {
          op: "up --expect-no-changes",
        }),
        "up after the repair",
      );
    },
  );

  it(
    "local:down --purge: destroy, then stack rm --preserve-config, keeps the stack file",
    STEP,
    async () => {
      expectOk(
        await p.cli(["destroy", "--yes", "--skip-preview", ...target()], { op: "destroy" }),
        "destroy",
      );
      const live = await rlsState(p.db);
      expect(Object.values(live).every((t) => t.policies.length === 0)).toBe(true);
      // scripts/local-down.ts --purge runs `stack rm --yes -s local`, which also
      // deletes stackConfigDir's Pulumi.local.yaml, the committed file; only
      // --preserve-config keeps it.
      expectOk(
        await p.cli(["stack", "rm", "--yes", "--preserve-config", "-s", LOCAL_STACK], {
          op: "stack rm",
        }),
        "stack rm",
      );
      expect(existsSync(stackFileCopy), "stack rm deleted stacks/Pulumi.local.yaml").toBe(true);
      expect(readFileSync(stackFileCopy, "utf8")).toBe(committed);
    },
  );

  it("printed no secret", () => {
    const output = p.captured();
    expect(output).toMatch(/runbooks-rls-public-tenants/);
    expect(leakedSecrets(output, p.secretValues)).toEqual([]);
    expect(credentialUrls(output)).toEqual([]);
  });

  it("never touched the committed stack files", () => {
    expect(stacksDirStatus()).toBe(stacksBefore);
  });
});
