import { spawn } from "node:child_process";

export interface GoRunOptions {
  cwd?: string;
  /** Added to the environment; GOFLAGS and CGO_ENABLED default to a static, go.sum-pinned build. */
  env?: NodeJS.ProcessEnv;
  /** Called every 30 s with the elapsed seconds, so long builds show progress. */
  onTick?: (seconds: number) => void;
}

/**
 * Run the `go` command, keeping only the tail of its output for the error
 * message. The module and build caches are the machine's shared ones.
 */
export function runGo(
  args: string[],
  options: GoRunOptions = {},
): Promise<{ code: number; tail: string }> {
  const started = Date.now();
  const chunks: string[] = [];
  return new Promise((resolvePromise) => {
    const child = spawn("go", args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        // Resolve from go.mod/go.sum even if a caller's GOFLAGS says otherwise;
        // -buildvcs=false because the repository's git state is irrelevant here.
        GOFLAGS: "-mod=mod -buildvcs=false",
        // A static binary: no C toolchain needed, runs on any Linux of the arch.
        CGO_ENABLED: "0",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (chunk: Buffer) => {
      chunks.push(chunk.toString());
      if (chunks.length > 400) chunks.splice(0, chunks.length - 400);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const ticker = setInterval(
      () => options.onTick?.(Math.round((Date.now() - started) / 1000)),
      30_000,
    );
    const finish = (code: number) => {
      clearInterval(ticker);
      resolvePromise({ code, tail: chunks.join("").trimEnd().split("\n").slice(-25).join("\n") });
    };
    child.on("error", (err) => {
      chunks.push(String(err));
      finish(127);
    });
    child.on("close", (code) => finish(code ?? 1));
  });
}
