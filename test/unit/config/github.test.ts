import { describe, expect, it } from "vitest";
import { featuresSchema, githubSecrets, parseGithub } from "../../../infra/config/index";
import { context, errorOf, jwt, keysOf, thrown, withChange } from "./fixtures";

describe("runbooks:github", () => {
  it("rejects GitHub secret names starting with GITHUB_", () => {
    expect(
      keysOf(withChange((r) => (r.github.secrets = [{ name: "GITHUB_TOKEN_X", secretRef: "t" }]))),
    ).toEqual(["runbooks:github.secrets[0].name"]);
  });

  it("rejects a GitHub secret scoped to an undeclared environment", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.github.secrets = [{ name: "DB_URL", environment: "qa", secretRef: "databaseUrl" }]),
        ),
      ),
    ).toEqual(["runbooks:github.secrets[0].environment"]);
  });

  it("rejects a GitHub variable scoped to an undeclared environment, naming the declared ones", () => {
    const err = errorOf(
      withChange((r) => (r.github.variables = [{ name: "X", value: "1", environment: "qa" }])),
    );
    expect(err.problems.map((p) => [p.key, p.message])).toEqual([
      [
        "runbooks:github.variables[0].environment",
        "unknown environment 'qa' (declared: staging, production)",
      ],
    ]);
  });

  it("refuses a secret-looking GitHub variable: variables are plaintext", () => {
    const err = errorOf(
      withChange((r) => (r.github.variables = [{ name: "DEPLOY_TOKEN", value: "x" }])),
    );
    expect(err.problems[0]!.key).toBe("runbooks:github.variables[0]");
    expect(err.problems[0]!.message).toContain("github.secrets");
  });

  it("refuses a variable whose value is a credential whatever its name, without echoing it", () => {
    const serviceRole = jwt({ role: "service_role" });
    const err = errorOf(
      withChange((r) => (r.github.variables = [{ name: "SUPABASE_HINT", value: serviceRole }])),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:github.variables[0].value"]);
    expect(err.message).toContain("looks like a JWT");
    expect(err.message).not.toContain(serviceRole);
  });

  it("rejects a reviewer that is not a GitHub user id", () => {
    const err = errorOf(
      withChange(
        (r) => (r.github.environments = [{ name: "production", reviewers: { users: ["alice"] } }]),
      ),
    );
    expect(err.problems.map((p) => [p.key, p.message])).toEqual([
      [
        "runbooks:github.environments[0].reviewers.users[0]",
        "must be a number, but is the string 'alice'",
      ],
    ]);
  });

  it("parseGithub validates the key alone", () => {
    expect(
      thrown(() => parseGithub({ owner: "acme", repository: "a/b" }, context)).problems.map(
        (p) => p.key,
      ),
    ).toEqual(["runbooks:github.repository"]);
    expect(parseGithub({ owner: "acme", repository: "app" }, context).commitWorkflows).toBe(false);
  });

  it("needs the secrets its Actions secrets reference, only while the area is on", () => {
    const github = parseGithub(
      {
        owner: "acme",
        repository: "app",
        secrets: [
          { name: "DB_URL", secretRef: "databaseUrl" },
          { name: "ROTATED", rotationRef: "app-db-login" },
        ],
      },
      context,
    );
    const features = featuresSchema.parse({});
    expect(githubSecrets({ features, github })).toEqual([
      { key: "databaseUrl", usedBy: "github.secrets DB_URL", example: "<value>" },
    ]);
    expect(githubSecrets({ features: { ...features, github: false }, github })).toEqual([]);
  });
});
