/**
 * The process entry of a command: real argv, env, streams and clock, and the
 * exit code set on the process (never `process.exit`, so pending output is
 * flushed).
 */
import type { AnyCommand } from "./command";
import { runCommand } from "./runner";

export async function runFromProcess(
  command: AnyCommand,
  argv: readonly string[],
): Promise<number> {
  const code = await runCommand(command, {
    argv,
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    stderrStream: process.stderr,
  });
  process.exitCode = code;
  return code;
}

/** `tsx scripts/<command>.ts …` runs the command the same way `runbooks <command> …` does. */
export function runAsMain(mod: NodeModule, command: AnyCommand): void {
  if (require.main === mod) void runFromProcess(command, process.argv.slice(2));
}
