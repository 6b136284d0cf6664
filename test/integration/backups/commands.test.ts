/**
 * The commands' cores and one script end to end: exit codes (0 fresh, 1
 * stale or missing, 2 could not check), the one finding shape, --json, and
 * no secret in any output.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  backupCommand,
  listCommand,
  pruneCommand,
  restoreCommand,
  statusCommand,
  verifyCommand,
} from "../../../infra/backups/commands";
import type { BackupSettings } from "../../../infra/backups/settings";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { services } from "../../support/services";
import { bucket, location, metricTarget, seeded, type Db } from "./helpers";

let source: Db;
let settings: BackupSettings;

beforeAll(async () => {
  await bucket("commands");
  source = await seeded("bkcmd");
  settings = {
    stack: "cmdtest",
    location: location("commands"),
    databaseUrl: source.url,
    scratchServerUrl: services().postgres.adminUrl,
    maxAgeHours: 26,
    retention: { daily: 7, weekly: 4, monthly: 6, incompleteGraceHours: 24 },
    jobs: 1,
    lockWaitTimeoutSeconds: 30,
    exactCountMaxRows: 1_000_000,
    metric: metricTarget("cmdtest"),
  };
});

afterAll(async () => {
  await source?.drop();
});

const secrets = () => [
  new URL(source.url).password,
  decodeURIComponent(new URL(source.url).password),
  services().s3.secretAccessKey,
];

describe("the backup commands", () => {
  it("backup:status says 'no backup' (exit 1) before the first backup", async () => {
    const status = await statusCommand(settings);
    expect(status.exitCode).toBe(1);
    expect(status.findings).toEqual([
      expect.objectContaining({
        id: "require-recent-backup",
        severity: "critical",
        fix: expect.stringContaining("npm run backup"),
      }),
    ]);
  });

  it("backup takes a verified backup (exit 0); status, list and verify see it", async () => {
    const backup = await backupCommand(settings);
    expect(backup.exitCode).toBe(0);
    expect(backup.findings[0]).toMatchObject({ id: "require-verified-backup", severity: "info" });
    expect((await statusCommand(settings)).exitCode).toBe(0);
    const list = await listCommand(settings);
    expect(list.report?.backups).toEqual([
      expect.objectContaining({ id: backup.report!.id, latest: true }),
    ]);
    const verify = await verifyCommand(settings, {});
    expect(verify.exitCode).toBe(0);
    expect(verify.lines[0]).toMatch(/^PASS restore drill/);
    const all = JSON.stringify([backup, list, verify]);
    for (const s of secrets()) expect(all).not.toContain(s);
  });

  it("backup:status exits 1 once the latest backup is older than maxAgeHours", async () => {
    const later = new Date(Date.now() + 27 * 3_600_000);
    const status = await statusCommand(settings, { clock: () => later });
    expect(status.exitCode).toBe(1);
    expect(status.findings[0]).toMatchObject({
      severity: "high",
      message: expect.stringMatching(/older than maxAgeHours 26/),
    });
  });

  it("restore into a non-empty target is refused (exit 1) with what would be dropped", async () => {
    const result = await restoreCommand(settings, { force: false });
    expect(result.exitCode).toBe(1);
    expect(result.findings[0]).toMatchObject({
      id: "require-empty-restore-target",
      details: expect.arrayContaining(["public.notes (500 rows)"]),
    });
  });

  it("prune --dry-run keeps the only backup", async () => {
    const result = await pruneCommand(settings, { dryRun: true });
    expect(result.exitCode).toBe(0);
    expect(result.report?.deleted).toEqual([]);
  });

  it("a failed backup is exit 2 with a finding and a fix, and no secret", async () => {
    const result = await backupCommand({
      ...settings,
      databaseUrl: source.url.replace(/:[^:@/]+@/, ":wrong-password-xyz@"),
    });
    expect(result.exitCode).toBe(2);
    expect(result.findings[0]).toMatchObject({
      id: "require-reachable-database",
      severity: "critical",
    });
    expect(JSON.stringify(result)).not.toContain("wrong-password-xyz");
  });
});

describe("npm run backup:status (the script)", () => {
  const s3 = () => services().s3;
  const run = (args: string[]) =>
    spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
        join(REPO_ROOT, "scripts", "backup-status.ts"),
        ...args,
      ],
      {
        encoding: "utf8",
        env: {
          ...process.env,
          S3_ACCESS_KEY_ID: s3().accessKeyId,
          S3_SECRET_ACCESS_KEY: s3().secretAccessKey,
          S3_ENDPOINT: s3().endpoint,
        },
        timeout: 60_000,
      },
    );

  it("prints the envelope with --json and exits 0 for a fresh backup", () => {
    const out = run(["--bucket", "commands", "--prefix", settings.location.prefix, "--json"]);
    expect(out.status).toBe(0);
    const parsed = JSON.parse(out.stdout) as {
      ok: boolean;
      exitCode: number;
      findings: unknown[];
      report: { latest: { id: string } };
    };
    expect(parsed).toMatchObject({ ok: true, exitCode: 0 });
    expect(parsed.report.latest.id).toMatch(/^\d{8}T\d{6}Z-/);
    expect(out.stdout + out.stderr).not.toContain(s3().secretAccessKey);
  });

  it("exits 2 naming a missing bucket", () => {
    const out = run(["--bucket", "no-such-bucket-cmd", "--prefix", "x/"]);
    expect(out.status).toBe(2);
    expect(out.stdout + out.stderr).toMatch(/the bucket .no-such-bucket-cmd. does not exist/);
  });

  it("rejects an unknown flag as usage (exit 2)", () => {
    const out = run(["--nope"]);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/unknown flag --nope/);
  });
});
