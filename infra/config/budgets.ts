/** `runbooks:budgets`: monthly AWS cost budgets and when they notify. */
import { z } from "zod";
import { parseWith, type ConfigContext } from "./errors";

export const budgetSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "must be letters, digits, '_' or '-'"),
    /**
     * Whose spend: `aws` (an AWS Budget is created, and `cost:guard` reads Cost
     * Explorer) or `vercel` (`cost:guard` reads the team's billing charges; the
     * budget itself lives in Vercel's Spend Management).
     */
    provider: z.enum(["aws", "vercel"]).default("aws"),
    /** Monthly limit in USD. */
    monthlyLimitUsd: z.number().positive(),
    /** Notification thresholds in percent of the limit. */
    thresholds: z
      .array(
        z
          .object({
            percent: z.number().positive().max(1000),
            type: z.enum(["ACTUAL", "FORECASTED"]),
          })
          .strict(),
      )
      .min(1)
      .default([
        { percent: 80, type: "ACTUAL" },
        { percent: 100, type: "ACTUAL" },
        { percent: 100, type: "FORECASTED" },
      ]),
  })
  .strict();

export const budgetsSchema = z.array(budgetSchema).default([]);

export type BudgetConfig = z.infer<typeof budgetSchema>;

/** Validate `runbooks:budgets` alone (absent: none). Throws `ConfigError`. */
export function parseBudgets(raw: unknown, context: ConfigContext): BudgetConfig[] {
  return parseWith(budgetsSchema, raw, context, ["budgets"]);
}
