import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../../../infra/local/example-app/server";
import { createTestDatabase } from "../../../infra/local/postgres";
import { services } from "../../support/services";

describe("harness: the stand-in app", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: RunningApp;
  const envFile = join(mkdtempSync(join(tmpdir(), "runbooks-app-")), "app.env");

  beforeAll(async () => {
    db = await createTestDatabase(services().postgres.adminUrl, "app");
    writeFileSync(envFile, `DATABASE_URL=${db.url}\n`);
    app = await startApp({ envFile, timeoutMs: 1000 });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it("reports healthy when the database answers", async () => {
    const response = await fetch(`${app.url}/api/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; database: { ok: boolean } };
    expect(body.status).toBe("ok");
    expect(body.database.ok).toBe(true);
  });

  it("reports 503 without leaking the credential when the password is wrong", async () => {
    const bad = new URL(db.url);
    bad.password = "wrong-password-zz9";
    writeFileSync(envFile, `DATABASE_URL=${bad.toString()}\n`);
    const response = await fetch(`${app.url}/api/health`);
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(text).toContain("password authentication failed");
    expect(text).not.toContain("wrong-password-zz9");
    writeFileSync(envFile, `DATABASE_URL=${db.url}\n`);
  });

  it("answers 404 for anything but GET /api/health", async () => {
    expect((await fetch(`${app.url}/`)).status).toBe(404);
  });
});
