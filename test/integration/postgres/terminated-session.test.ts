/**
 * A server that drops a checked-out session (an admin's pg_terminate_backend,
 * a failover, a pooler restart) must surface as the query's error, not as an
 * uncaught 'error' event that kills the command with a stack trace mid-incident.
 * Each case runs in its own process (fixtures/terminated-session.ts) because the
 * failure being guarded against is the process dying.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { sqlDatabase, type SqlDatabase } from "../../support/services";

let db: SqlDatabase;

beforeAll(async () => {
  db = await sqlDatabase("pg_terminated");
});

afterAll(async () => {
  await db?.drop();
});

function run(when: "idle" | "query") {
  const child = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
      join(__dirname, "fixtures", "terminated-session.ts"),
    ],
    {
      env: { ...process.env, RUNBOOKS_TEST_DATABASE_URL: db.url, RUNBOOKS_TEST_WHEN: when },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe("a checked-out connection whose session is terminated", () => {
  it.each(["idle", "query"] as const)(
    "while %s: the error reaches the caller, the process lives on and reconnects",
    (when) => {
      const { status, stdout, stderr } = run(when);
      expect(stderr).not.toMatch(/Unhandled|uncaught/i);
      expect(status).toBe(0);
      expect(stdout).toMatch(/^rejected terminated session \(.*\): .*(terminat|not queryable)/m);
      expect(stdout).toMatch(/^reconnected$/m);
      // The URL's password never appears in what the caller is told.
      const password = new URL(db.url).password;
      if (password) expect(stdout + stderr).not.toContain(password);
    },
    60_000,
  );
});
