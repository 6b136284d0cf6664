/** The audit log as `incident`'s recent rotation events, on a real audit file. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readStackConfig } from "../../../infra/config/stack-file";
import {
  incidentSourcesFor,
  missingSourceReason,
  rotationFindings,
} from "../../../infra/incident/sources";
import { auditStore } from "../../../infra/rotation/audit";
import { auditLocationOf } from "../../../infra/rotation/audit-location";
import { rotationEventsFrom } from "../../../infra/rotation/incident-events";

async function log() {
  const path = join(mkdtempSync(join(tmpdir(), "incident-events-")), "audit.jsonl");
  const store = auditStore({ kind: "file", path });
  const db = { stack: "local", credential: "app-db-login", generation: 2 };
  const key = { stack: "local", credential: "service-key", generation: 4 };
  await store.append({ ...db, event: "created" });
  await store.append({ ...db, event: "verified" });
  await store.append({ ...key, event: "created" });
  await store.append({ ...key, event: "failed", detail: { step: "revoke", error: "HTTP 500" } });
  return path;
}

describe("rotation events for incident", () => {
  it("maps each entry to its step and outcome, newest window only", async () => {
    const path = await log();
    const events = await rotationEventsFrom({ kind: "file", path }).recent(0);
    expect(events.map((e) => [e.credential, e.step, e.outcome, e.detail])).toEqual([
      ["app-db-login", "created", "in-progress", undefined],
      ["app-db-login", "verified", "ok", undefined],
      ["service-key", "created", "in-progress", undefined],
      ["service-key", "revoke", "failed", "HTTP 500"],
    ]);
    const findings = rotationFindings(events, Date.now(), 7);
    expect(findings.map((f) => [f.severity, f.subject])).toEqual([["high", "service-key"]]);
    expect(await rotationEventsFrom({ kind: "file", path }).recent(Date.now() + 60_000)).toEqual(
      [],
    );
  });

  it("refuses a log whose chain does not verify", async () => {
    const path = await log();
    const lines = readFileSync(path, "utf8").split("\n");
    lines[3] = lines[3]!.replace("HTTP 500", "fine");
    writeFileSync(path, lines.join("\n"));
    await expect(rotationEventsFrom({ kind: "file", path }).recent(0)).rejects.toThrow(
      /does not verify \(line 4: entry 4 does not match its hash/,
    );
  });

  it("plugs in for a stack whose log it can find, and says why not otherwise", () => {
    const local = readStackConfig({ stack: "local" });
    expect(auditLocationOf(local)).toMatchObject({ kind: "file" });
    expect(incidentSourcesFor(local).rotation).toBeDefined();
    const production = readStackConfig({ stack: "production" });
    expect(incidentSourcesFor(production).rotation).toBeUndefined();
    expect(missingSourceReason("rotation", production)).toContain(
      "in the backup bucket the stack creates",
    );
  });
});
