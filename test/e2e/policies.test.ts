/**
 * The policy pack through the real analyzer: `pulumi preview --policy-pack
 * policies` on the local stack, where the policy server hands the policies
 * proxied, partly unknown props (what hand-made unit-test arguments cannot
 * reproduce). Violations are read from the engine's event stream: `preview
 * --json` does not carry them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { REPO_ROOT } from "../../infra/lib/paths";
import { POLICY_PACK_NAME } from "../../policies/policies";
import { createE2eStack, type E2eStack } from "../support/engine";

const STEP = { timeout: 300_000 };
const PACK = join(REPO_ROOT, "policies");

let e: E2eStack;

type PolicyEvent = NonNullable<EngineEvent["policyEvent"]>;
const policyEvents = (events: EngineEvent[]): PolicyEvent[] =>
  events.flatMap((ev) => (ev.policyEvent ? [ev.policyEvent] : []));

beforeAll(async () => {
  e = await createE2eStack("policies");
}, 300_000);

afterAll(async () => {
  await e?.dispose();
});

describe("the policy pack under pulumi preview", () => {
  it("passes the local stack: no mandatory violation, every RLS table checked", STEP, async () => {
    const result = await e.preview({ policyPacks: [PACK] });
    const events = policyEvents(e.lastEvents());
    expect(events.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    // Nothing is reported at all: the stack declares its BackupJob, so require-backup-job (mandatory)
    // holds too. The variant below shows the pack does report when something breaks.
    expect(events.map((v) => `${v.policyPackName}/${v.policyName}/${v.enforcementLevel}`)).toEqual(
      [],
    );
    expect(result.changeSummary?.create).toBeGreaterThan(0);
    // No policy crashed on the analyzer's proxies (that would be an error, not a violation).
    expect(e.captured()).not.toMatch(/Error validating resource|can't run policy/);
  });

  it(
    "fails a variant with an open tenant table, naming the mandatory violations",
    STEP,
    async () => {
      const doc = parse(readFileSync(e.configFile, "utf8")) as { config: Record<string, unknown> };
      doc.config["runbooks:rls"] = {
        tables: [
          {
            table: "audit_log",
            tenantColumn: "tenant_id",
            force: false,
            policies: [
              { name: "open_read", command: "SELECT", roles: ["authenticated"], using: "true" },
            ],
          },
        ],
      };
      writeFileSync(e.configFile, stringify(doc));
      const failed = await e.preview({ policyPacks: [PACK] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failed, "a mandatory violation must fail the preview").toBeDefined();
      const mandatory = policyEvents(e.lastEvents()).filter(
        (v) => v.enforcementLevel === "mandatory",
      );
      const byPolicy = new Map(mandatory.map((v) => [v.policyName, v]));
      expect([...byPolicy.keys()].sort()).toEqual([
        "disallow-always-true-tenant-policies",
        "require-forced-rls-on-tenant-tables",
        "require-tenant-policies-for-allowed-commands",
      ]);
      for (const v of mandatory) {
        expect(v.policyPackName).toBe(POLICY_PACK_NAME);
        expect(v.resourceUrn).toMatch(/RlsTable::runbooks-rls-public-audit_log$/);
      }
      expect(byPolicy.get("require-forced-rls-on-tenant-tables")!.message).toContain(
        "public.audit_log is tenant-scoped by tenant_id but row-level security is not forced",
      );
      // Nothing was applied: a preview never touches the database.
      const policies = await e.db.sql(`select 1 from pg_policies where tablename = 'audit_log'`);
      expect(policies).toEqual([]);
    },
  );
});
