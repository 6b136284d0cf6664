/** `secrets:hook` — install the pre-commit hook that refuses a commit with a secret staged. */
import { installPreCommitHook, type HookInstallResult } from "../infra/secrets-scan/index";
import { defineCommand, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { asCommandError, repoDir, type SecretsScanDeps } from "./secrets-scan";

const ARGS = {
  repo: {
    type: "string",
    valueHint: "dir",
    description: "the repository to install it in (default: the directory npm was run from)",
  },
  force: {
    type: "boolean",
    description:
      "replace a pre-commit hook this command did not write (it is kept as pre-commit.backup)",
  },
} as const satisfies ArgSpecs;

const DONE: Record<HookInstallResult["action"], string> = {
  installed: "installed",
  unchanged: "already installed, unchanged",
  updated: "updated to the current version",
  replaced: "installed, replacing a hook this command did not write",
};

export const secretsHook = defineCommand<typeof ARGS, SecretsScanDeps, HookInstallResult>({
  name: "secrets:hook",
  description: "Install the pre-commit hook that runs secrets:scan --staged",
  help:
    "Writes the hook where git runs it (core.hooksPath and linked worktrees are honoured). A hook\n" +
    "it did not write is never replaced without --force, and then it is kept as pre-commit.backup.",
  shared: ["json", "quiet"],
  args: ARGS,
  async run({ args, env, deps }) {
    let result: HookInstallResult;
    try {
      result = await installPreCommitHook({
        cwd: repoDir(args.repo, env, deps.cwd),
        force: args.force,
      });
    } catch (error) {
      throw asCommandError(error);
    }
    return {
      findings: [
        {
          id: "install-pre-commit-hook",
          severity: "info",
          subject: result.path,
          message: `pre-commit hook ${DONE[result.action]}: ${result.path}`,
          details: result.backup ? [`the previous hook is kept at ${result.backup}`] : [],
          fix: "",
        },
      ],
      report: result,
      notes: [
        "Every `git commit` in this repository now runs: npm run --silent secrets:scan -- --staged",
      ],
    };
  },
});

runAsMain(module, secretsHook);
