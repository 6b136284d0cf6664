/**
 * The backup commands through the runbooks dispatcher, in-process: the
 * runner's exit codes match the cores' (0 ok, 1 refused or stale, 2 could not
 * run), --json is one envelope, prune needs --dry-run or --yes, restore into
 * a non-empty target is refused without --force, and no secret is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupAgeFrom } from "../../../infra/backups/incident-source";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { dispatch } from "../../../scripts/runbooks";
import { services } from "../../support/services";
import { bucket, emptyDatabase, location, seeded, type Db } from "./helpers";

let source: Db;
let target: Db;
let prefix: string;

beforeAll(async () => {
  await bucket("runbook-commands");
  source = await seeded("bkrun");
  target = await emptyDatabase("bkrunt");
  prefix = location("runbook-commands").prefix;
});

afterAll(async () => {
  await source?.drop();
  await target?.drop();
});

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const s3 = services().s3;
  const code = await dispatch(
    [...argv, "--bucket", "runbook-commands", "--prefix", prefix, "--endpoint", s3.endpoint],
    {
      env: {
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_REGION: s3.region,
        ...env,
      },
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
    },
  );
  const all = out.join("\n") + err.join("\n");
  for (const secret of [services().s3.secretAccessKey, new URL(source.url).password])
    expect(all).not.toContain(secret);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("the backup commands through the runner", () => {
  it("backup:status exits 1 before the first backup", async () => {
    const r = await run(["backup:status"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/require-recent-backup/);
  });

  // incident's "latest backup" step, for a stack whose bucket is a stack output.
  const latestForIncident = () => {
    const s3 = services().s3;
    return backupAgeFrom(
      "staging",
      {
        RUNBOOKS_BACKUP_BUCKET: "runbook-commands",
        RUNBOOKS_BACKUP_PREFIX: prefix,
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_REGION: s3.region,
      },
      REPO_ROOT,
    ).latest();
  };

  it("incident sees no backup before the first one", async () => {
    await expect(latestForIncident()).resolves.toBeUndefined();
  });

  it("backup exits 0 with a --json envelope; status, list and incident then see it", async () => {
    const r = await run(["backup", "--json"], { DATABASE_URL: source.url });
    expect(r.code).toBe(0);
    const envelope = JSON.parse(r.stdout) as {
      command: string;
      ok: boolean;
      report: { id: string };
    };
    expect(envelope).toMatchObject({ command: "backup", ok: true });
    expect((await run(["backup:status"])).code).toBe(0);
    const list = await run(["backup:list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`* ${envelope.report.id}`);
    const latest = await latestForIncident();
    expect(latest!.location).toBe(`s3://runbook-commands/${prefix}${envelope.report.id}`);
    expect(Date.now() - Date.parse(latest!.takenAt)).toBeLessThan(5 * 60_000);
    expect(latest!.sizeBytes).toBeGreaterThan(0);
  });

  it("a backup that cannot reach its database exits 2 (could not run)", async () => {
    const wrong = source.url.replace(/:[^:@/]+@/, ":wrong-password-xyz@");
    const r = await run(["db:backup"], { DATABASE_URL: wrong });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain("wrong-password-xyz");
  });

  it("restore into a non-empty target is refused (exit 1) and --force replaces it", async () => {
    const refused = await run(["restore"], { DATABASE_URL: source.url });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/require-empty-restore-target/);
    const restored = await run(["restore"], { DATABASE_URL: target.url });
    expect(restored.code).toBe(0);
    const again = await run(["restore", "--force"], { DATABASE_URL: target.url });
    expect(again.code).toBe(0);
  });

  it("restore refuses --jobs above 1 and --from with --at as usage (exit 2)", async () => {
    expect((await run(["restore", "--jobs", "2"], { DATABASE_URL: target.url })).code).toBe(2);
    const both = await run(["restore", "--from", "x", "--at", "2026-01-01T00:00:00Z"], {
      DATABASE_URL: target.url,
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/pass --from or --at, not both/);
  });

  it("backup:prune deletes only with --yes; --dry-run keeps the only backup", async () => {
    const gated = await run(["backup:prune"]);
    expect(gated.code).toBe(2);
    expect(gated.stderr).toMatch(/--dry-run .* --yes/);
    const dry = await run(["backup:prune", "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).report.deleted).toEqual([]);
    const real = await run(["backup:prune", "--yes"]);
    expect(real.code).toBe(0);
    expect((await run(["backup:status"])).code).toBe(0);
  });
});
