/**
 * What `rls:smoke` expects, in pure functions: which probes each declared
 * table gets, what each should do, the JWT claims of each actor, seed values
 * per column type, and the printed matrix.
 *
 * Expectations come from the helpers a table declares (tenant isolation,
 * owner-only, public read), because those say what the policies mean. A table
 * with only hand-written policies has no stated meaning to check against, so
 * it is reported as skipped rather than guessed at.
 */
import type { TableSpec } from "./model";
import { RLS_BYPASSING_PRIVILEGES, type Privilege } from "./privileges";

export const SMOKE_COMMANDS = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;
export type SmokeCommand = (typeof SMOKE_COMMANDS)[number];

/** Who runs the probe: the anonymous key, two users in two tenants, the service key. */
export type Actor = "anon" | "tenant_a" | "tenant_b" | "service_role";
export const ACTORS: readonly Actor[] = ["anon", "tenant_a", "tenant_b", "service_role"];

/** Whose seeded row the probe targets (for INSERT: on whose behalf the new row is written). */
export type RowOwner = "a" | "b";

export type Outcome = "allowed" | "denied";

/**
 * `rls`: a command against a seeded row, as the matrix shows it.
 * `privilege`: a privilege RLS does not govern (TRUNCATE, TRIGGER, REFERENCES), as one API role.
 * `reference`: tenant A inserts a row whose foreign key points at tenant B's row.
 */
export type ProbeKind = "rls" | "privilege" | "reference";

export interface Probe {
  actor: Actor;
  command: SmokeCommand | Privilege;
  row: RowOwner;
  expected: Outcome;
  /** Default `rls`. */
  kind?: ProbeKind;
  /** privilege: the database role probed. */
  role?: string;
  /** reference: the foreign key used, `name → schema.table`. */
  via?: string;
}

/** Identities of the two tenants and their users, fresh per run. */
export interface SmokeIdentities {
  tenantA: string;
  tenantB: string;
  userA: string;
  userB: string;
}

/** Why a table is not smoke-tested, or undefined when it is. */
export function skipReason(spec: TableSpec): string | undefined {
  if (!spec.enabled) return "RLS is declared disabled";
  if (!spec.tenantColumn && !spec.ownerColumn && !spec.publicRead) {
    return "no tenantColumn, ownerColumn or publicRead: its policies state no isolation to check";
  }
  return undefined;
}

/** The probes for one table and what each must do. */
export function probesFor(spec: TableSpec): Probe[] {
  const isolated = spec.tenantColumn !== null || spec.ownerColumn !== null;
  const probes: Probe[] = [];
  const expect = (actor: Actor, row: RowOwner, command: SmokeCommand): Outcome => {
    if (actor === "service_role") return "allowed";
    if (command === "SELECT" && spec.publicRead) return "allowed";
    if (actor === "anon") return "denied";
    const own = (actor === "tenant_a" && row === "a") || (actor === "tenant_b" && row === "b");
    return own && isolated ? "allowed" : "denied";
  };
  const cases: [Actor, RowOwner][] = [
    ["anon", "a"],
    ["tenant_a", "a"],
    ["tenant_a", "b"],
    ["tenant_b", "b"],
    ["tenant_b", "a"],
    ["service_role", "a"],
  ];
  for (const [actor, row] of cases) {
    for (const command of SMOKE_COMMANDS)
      probes.push({ actor, command, row, expected: expect(actor, row, command) });
  }
  return probes;
}

/**
 * TRUNCATE, TRIGGER and REFERENCES must be refused to every API role: RLS
 * does not govern them, so a grant of one is a hole whatever the policies say.
 */
export function privilegeProbesFor(apiRoles: readonly string[]): Probe[] {
  return apiRoles.flatMap((role) =>
    RLS_BYPASSING_PRIVILEGES.map((command) => ({
      kind: "privilege" as const,
      // The actor only sets the JWT claims; the probe runs as `role`.
      actor: role === "anon" ? ("anon" as const) : ("tenant_a" as const),
      role,
      command,
      row: "a" as const,
      expected: "denied" as const,
    })),
  );
}

/** Tenant A writes a row of its own whose foreign key points at tenant B's row: must be refused. */
export function referenceProbe(via: string): Probe {
  return {
    kind: "reference",
    actor: "tenant_a",
    command: "INSERT",
    row: "b",
    expected: "denied",
    via,
  };
}

/** Database role each actor runs as. */
export function roleOf(actor: Actor, appRole: string): string {
  return actor === "tenant_a" || actor === "tenant_b" ? appRole : actor;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".").filter(Boolean);
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** The JWT claims PostgREST would put in `request.jwt.claims` for the actor. */
export function claimsFor(
  actor: Actor,
  spec: TableSpec,
  ids: SmokeIdentities,
  appRole: string,
): Record<string, unknown> {
  if (actor === "anon") return { role: "anon" };
  if (actor === "service_role") return { role: "service_role" };
  const mine =
    actor === "tenant_a"
      ? { tenant: ids.tenantA, user: ids.userA }
      : { tenant: ids.tenantB, user: ids.userB };
  const claims: Record<string, unknown> = { sub: mine.user, role: appRole, aud: appRole };
  setPath(claims, spec.tenantClaim ?? "tenant_id", mine.tenant);
  return claims;
}

/** Column facts the seeder needs, read from the catalog. */
export interface ColumnInfo {
  name: string;
  /** format_type(), e.g. `character varying(20)`, `uuid`, `public.status`. */
  type: string;
  /** pg_type.typcategory of the column type (of the base type for domains). */
  category: string;
  /** Base type name for domains, else the type name (`uuid`, `jsonb`, …). */
  baseType: string;
  notNull: boolean;
  /** Has a default, is an identity or a generated column. */
  hasDefault: boolean;
  /** GENERATED ALWAYS (identity or stored): cannot be written. */
  generatedAlways: boolean;
  enumLabels: string[] | null;
}

export class CannotSeedError extends Error {
  constructor(table: string, column: ColumnInfo) {
    super(
      `cannot generate a value for ${table}.${column.name} (${column.type}, NOT NULL, no default); ` +
        `give the column a default, or exclude the table from the smoke test`,
    );
    this.name = "CannotSeedError";
  }
}

/** Sources of fresh values (random in the runner, fixed in tests). */
export interface SeedRandom {
  uuid(): string;
  /** A short unique token, e.g. 8 hex characters. */
  token(): string;
  /** A small positive integer that fits int2. */
  int(): number;
}

/** A text value Postgres will cast to the column type, or undefined when we cannot make one. */
export function seedValue(column: ColumnInfo, random: SeedRandom): string | undefined {
  const base = column.baseType;
  if (column.enumLabels && column.enumLabels.length > 0) return column.enumLabels[0];
  if (base === "uuid") return random.uuid();
  if (base === "json" || base === "jsonb") return "{}";
  if (base === "bytea") return "\\x00";
  switch (column.category) {
    case "S":
      // Token first: a varchar(n) cast truncates, and what is left must stay unique.
      return `${random.token()}-smoke`;
    case "N":
      return String(random.int());
    case "B":
      return "false";
    case "D":
      return "now";
    case "T":
      return "1 day";
    case "A":
      return "{}";
    case "I":
      return "127.0.0.1";
    default:
      return undefined;
  }
}

/** The result of one probe. */
export interface ProbeResult extends Probe {
  table: string;
  actual: Outcome | "error";
  /** Rows affected, or the error Postgres gave. */
  detail: string;
  ok: boolean;
}

export interface TableReport {
  table: string;
  status: "checked" | "skipped" | "error";
  reason?: string;
  probes: ProbeResult[];
}

export interface SmokeReport {
  ok: boolean;
  tables: TableReport[];
  mismatches: ProbeResult[];
  /** Tables that could not be checked (seed failure, missing table). */
  couldNotCheck: string[];
}

const ACTOR_LABEL: Record<Actor, string> = {
  anon: "anon",
  tenant_a: "tenant A",
  tenant_b: "tenant B",
  service_role: "service_role",
};

function cell(r: ProbeResult | undefined): string {
  if (!r) return "-";
  if (r.ok) return `${r.actual} ok`;
  if (r.actual === "error") return "ERROR";
  return r.actual === "allowed" ? "allowed LEAK" : "denied BLOCKED";
}

/** The matrix people read: one block per table, one line per actor and row, one column per command. */
export function renderMatrix(report: SmokeReport): string {
  const lines: string[] = [];
  for (const t of report.tables) {
    if (t.status !== "checked") {
      lines.push(`${t.table}: ${t.status.toUpperCase()} — ${t.reason ?? ""}`, "");
      continue;
    }
    lines.push(t.table);
    lines.push(
      `  ${"actor".padEnd(14)}${"row".padEnd(6)}${SMOKE_COMMANDS.map((c) => c.padEnd(16)).join("")}`,
    );
    const matrix = t.probes.filter((p) => (p.kind ?? "rls") === "rls");
    const keys = [...new Set(matrix.map((p) => `${p.actor}|${p.row}`))];
    for (const key of keys) {
      const [actor, row] = key.split("|") as [Actor, RowOwner];
      const own = (actor === "tenant_a" && row === "a") || (actor === "tenant_b" && row === "b");
      const rowLabel =
        actor === "anon" || actor === "service_role"
          ? `A's`
          : own
            ? "own"
            : `${row.toUpperCase()}'s`;
      const cells = SMOKE_COMMANDS.map((c) =>
        cell(matrix.find((p) => p.actor === actor && p.row === row && p.command === c)).padEnd(16),
      );
      lines.push(`  ${ACTOR_LABEL[actor].padEnd(14)}${rowLabel.padEnd(6)}${cells.join("")}`);
    }
    const privileges = t.probes.filter((p) => p.kind === "privilege");
    if (privileges.length > 0)
      lines.push(
        `  privileges RLS does not govern: ${privileges.map((p) => `${p.command} as ${p.role} ${cell(p)}`).join(", ")}`,
      );
    for (const r of t.probes.filter((p) => p.kind === "reference"))
      lines.push(`  tenant A referencing B's row via ${r.via}: ${cell(r)}`);
    for (const m of t.probes.filter((p) => !p.ok)) {
      const what =
        m.kind === "privilege"
          ? `${m.command} as ${m.role}`
          : m.kind === "reference"
            ? `INSERT referencing B's row via ${m.via}`
            : `${m.command} on ${m.row === "a" ? "A" : "B"}'s row`;
      lines.push(
        `  ! ${m.kind === "privilege" ? m.role : ACTOR_LABEL[m.actor]} ${what}: expected ${m.expected}, got ${m.actual} (${m.detail})`,
      );
    }
    lines.push("");
  }
  const checked = report.tables.filter((t) => t.status === "checked").length;
  lines.push(
    report.mismatches.length > 0
      ? `FAIL: ${report.mismatches.length} probe(s) did not match the declared policies.`
      : report.couldNotCheck.length > 0
        ? `INCOMPLETE: could not check ${report.couldNotCheck.join(", ")}.`
        : `OK: ${checked} table(s), ${report.tables.reduce((n, t) => n + t.probes.length, 0)} probes, all as declared.`,
  );
  lines.push("Everything ran inside transactions that were rolled back; nothing was written.");
  return lines.map((line) => line.trimEnd()).join("\n");
}
