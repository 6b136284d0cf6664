import { describe, expect, it } from "vitest";
import { parseRotation, parseStackConfig, requiredSecrets } from "../../../infra/config/index";
import { context, errorOf, keysOf, thrown, withChange } from "./fixtures";

const gate = { url: "https://app.example.com/api/health" };

describe("runbooks:rotation", () => {
  it("rejects duplicate rotated credentials", () => {
    const rotation = {
      gate,
      credentials: [
        { name: "db", kind: "postgres-login" },
        { name: "db", kind: "postgres-login" },
      ],
    };
    expect(keysOf(withChange((r) => (r.rotation = rotation)))).toEqual([
      "runbooks:rotation.credentials[1].name",
    ]);
  });

  it("parseRotation: nothing rotated when absent; a health gate must be https", () => {
    expect(parseRotation(undefined, context)).toMatchObject({
      credentials: [],
      staggerMinutes: 15,
      delivery: "components",
      gate: { passes: 3 },
    });
    const err = thrown(() =>
      parseRotation(
        {
          credentials: [
            { name: "db", kind: "postgres-login", healthGateUrl: "http://app.example/x" },
          ],
        },
        context,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual([
      "runbooks:rotation.credentials[0].healthGateUrl",
    ]);
  });

  it("refuses to rotate legacy Supabase JWT keys, naming the migration path", () => {
    const err = errorOf(
      withChange(
        (r) =>
          (r.rotation = {
            gate,
            credentials: [{ name: "service-role", kind: "supabase-legacy-jwt" }],
          }),
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:rotation.credentials[0].kind"]);
    expect(err.problems[0]!.message).toMatch(
      /invalidates anon and service_role at the same moment/,
    );
    expect(err.problems[0]!.message).toMatch(/kind: supabase-secret-key/);
  });

  it("requires a project ref for Supabase keys", () => {
    const rotation = { credentials: [{ name: "key", kind: "supabase-secret-key" }] };
    expect(keysOf(withChange((r) => (r.rotation = rotation)))).toEqual([
      "runbooks:rotation.credentials[0].projectRef",
    ]);
  });

  it("accepts '<name>.previous' only for a generic credential", () => {
    const change = (kind: string) =>
      withChange((r) => {
        r.rotation = { gate, credentials: [{ name: "s", kind }] };
        r.vercel.env.push({
          key: "S_PREVIOUS",
          targets: ["production"],
          rotationRef: "s.previous",
        });
      });
    expect(keysOf(change("postgres-login"))).toEqual(["runbooks:vercel.env[0].rotationRef"]);
    expect(() => parseStackConfig(change("generic"), context)).not.toThrow();
  });

  it("refuses delivery 'api' while a platform component writes the same values", () => {
    const err = errorOf(withChange((r) => (r.rotation = { gate, delivery: "api" })));
    expect(err.problems.map((p) => p.key)).toEqual([
      "runbooks:rotation.delivery",
      "runbooks:rotation.delivery",
    ]);
    expect(err.problems.map((p) => p.message).join("\n")).toMatch(/features\.vercel is on/);
  });

  it("needs the API tokens its sinks and sources use, and only those", () => {
    const config = parseStackConfig(
      withChange((r) => {
        r.rotation = {
          gate,
          credentials: [
            { name: "app-db", kind: "postgres-login" },
            { name: "key", kind: "supabase-secret-key", projectRef: "abcdefghijklmnopqrst" },
          ],
        };
        r.vercel.env.push({ key: "DATABASE_URL", targets: ["production"], rotationRef: "app-db" });
      }),
      context,
    );
    const keys = requiredSecrets(config).map((s) => s.key);
    expect(keys).toContain("vercelApiToken");
    expect(keys).toContain("supabaseAccessToken");
    // delivery 'components': the GitHub component writes secrets with its own provider token.
    expect(keys).not.toContain("githubToken");
  });
});
