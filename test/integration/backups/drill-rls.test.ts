/**
 * The drill checks that row-level security survived the restore: a backup
 * taken before RLS was applied fails it (lints and smoke test on the
 * restored database), a backup taken after passes it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../../infra/backups/backup";
import { runDrill } from "../../../infra/backups/drill";
import { APP_RLS_TABLES } from "../../../infra/local/example-app/rls";
import { closePools } from "../../../infra/postgres/client";
import { declareTable } from "../../../infra/rls/model";
import {
  appDatabase,
  createTable,
  freshProvider,
  inputsFor,
  type TestDatabase,
} from "../rls/helpers";
import { services } from "../../support/services";
import { bucket, location } from "./helpers";

const tables = APP_RLS_TABLES.map((t) => declareTable(t, { appRole: "authenticated" }));
const rls = {
  tables,
  settings: {
    exposedSchemas: ["public"],
    appRole: "authenticated",
    bypassRlsAllowed: ["service_role"],
  },
};
let db: TestDatabase;

beforeAll(async () => {
  await bucket("drill-rls");
  db = await appDatabase("bkdrill");
});

afterAll(async () => {
  await db?.drop();
  await closePools();
});

describe("the drill's RLS checks", () => {
  it("fail on a backup taken before RLS was applied", async () => {
    const loc = location("drill-rls");
    await runBackup({ databaseUrl: db.url, location: loc });
    const report = await runDrill({
      scratchServerUrl: services().postgres.adminUrl,
      location: loc,
      rls,
    });
    expect(report.passed).toBe(false);
    expect(report.restore!.tables.every((t) => t.matches)).toBe(true);
    const ids = new Set(report.findings.map((f) => f.id));
    expect(ids).toContain("require-rls-on-exposed-tables");
    expect(ids).toContain("require-rls-isolation-after-restore");
  });

  it("pass on a backup taken after it was applied", async () => {
    const provider = freshProvider();
    for (const spec of tables) await createTable(provider, inputsFor(spec, db.url));
    const loc = location("drill-rls");
    await runBackup({ databaseUrl: db.url, location: loc });
    const report = await runDrill({
      scratchServerUrl: services().postgres.adminUrl,
      location: loc,
      rls,
    });
    expect(report.findings).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.rls).toEqual({ lintFindings: 0, smokeMismatches: 0 });
  });
});
