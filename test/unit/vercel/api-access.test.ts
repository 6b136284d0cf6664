/** Where the Vercel commands (rollback, cost:guard, incident) find Vercel for the local stack. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readStackConfig } from "../../../infra/config/stack-file";
import { resolveVercelAccess } from "../../../infra/vercel/api-access";

describe("Vercel access for the local stack", () => {
  const stack = readStackConfig({ stack: "local" });

  it("uses the stand-in npm run local recorded, with the stack's project", () => {
    const root = mkdtempSync(join(tmpdir(), "vercel-access-"));
    mkdirSync(join(root, ".local"));
    writeFileSync(
      join(root, ".local", "services.json"),
      JSON.stringify({
        saas: { vercelUrl: "http://127.0.0.1:4321", tokens: { vercel: "vcp_local_x" } },
      }),
    );
    expect(resolveVercelAccess({ stack, env: { VERCEL_TOKEN: "ignored" }, root })).toEqual({
      serverURL: "http://127.0.0.1:4321",
      token: "vcp_local_x",
      project: stack.config.vercel!.projectName,
      source: "the local Vercel stand-in, from .local/services.json",
    });
  });

  it("says to start the local services when they are not running", () => {
    const root = mkdtempSync(join(tmpdir(), "vercel-access-"));
    expect(() => resolveVercelAccess({ stack, env: {}, root })).toThrow(
      "the local Vercel stand-in is not running: start the local services with `npm run local`",
    );
  });
});
