/**
 * `npm run backup` yields the CPU to pg_dump: once pg_dump has started, the
 * command's own main thread runs at nice 10 while pg_dump keeps the normal
 * priority. A command run in-process (a test, another command) never changes
 * its process's priority: without privilege that cannot be undone.
 *
 * A stand-in pg_dump (PG_BIN) records its own nice value, waits, then records
 * its parent's (the command's main thread), and runs the real pg_dump.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { getPriority } from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOADER_NICE } from "../../../infra/backups/backup";
import { requirePgBinary } from "../../../infra/backups/pg-tools";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { dispatch } from "../../../scripts/runbooks";
import { services } from "../../support/services";
import { bucket, location, seeded, type Db } from "./helpers";

let source: Db;
let prefix: string;
let bin: string;

beforeAll(async () => {
  await bucket("yield-cpu");
  source = await seeded("bkyield");
  prefix = location("yield-cpu").prefix;
  bin = mkdtempSync(join(tmpdir(), "yield-cpu-"));
  const real = requirePgBinary("pg_dump").path;
  // Field 19 of /proc/<pid>/stat is the nice value: the 17th after the name, which ends with ") "
  // and may hold spaces (a vitest worker's does).
  const wrapper = `#!/bin/sh
if [ "$1" != "--version" ]; then
  nice > '${bin}/nice.dump'
  sleep 1
  sed 's/.*) //' /proc/$PPID/stat | cut -d' ' -f17 > '${bin}/nice.parent'
fi
exec '${real}' "$@"
`;
  writeFileSync(join(bin, "pg_dump"), wrapper);
  chmodSync(join(bin, "pg_dump"), 0o755);
});

afterAll(async () => {
  await source?.drop();
  rmSync(bin, { recursive: true, force: true });
});

function backupEnv(): NodeJS.ProcessEnv {
  const s3 = services().s3;
  return {
    DATABASE_URL: source.url,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    PG_BIN: bin,
  };
}

const flags = () => [
  "--bucket",
  "yield-cpu",
  "--prefix",
  prefix,
  "--endpoint",
  services().s3.endpoint,
];
/** The nice values the stand-in recorded: its own (pg_dump's) and its parent's. */
function recorded(): { dump: number; parent: number } {
  const read = (what: string) => {
    const file = join(bin, `nice.${what}`);
    const value = Number(readFileSync(file, "utf8").trim());
    rmSync(file);
    return value;
  };
  return { dump: read("dump"), parent: read("parent") };
}

describe("backup's CPU priority", () => {
  it("as its own process: pg_dump runs at the normal priority, the command's thread at nice 10", () => {
    const result = spawnSync(
      process.execPath,
      ["scripts/bin/runbooks.js", "backup", "--json", ...flags()],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...backupEnv() },
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(recorded()).toEqual({ dump: 0, parent: UPLOADER_NICE });
  }, 150_000);

  it("in-process: the priority of the process running it is left alone", async () => {
    const before = getPriority();
    const code = await dispatch(["backup", "--json", ...flags()], {
      env: backupEnv(),
      stdout: () => undefined,
      stderr: () => undefined,
    });
    expect(code).toBe(0);
    expect(recorded()).toEqual({ dump: before, parent: before });
    expect(getPriority()).toBe(before);
  }, 150_000);
});
