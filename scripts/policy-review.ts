/**
 * `npm run policy:review -- -s <stack>` — the policy pack's verdict on a
 * stack without any cloud account (pull requests from forks get none).
 *
 * Exit 0: no mandatory violation; 1: mandatory violations; 2: could not review.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../infra/lib/paths";
import { POLICIES } from "../policies/policies";
import type { PackConfig } from "../policies/review/evaluate";
import { mandatoryCount, renderReport } from "../policies/review/report";
import { reviewStack } from "../policies/review/review";
import { EXIT_OK, EXIT_PROBLEM, UsageError, run, type ExitCode } from "./lib/cli";

const USAGE = `Usage: npm run policy:review -- -s <stack> [options]

Runs the program of a stack under mocks (no cloud credentials) and checks
every resource it registers against the policy pack in policies/. Prints a
Markdown report: violations grouped by severity, each with its resource,
message and remediation.

Options:
  --stack <name>         the stack to review (also -s <name>)
  --config-file <path>   read the stack's config from this file instead of stacks/Pulumi.<stack>.yaml
  --policy-config <path> per-policy settings, as pulumi's --policy-pack-config takes them
  --out <path>           also write the report to this file
  --json                 print the violations as JSON instead of Markdown
  --help                 this text

Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 could not review.`;

/** `-s X` is pulumi's own short form; the shared parser knows only `--stack`. */
const argv = process.argv.slice(2).map((a) => (a === "-s" ? "--stack" : a));

void run(
  async (flags): Promise<ExitCode> => {
    const stack = flags.stack;
    if (!stack) throw new UsageError("which stack? pass -s <stack>");
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`'${stack}' is not a stack name`);
    const option = (name: string) => {
      const v = flags.options.get(name);
      return typeof v === "string" ? v : undefined;
    };
    const stackFile = option("config-file") ?? join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`);
    if (!existsSync(stackFile))
      throw new UsageError(
        `no stack file ${relative(process.cwd(), stackFile)}; known stacks are the stacks/Pulumi.<name>.yaml files`,
      );
    const configPath = option("policy-config");
    const packConfig = configPath
      ? (JSON.parse(readFileSync(configPath, "utf8")) as PackConfig)
      : undefined;
    const result = await reviewStack({
      stack,
      stackFile: relative(REPO_ROOT, stackFile) || stackFile,
      packConfig,
    });
    const configFile = option("config-file");
    const report = renderReport(
      result,
      POLICIES.length,
      `npm run policy:review -- -s ${stack}${configFile ? ` --config-file ${configFile}` : ""}`,
    );
    const out = option("out");
    if (out) writeFileSync(out, report);
    const mandatory = mandatoryCount(result.violations);
    if (flags.json) {
      console.log(
        JSON.stringify(
          {
            ok: mandatory === 0,
            stack,
            resources: result.resources.length,
            violations: result.violations,
          },
          null,
          2,
        ),
      );
    } else console.log(report);
    return mandatory > 0 ? EXIT_PROBLEM : EXIT_OK;
  },
  { usage: USAGE, argv },
);
