import { describe, expect, it } from "vitest";
import {
  parseStackConfig,
  parseVercel,
  vercelSecrets,
  featuresSchema,
} from "../../../infra/config/index";
import { context, errorOf, jwt, keysOf, thrown, withChange } from "./fixtures";

describe("runbooks:vercel", () => {
  it("rejects unknown keys, naming them", () => {
    const err = errorOf(withChange((r) => (r.vercel.projectname = "typo")));
    expect(err.problems[0]!.key).toBe("runbooks:vercel");
    expect(err.problems[0]!.message).toContain("projectname");
  });

  it("tells to remove an unknown key, and suggests the key it most likely meant", () => {
    const err = errorOf(withChange((r) => (r.vercel.projectname = "typo")));
    expect(err.problems).toEqual([
      {
        key: "runbooks:vercel",
        message: "unknown key 'projectname'; did you mean 'projectName'?",
        fix: "remove 'projectname' from 'runbooks:vercel' in stacks/Pulumi.staging.yaml (or rename it to 'projectName')",
      },
    ]);
    expect(err.message).not.toContain("pulumi config set");
  });

  it("suggests the key inside a list entry too", () => {
    const err = errorOf(
      withChange((r) => (r.vercel.env = [{ key: "A", tragets: ["production"], value: "x" }])),
    );
    expect(err.problems.map((p) => [p.key, p.message])).toEqual([
      ["runbooks:vercel.env[0].targets", "is required but not set"],
      ["runbooks:vercel.env[0]", "unknown key 'tragets'; did you mean 'targets'?"],
    ]);
  });

  it("rejects an upper-case Vercel project name", () => {
    expect(keysOf(withChange((r) => (r.vercel.projectName = "Acme App")))).toEqual([
      "runbooks:vercel.projectName",
    ]);
  });

  it("rejects a git repository that is not owner/name", () => {
    expect(keysOf(withChange((r) => (r.vercel.gitRepository.repo = "acme-app")))).toEqual([
      "runbooks:vercel.gitRepository.repo",
    ]);
  });

  it("rejects a secret-looking Vercel variable given as a plain value", () => {
    const err = errorOf(
      withChange(
        (r) =>
          (r.vercel.env = [
            { key: "STRIPE_SECRET_KEY", targets: ["production"], value: "sk_live_x" },
          ]),
      ),
    );
    expect(err.problems[0]!.key).toBe("runbooks:vercel.env[0].value");
    expect(err.problems[0]!.message).toContain("pulumi config set --secret");
    expect(err.message).not.toContain("sk_live_x");
  });

  it("allows NEXT_PUBLIC_ variables as plain values even with KEY in the name", () => {
    const config = parseStackConfig(
      withChange(
        (r) =>
          (r.vercel.env = [
            { key: "NEXT_PUBLIC_SUPABASE_ANON_KEY", targets: ["production"], value: "public" },
          ]),
      ),
      context,
    );
    expect(config.vercel?.env).toHaveLength(1);
  });

  it("refuses a plain value that is a credential whatever its name, without echoing it", () => {
    const serviceRole = jwt({ role: "service_role", iss: "supabase" });
    const err = errorOf(
      withChange(
        (r) =>
          (r.vercel.env = [
            { key: "NEXT_PUBLIC_SUPABASE_KEY", targets: ["production"], value: serviceRole },
          ]),
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:vercel.env[0].value"]);
    expect(err.message).toContain("looks like a JWT");
    expect(err.message).toContain("secretRef");
    expect(err.message).not.toContain(serviceRole);
  });

  it("accepts the Supabase anon key (a JWT with role anon) as a public value", () => {
    const anon = jwt({ role: "anon", iss: "supabase" });
    const config = parseStackConfig(
      withChange(
        (r) =>
          (r.vercel.env = [
            { key: "NEXT_PUBLIC_SUPABASE_ANON_KEY", targets: ["production"], value: anon },
          ]),
      ),
      context,
    );
    expect(config.vercel?.env[0]?.value).toBe(anon);
  });

  it("requires exactly one value source per Vercel variable", () => {
    const err = errorOf(
      withChange(
        (r) => (r.vercel.env = [{ key: "A", targets: ["production"], value: "x", secretRef: "a" }]),
      ),
    );
    expect(err.problems[0]!.message).toBe("set exactly one of value, secretRef or rotationRef");
  });

  it("requires at least one Vercel target", () => {
    expect(
      keysOf(withChange((r) => (r.vercel.env = [{ key: "A", targets: [], value: "x" }]))),
    ).toEqual(["runbooks:vercel.env[0].targets"]);
  });

  it("allows gitBranch only for preview-only variables", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.vercel.env = [{ key: "A", targets: ["production"], value: "x", gitBranch: "dev" }]),
        ),
      ),
    ).toEqual(["runbooks:vercel.env[0].gitBranch"]);
  });

  it("rejects duplicate Vercel variables for the same targets", () => {
    const env = [
      { key: "A", targets: ["production"], value: "x" },
      { key: "A", targets: ["production"], value: "y" },
    ];
    expect(keysOf(withChange((r) => (r.vercel.env = env)))).toEqual(["runbooks:vercel.env[1].key"]);
  });

  it("accepts the same variable for different targets or branches", () => {
    const env = [
      { key: "A", targets: ["production"], value: "x" },
      { key: "A", targets: ["preview"], value: "y" },
      { key: "A", targets: ["preview"], gitBranch: "dev", value: "z" },
    ];
    expect(
      parseStackConfig(
        withChange((r) => (r.vercel.env = env)),
        context,
      ).vercel?.env,
    ).toHaveLength(3);
  });

  it("parseVercel validates the key alone, with the same keys and fixes", () => {
    const err = thrown(() =>
      parseVercel({ projectName: "Bad", gitRepository: { repo: "acme/app" } }, context),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:vercel.projectName"]);
    expect(err.problems[0]!.fix).toContain("edit 'runbooks:vercel' in stacks/Pulumi.staging.yaml");
    expect(thrown(() => parseVercel(undefined, context)).problems).toEqual([
      expect.objectContaining({ key: "runbooks:vercel", message: "is required but not set" }),
    ]);
  });

  it("needs the secrets its variables reference, only while the area is on", () => {
    const vercel = parseVercel(
      {
        projectName: "acme-app",
        gitRepository: { repo: "acme/acme-app" },
        env: [
          { key: "SUPABASE_SERVICE_ROLE_KEY", targets: ["production"], secretRef: "serviceRole" },
          { key: "NEXT_PUBLIC_URL", targets: ["production"], value: "https://x.example" },
        ],
      },
      context,
    );
    const features = featuresSchema.parse({});
    expect(vercelSecrets({ features, vercel })).toEqual([
      { key: "serviceRole", usedBy: "vercel.env SUPABASE_SERVICE_ROLE_KEY", example: "<value>" },
    ]);
    expect(vercelSecrets({ features: { ...features, vercel: false }, vercel })).toEqual([]);
  });
});
