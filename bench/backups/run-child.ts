/**
 * Run one measured job in a fresh process (bench/backups/child.ts), so its
 * wall time and peak RSS are the job's alone, not the harness's.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

export function runChild<R>(
  job: unknown,
): Promise<{ seconds: number; cpuSeconds: number; maxRssMb: number; report: R }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        join(__dirname, "..", "..", "node_modules", "tsx", "dist", "cli.mjs"),
        join(__dirname, "child.ts"),
      ],
      {
        env: {
          ...process.env,
          RUNBOOKS_BENCH: JSON.stringify(job),
          // As the backup commands do (scripts/lib/backup-cli.ts): the SDK's Node 22 notice is noise here.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    p.stdout.on("data", (b: Buffer) => (out += b.toString()));
    p.on("close", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").pop()!))
        : reject(new Error(`child exited ${code}`)),
    );
  });
}
