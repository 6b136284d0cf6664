/**
 * Runs the app's migration command (by default `npx prisma migrate deploy`)
 * through the shell, as the team would type it, in the app's directory,
 * with the database in DATABASE_URL and a lock timeout in PGOPTIONS: a
 * migration that needs a lock held by a long query or a running pg_dump
 * fails after the timeout instead of queueing every query behind it.
 * PGOPTIONS is read by libpq (psql), node-postgres and the drivers built on
 * them; a migration tool that ignores it needs `SET lock_timeout` at the top
 * of its scripts.
 */
import { spawn } from "node:child_process";

export interface MigrationCommandInput {
  command: string;
  cwd: string;
  /** The environment the command sees (DATABASE_URL and PGOPTIONS are set on top). */
  env: NodeJS.ProcessEnv;
  connectionString: string;
  lockTimeoutMs: number;
  /** Killed (with its children) after this long. */
  timeoutMs: number;
  /** Each output line as it arrives (the caller redacts and shows it). */
  onLine?: (line: string) => void;
}

export interface MigrationCommandResult {
  /** null when killed. */
  exitCode: number | null;
  timedOut: boolean;
  /** The last lines of stdout and stderr, interleaved as they came. */
  tail: string[];
  durationMs: number;
}

const TAIL_LINES = 40;

/** `-c lock_timeout=…` added to whatever PGOPTIONS the caller has. */
export function withLockTimeout(pgoptions: string | undefined, lockTimeoutMs: number): string {
  return [pgoptions?.trim(), `-c lock_timeout=${Math.round(lockTimeoutMs)}`]
    .filter(Boolean)
    .join(" ");
}

export function runMigrationCommand(input: MigrationCommandInput): Promise<MigrationCommandResult> {
  const started = Date.now();
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", input.command], {
      cwd: input.cwd,
      env: {
        ...input.env,
        DATABASE_URL: input.connectionString,
        PGOPTIONS: withLockTimeout(input.env.PGOPTIONS, input.lockTimeoutMs),
      },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so a timeout ends npx and what npx started.
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
    }, input.timeoutMs);
    const collect = (stream: NodeJS.ReadableStream) => {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) push(line);
      });
      stream.on("end", () => partial && push(partial));
    };
    const push = (line: string) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      input.onLine?.(line);
    };
    collect(child.stdout!);
    collect(child.stderr!);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, timedOut, tail, durationMs: Date.now() - started });
    });
  });
}
