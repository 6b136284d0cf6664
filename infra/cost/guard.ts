/**
 * cost:guard from a stack to findings: read each provider the stack budgets
 * for (in parallel, each failure kept to its own provider), then compare.
 * `cost:guard` and `incident` both run this.
 */
import { CostExplorerClient } from "@aws-sdk/client-cost-explorer";
import type { StackFileConfig } from "../config/stack-file";
import type { Finding } from "../lib/findings";
import { resolveVercelAccess } from "../vercel/api-access";
import { resolveCostExplorerAccess } from "./aws-access";
import { assessBudgets, type SpendRead } from "./assess";
import { readAwsSpend } from "./aws-costs";
import { money, type CostProvider, type ProviderSpend } from "./spend";
import { readVercelSpend, type FetchLike } from "./vercel-charges";

/** The stack has nothing to guard: no budgets (or no stack). */
export class CostInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CostInputError";
  }
}

export interface CostGuardOptions {
  stack?: StackFileConfig;
  env: NodeJS.ProcessEnv;
  root: string;
  now: number;
  /** Services and projects listed per provider. */
  top: number;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
}

export interface CostGuardReport {
  stack: string;
  spend: Partial<Record<CostProvider, SpendRead>>;
  /** Where each provider's numbers came from. */
  sources: Partial<Record<CostProvider, string>>;
}

export interface CostGuardRun {
  report: CostGuardReport;
  findings: Finding[];
  /** Credentials the caller must mask in its output. */
  secrets: string[];
}

function message(error: unknown): string {
  const e = error as { name?: string; message?: string };
  if (e?.name === "CredentialsProviderError")
    return "no AWS credentials (set AWS_PROFILE, log in with `aws sso login`, or run with a role)";
  return e?.message ?? String(error);
}

export async function runCostGuard(options: CostGuardOptions): Promise<CostGuardRun> {
  const { stack } = options;
  if (!stack)
    throw new CostInputError(
      "cost:guard compares spend with a stack's budgets: pass --stack <name> (runbooks:budgets)",
    );
  const budgets = stack.config.budgets;
  if (budgets.length === 0)
    throw new CostInputError(
      `${stack.context.stackFile} sets no runbooks:budgets; add one, e.g. {name: monthly, monthlyLimitUsd: 400, provider: aws}`,
    );
  const providers = [...new Set(budgets.map((b) => b.provider))];
  const secrets: string[] = [];
  const sources: CostGuardReport["sources"] = {};
  const read = async (provider: CostProvider): Promise<SpendRead> => {
    try {
      if (provider === "aws") {
        const access = resolveCostExplorerAccess(options);
        secrets.push(...access.secrets);
        sources.aws = access.source;
        const client = new CostExplorerClient(access.config);
        try {
          return await readAwsSpend(client, { now: options.now, top: options.top });
        } finally {
          client.destroy();
        }
      }
      const access = resolveVercelAccess(options);
      secrets.push(access.token);
      sources.vercel = access.source;
      return await readVercelSpend(access, {
        now: options.now,
        top: options.top,
        fetch: options.fetch,
        sleep: options.sleep,
      });
    } catch (error) {
      // One provider failing (no token, throttled, down) leaves the other's budgets checked.
      return { provider, error: message(error) };
    }
  };
  const reads = await Promise.all(providers.map(read));
  const spend = Object.fromEntries(reads.map((r) => [r.provider, r])) as CostGuardReport["spend"];
  return {
    report: { stack: stack.context.stack, spend, sources },
    findings: assessBudgets(budgets, spend, stack.context.stackFile),
    secrets,
  };
}

/** The header: one line per provider. */
export function renderCostHeader(report: CostGuardReport): string[] {
  const lines = [`Cost guard: stack ${report.stack}`];
  for (const [provider, read] of Object.entries(report.spend) as [CostProvider, SpendRead][]) {
    const name = provider === "aws" ? "AWS   " : "Vercel";
    if ("error" in read) {
      lines.push(`  ${name}  could not read: ${read.error}`);
      continue;
    }
    const s = read as ProviderSpend;
    const forecast = s.forecast !== undefined ? `, forecast ${money(s.forecast, s.currency)}` : "";
    lines.push(
      `  ${name}  ${money(s.toDate, s.currency)} so far (${s.period.start} to ${s.period.end})${forecast}  [${report.sources[provider]}]`,
    );
  }
  return lines;
}
