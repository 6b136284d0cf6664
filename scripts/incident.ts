/**
 * `incident` — the runbook's "Initial Response" and "Assessment" in one
 * run: every check that can run from here, in parallel, one report with a
 * suggested severity P0–P3, the escalation deadline from the stack's table,
 * and the next command for each problem. `--write` starts the incident
 * document from the post-incident review template.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { readDbStatus } from "../infra/checks/db-status";
import { assessDbStatus, DEFAULT_DB_STATUS_THRESHOLDS } from "../infra/checks/db-status-findings";
import { readPerformance } from "../infra/checks/db-performance";
import {
  assessPerformance,
  DEFAULT_PERFORMANCE_THRESHOLDS,
} from "../infra/checks/db-performance-findings";
import type { FetchLike } from "../infra/checks/health";
import { runHealthCheck } from "../infra/checks/health-run";
import { CostInputError, runCostGuard } from "../infra/cost/guard";
import { deploymentFindings, listProductionDeployments } from "../infra/deploys/deployments";
import { vercelClient } from "../infra/deploys/vercel-client";
import {
  incidentDocument,
  incidentFindings,
  renderIncident,
  type IncidentReport,
} from "../infra/incident/report";
import { suggestSeverity } from "../infra/incident/severity";
import {
  backupAgeFindings,
  incidentSourcesFor,
  missingSourceReason,
  rotationFindings,
  type IncidentSources,
} from "../infra/incident/sources";
import { runSteps, unavailable, type IncidentStep } from "../infra/incident/steps";
import type { Finding } from "../infra/lib/findings";
import { readPrismaMigrations } from "../infra/migrations/prisma-table";
import { migrationFindings } from "../infra/migrations/status";
import { closePools } from "../infra/postgres/client";
import { withReadOnlySession } from "../infra/postgres/session";
import { discoverTenantTables, runSmoke } from "../infra/rls/smoke";
import { resolveVercelAccess } from "../infra/vercel/api-access";
import { dbStatusScope } from "./db-status";
import { defineCommand, type ArgSpecs, type CommandContext } from "./lib/command";
import { startDir } from "./lib/cwd";
import { runAsMain } from "./lib/main";
import { rlsSettings } from "./lib/rls-settings";
import { smokeFindings } from "../infra/rls/smoke-findings";

const ARGS = {
  write: {
    type: "boolean",
    description:
      "also write the incident document (post-incident review template, timeline started)",
  },
  dir: {
    type: "string",
    valueHint: "dir",
    default: "incidents",
    description: "where --write puts the document",
  },
  url: {
    type: "string",
    valueHint: "url",
    description: "health URL (default: alerts.healthCheck.url of --stack)",
  },
  "step-timeout": {
    type: "number",
    valueHint: "s",
    description: "a step still running after this long could not be checked",
    default: 60,
    min: 1,
    max: 600,
    integer: true,
  },
} as const satisfies ArgSpecs;

export interface IncidentDeps {
  fetch: FetchLike;
  sleep: (ms: number) => Promise<void>;
  tlsCa: string | Buffer;
  /** What other areas provide (backups, rotation); default: this checkout's. */
  sources: IncidentSources;
  /** The directory the command was started from, for --dir. */
  cwd: string;
}

type Ctx = CommandContext<typeof ARGS, IncidentDeps>;

/** `npm run <command> -- --stack <stack>`, the way a human would type it next. */
function next(ctx: Ctx, command: string, extra = ""): string {
  const stack = ctx.stack ? ` --stack ${ctx.stack.context.stack}` : "";
  const args = `${stack}${extra ? ` ${extra}` : ""}`.trim();
  return `npm run ${command}${args ? ` -- ${args}` : ""}`;
}

const NO_DATABASE =
  'no database URL: set DATABASE_URL (for a stack: DATABASE_URL="$(pulumi config get databaseUrl -s <stack>)")';

function databaseSteps(ctx: Ctx): IncidentStep[] {
  const db = ctx.databaseIfGiven;
  const steps = {
    status: { id: "db-status" as const, title: "database status", next: next(ctx, "db:status") },
    smoke: { id: "rls-smoke" as const, title: "tenant isolation", next: next(ctx, "rls:smoke") },
    perf: {
      id: "db-performance" as const,
      title: "database performance",
      next: next(ctx, "db:performance"),
    },
  };
  if (!db) {
    const fix = "set DATABASE_URL to the database owner's connection string and run again";
    return [
      unavailable(steps.status, NO_DATABASE, fix),
      unavailable(steps.smoke, NO_DATABASE, fix),
      unavailable(steps.perf, NO_DATABASE, fix),
    ];
  }
  const session = (name: string) => ({
    connectionString: db.connectionString,
    applicationName: `runbooks:incident:${name}`,
  });
  const scope = dbStatusScope(ctx.stack);
  const rls = rlsSettings(ctx.stack);
  return [
    {
      ...steps.status,
      run: async () => {
        const snapshot = await withReadOnlySession(
          session("db-status"),
          "read the database status",
          async (c) => ({
            status: await readDbStatus(c, scope),
            migrations: await readPrismaMigrations(c),
          }),
        );
        return [
          ...assessDbStatus(snapshot.status, DEFAULT_DB_STATUS_THRESHOLDS),
          ...migrationFindings(snapshot.migrations, undefined),
        ];
      },
    },
    {
      ...steps.smoke,
      run: async (): Promise<Finding[]> => {
        const tables = ctx.stack
          ? rls.tables
          : await discoverTenantTables(db.connectionString, {
              schemas: rls.database.exposedSchemas,
              tenantColumn: "tenant_id",
              tenantClaim: "tenant_id",
            });
        if (tables.length === 0)
          return [
            {
              id: "rls-smoke",
              severity: "medium",
              subject: db.target,
              message: "no tenant tables to check: tenant isolation was not proven",
              fix: "declare tenantColumn/ownerColumn/publicRead in runbooks:rls.tables",
              couldNotCheck: true,
            },
          ];
        const report = await runSmoke({
          connectionString: db.connectionString,
          tables,
          appRole: rls.database.appRole,
        });
        return smokeFindings(report);
      },
    },
    {
      ...steps.perf,
      run: async () =>
        assessPerformance(
          await withReadOnlySession(
            session("db-performance"),
            "read the performance statistics",
            (c) => readPerformance(c, { top: 5 }),
          ),
          DEFAULT_PERFORMANCE_THRESHOLDS,
        ),
    },
  ];
}

function steps(ctx: Ctx): IncidentStep[] {
  const { stack, deps, env, root } = ctx;
  const now = ctx.now();
  const sources = deps.sources ?? incidentSourcesFor(stack, { env, root });
  const health: IncidentStep = {
    id: "health",
    title: "app health",
    next: next(ctx, "rollback", "--dry-run"),
    run: async () => {
      const run = await runHealthCheck({
        url: ctx.args.url,
        stack,
        root,
        attempts: 3,
        timeoutMs: 5000,
        slowMs: 2000,
        certificateWarnDays: 14,
        fetch: deps.fetch,
        sleep: deps.sleep,
        tlsCa: deps.tlsCa,
      });
      ctx.redactAlso(...run.secrets);
      return run.findings;
    },
  };
  const cost: IncidentStep = {
    id: "cost",
    title: "spend",
    next: next(ctx, "cost:guard"),
    run: async () => {
      try {
        const run = await runCostGuard({
          stack,
          env,
          root,
          now,
          top: 3,
          fetch: deps.fetch,
          sleep: deps.sleep,
        });
        ctx.redactAlso(...run.secrets);
        return run.findings;
      } catch (error) {
        if (!(error instanceof CostInputError)) throw error;
        return [
          {
            id: "incident-cost",
            severity: "medium",
            subject: "spend",
            message: `spend: could not check — ${error.message}`,
            fix: "add runbooks:budgets to the stack file",
            couldNotCheck: true,
          },
        ];
      }
    },
  };
  const backupsStep = {
    id: "backups" as const,
    title: "latest backup",
    next: next(ctx, "backup:status"),
  };
  const backups: IncidentStep = sources.backups
    ? {
        ...backupsStep,
        run: async () =>
          backupAgeFindings(
            await sources.backups!.latest(),
            stack?.config.backup.maxAgeHours ?? 26,
            ctx.now(),
          ),
      }
    : unavailable(
        backupsStep,
        missingSourceReason("backups", stack),
        "check the latest backup by hand (its bucket, or the backup workflow's last run)",
      );
  const rotationStep = { id: "rotation" as const, title: "key rotation", next: "npm run rotate" };
  const days = 7;
  const rotation: IncidentStep = sources.rotation
    ? {
        ...rotationStep,
        run: async () =>
          rotationFindings(
            await sources.rotation!.recent(now - days * 86_400_000),
            ctx.now(),
            days,
          ),
      }
    : unavailable(
        rotationStep,
        missingSourceReason("rotation", stack),
        "check recent credential changes by hand (Vercel and GitHub audit logs)",
      );
  const deploymentsStep = {
    id: "deployments" as const,
    title: "recent deployments",
    next: next(ctx, "rollback", "--list"),
  };
  const vercelManaged = stack?.context.stack === "local" || stack?.config.features.vercel;
  const deployments: IncidentStep = vercelManaged
    ? {
        ...deploymentsStep,
        run: async () => {
          const access = resolveVercelAccess({ stack, env, root });
          ctx.redactAlso(access.token);
          const list = await listProductionDeployments(
            vercelClient(access, { retryForMs: 10_000 }),
            access,
            10,
          );
          return deploymentFindings(list, ctx.now(), stack?.context.stack);
        },
      }
    : unavailable(
        deploymentsStep,
        stack
          ? `stack ${stack.context.stack} manages no Vercel project (runbooks:features.vercel)`
          : "no stack: pass --stack <name>",
        "look at the hosting's recent deployments by hand (vercel ls)",
      );
  return [health, ...databaseSteps(ctx), cost, backups, rotation, deployments];
}

/** incidents/2026-03-20-0312-production.md, never overwriting an earlier one. */
function documentPath(dir: string, startedAt: string, stack: string | undefined): string {
  const base = `${startedAt.slice(0, 10)}-${startedAt.slice(11, 13)}${startedAt.slice(14, 16)}-${stack ?? "incident"}`;
  let path = join(dir, `${base}.md`);
  for (let n = 2; existsSync(path); n++) path = join(dir, `${base}-${n}.md`);
  return path;
}

export const incident = defineCommand<typeof ARGS, IncidentDeps, IncidentReport>({
  name: "incident",
  description:
    "Run every initial-response check at once: one report, a suggested severity, next steps",
  help:
    "In parallel: app health, database status, tenant isolation (rls:smoke), database performance,\n" +
    "spend against budgets, the latest backup's age, recent key rotations and recent deployments.\n" +
    "Prints one report with a suggested severity (P0 site down or data at risk … P3 minor), the\n" +
    "escalation deadline from the stack's table, and the next command for each problem. A step that\n" +
    "cannot run is reported as such, never as healthy. --write starts incidents/<date>-<stack>.md.",
  shared: ["stack", "database-url", "json", "quiet"],
  optionalDatabase: true,
  args: ARGS,
  cleanup: closePools,
  async run(ctx) {
    const startedAt = new Date(ctx.now()).toISOString();
    const results = await runSteps(steps(ctx), {
      timeoutMs: ctx.args["step-timeout"] * 1000,
      now: ctx.now,
    });
    const report: IncidentReport = {
      ...(ctx.stack ? { stack: ctx.stack.context.stack } : {}),
      startedAt,
      severity: suggestSeverity(results, ctx.stack?.config.alerts, ctx.now()),
      steps: results,
    };
    const notes: string[] = [];
    if (ctx.args.write) {
      const dir = resolve(startDir(ctx.env, ctx.deps.cwd), ctx.args.dir);
      mkdirSync(dir, { recursive: true });
      const path = documentPath(dir, startedAt, report.stack);
      const command = `npm run incident -- ${ctx.stack ? `--stack ${ctx.stack.context.stack} ` : ""}--write`;
      writeFileSync(path, ctx.redact(incidentDocument(report, ctx.stack?.config.alerts, command)), {
        flag: "wx",
        mode: 0o644,
      });
      notes.push(
        `(incident document written to ${relative(startDir(ctx.env, ctx.deps.cwd), path) || path}: fill in the summary, then keep the timeline going)`,
      );
    }
    return { findings: incidentFindings(report), report, text: renderIncident(report), notes };
  },
});

runAsMain(module, incident);
