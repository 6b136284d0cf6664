/**
 * The Backups and Rotation policies, keyed on the dynamic resource types and
 * input names of policies/contracts.ts (those resources are built elsewhere;
 * the baselines here are shaped by the contract alone).
 */
import { describe, expect, it } from "vitest";
import {
  BACKUP_JOB_INPUTS,
  BACKUP_JOB_TYPE,
  ROTATED_SECRET_INPUTS,
  ROTATION_TYPE_PREFIX,
} from "../../../policies/contracts";
import { enforceBackupJobScheduleAndRetention } from "../../../policies/backups/enforce-backup-job-schedule-and-retention";
import { requireBackupJob } from "../../../policies/backups/require-backup-job";
import { RLS_TABLE_TYPE } from "../../../policies/lib/types";
import { enforceRotatedSecretMaxAge } from "../../../policies/rotation/enforce-rotated-secret-max-age";
import { requireRotatedSecretSinks } from "../../../policies/rotation/require-rotated-secret-sinks";
import {
  assertHasViolation,
  assertNoViolations,
  resource,
  violationsOf,
} from "../../support/policies";

const job = (inputs: Record<string, unknown> = {}) =>
  resource(BACKUP_JOB_TYPE, "backup-job", {
    [BACKUP_JOB_INPUTS.schedule]: "17 3 * * *",
    [BACKUP_JOB_INPUTS.retentionDays]: 14,
    ...inputs,
  });

const secret = (inputs: Record<string, unknown> = {}) =>
  resource(`${ROTATION_TYPE_PREFIX}RotatedSecret`, "rotation-app-db-login", {
    [ROTATED_SECRET_INPUTS.name]: "app-db-login",
    [ROTATED_SECRET_INPUTS.maxAgeDays]: 30.1,
    [ROTATED_SECRET_INPUTS.sinks]: [
      { kind: "vercel-env", target: "acme-app/DATABASE_URL (production)" },
    ],
    ...inputs,
  });

describe("backup jobs", () => {
  it("accept a daily job that keeps two weeks", async () => {
    await assertNoViolations(enforceBackupJobScheduleAndRetention, [job()]);
  });

  it.each([
    ["0 3 * * 1-5", "leaves up to 72 hours between backups"],
    ["0 3 */2 * *", "leaves up to 48 hours"],
    ["0 3 * 1-6 *", "between backups (limit 24)"],
    ["0 3 31 2 *", "leaves up to forever between backups"],
  ])("reject the schedule %s", async (schedule, message) => {
    await assertHasViolation(enforceBackupJobScheduleAndRetention, [job({ schedule })], message);
  });

  it("reject a schedule it cannot read, a short retention, and missing inputs", async () => {
    await assertHasViolation(
      enforceBackupJobScheduleAndRetention,
      [job({ schedule: "@daily" })],
      "cannot be read",
    );
    await assertHasViolation(
      enforceBackupJobScheduleAndRetention,
      [job({ retentionDays: 6 })],
      "keeps backups 6 days, under the minimum of 7",
    );
    await assertNoViolations(enforceBackupJobScheduleAndRetention, [job({ retentionDays: 6 })], {
      minRetentionDays: 6,
      maxIntervalHours: 24,
    });
    await assertHasViolation(
      enforceBackupJobScheduleAndRetention,
      [job({ schedule: undefined })],
      "declares no schedule",
    );
  });

  it("require a job where the stack manages a database or a backup bucket (mandatory)", async () => {
    const table = resource(RLS_TABLE_TYPE, "rls-agents", { schema: "public", table: "agents" });
    const v = await assertHasViolation(
      requireBackupJob,
      [table],
      "manages a database's row-level security but declares no backup job",
    );
    expect(v.enforcementLevel).toBe("mandatory");
    await assertNoViolations(requireBackupJob, [table, job()]);
    expect(await violationsOf(requireBackupJob, [])).toEqual([]);
  });
});

describe("rotated secrets", () => {
  it("accept a secret under the age limit with a sink", async () => {
    await assertNoViolations(enforceRotatedSecretMaxAge, [secret()]);
    await assertNoViolations(requireRotatedSecretSinks, [secret()]);
  });

  it("reject an age over the team's limit, or none", async () => {
    await assertHasViolation(
      enforceRotatedSecretMaxAge,
      [secret({ maxAgeDays: 91 })],
      "may stay valid for 91 days, over the limit of 90",
    );
    await assertHasViolation(
      enforceRotatedSecretMaxAge,
      [secret({ maxAgeDays: 31 })],
      "over the limit of 30",
      { maxAgeDays: 30 },
    );
    await assertHasViolation(
      enforceRotatedSecretMaxAge,
      [secret({ maxAgeDays: undefined })],
      "declares no maxAgeDays",
    );
  });

  it("reject a secret written nowhere", async () => {
    await assertHasViolation(
      requireRotatedSecretSinks,
      [secret({ sinks: [] })],
      "app-db-login is written to no sink",
    );
  });

  it("ignore resources outside the rotation family", async () => {
    const other = resource("pulumi-nodejs:dynamic/runbooks-other:Thing", "x", {});
    expect(await violationsOf(requireRotatedSecretSinks, [other])).toEqual([]);
  });
});
