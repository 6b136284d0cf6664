/** `cost:guard` — spend so far and forecast, from AWS Cost Explorer and Vercel's billing, against the stack's budgets. */
import {
  CostInputError,
  renderCostHeader,
  runCostGuard,
  type CostGuardReport,
} from "../infra/cost/guard";
import type { FetchLike } from "../infra/cost/vercel-charges";
import { LocalServicesError } from "../infra/local/endpoints";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";

const ARGS = {
  top: {
    type: "number",
    valueHint: "n",
    description: "services and projects listed per provider",
    default: 5,
    min: 1,
    max: 50,
    integer: true,
  },
} as const satisfies ArgSpecs;

export interface CostGuardDeps {
  /** Vercel's billing endpoint is plain HTTP (the SDK has no method for it). */
  fetch: FetchLike;
  sleep: (ms: number) => Promise<void>;
}

export const costGuard = defineCommand<typeof ARGS, CostGuardDeps, CostGuardReport>({
  name: "cost:guard",
  description: "Spend so far and forecast (AWS, Vercel) against the stack's budgets",
  help:
    "Reads month-to-date spend and the forecast from AWS Cost Explorer (GetCostAndUsage,\n" +
    "GetCostForecast) and the current billing cycle from Vercel's FOCUS charges, lists the top\n" +
    "services and projects, and compares each with runbooks:budgets of --stack (provider aws or\n" +
    "vercel, ACTUAL and FORECASTED thresholds). Exit 1 past any threshold. The end of a Vercel\n" +
    "billing cycle is not an overspend: the closed cycle's late rows are left out of the new one.\n" +
    "Credentials: the AWS credential chain; VERCEL_TOKEN. The local stack uses the stand-ins\n" +
    "started by `npm run local`.",
  shared: ["stack", "json", "quiet"],
  args: ARGS,
  async run({ args, stack, env, root, deps, now, redactAlso }) {
    try {
      const { report, findings, secrets } = await runCostGuard({
        stack,
        env,
        root,
        now: now(),
        top: args.top,
        fetch: deps.fetch,
        sleep: deps.sleep,
      });
      redactAlso(...secrets);
      return { findings, report, text: renderCostHeader(report) };
    } catch (error) {
      if (error instanceof CostInputError || error instanceof LocalServicesError)
        throw new UsageError(error.message);
      throw error;
    }
  },
});

runAsMain(module, costGuard);
