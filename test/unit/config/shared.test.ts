/**
 * The two tests that keep a secret out of plain settings, by name and by
 * value, through both places a plain value can go: a Vercel variable's
 * `value` and a GitHub Actions variable.
 */
import { describe, expect, it } from "vitest";
import {
  SECRET_LOOKING_NAME,
  isLoopbackUrl,
  parseGithub,
  parseVercel,
  secretLookingValue,
} from "../../../infra/config/index";
import { context, jwt, thrown } from "./fixtures";

/** One name per alternative of SECRET_LOOKING_NAME, each matching that alternative only. */
const SECRET_NAMES: [alternative: string, name: string][] = [
  ["SECRET", "STRIPE_SECRET"],
  ["TOKEN", "DEPLOY_TOKEN"],
  ["PASSWORD", "SMTP_PASSWORD"],
  ["PASSWD", "SMTP_PASSWD"],
  ["PRIVATE", "SIGNING_PRIVATE_PEM"],
  ["API_?KEY", "MAPS_API_KEY"],
  ["API_?KEY", "MAPS_APIKEY"],
  ["SERVICE_ROLE", "SUPABASE_SERVICE_ROLE"],
  ["DATABASE_URL", "DATABASE_URL"],
  ["DSN", "SENTRY_DSN"],
  ["CREDENTIAL", "GCP_CREDENTIALS"],
];

const alternatives = SECRET_LOOKING_NAME.source.replace(/^\(|\)$/g, "").split("|");

function vercelWith(key: string, value: string) {
  return parseVercel(
    {
      projectName: "acme-app",
      gitRepository: { repo: "acme/acme-app" },
      env: [{ key, targets: ["production"], value }],
    },
    context,
  );
}

function githubWith(name: string, value: string) {
  return parseGithub({ owner: "acme", repository: "app", variables: [{ name, value }] }, context);
}

describe("secret-looking names", () => {
  it("the table covers every alternative of the pattern, one alternative per name", () => {
    expect([...new Set(SECRET_NAMES.map(([alt]) => alt))].sort()).toEqual([...alternatives].sort());
    for (const [alt, name] of SECRET_NAMES) {
      const matching = alternatives.filter((a) => new RegExp(a, "i").test(name));
      expect(matching, name).toEqual([alt]);
    }
  });

  it.each(SECRET_NAMES)("%s: %s is refused as a Vercel plain value", (_alt, name) => {
    const err = thrown(() => vercelWith(name, "plain-value"));
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:vercel.env[0].value"]);
    expect(err.problems[0]!.message).toContain("looks like a secret");
    expect(err.message).not.toContain("plain-value");
  });

  it.each(SECRET_NAMES)("%s: %s is refused as a GitHub variable", (_alt, name) => {
    const err = thrown(() => githubWith(name, "plain-value"));
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:github.variables[0]"]);
    expect(err.problems[0]!.message).toContain("github.secrets");
    expect(err.message).not.toContain("plain-value");
  });

  it.each(["NEXT_PUBLIC_SUPABASE_ANON_KEY", "NEXT_PUBLIC_SENTRY_DSN", "NEXT_PUBLIC_MAPS_API_KEY"])(
    "%s is public by construction: accepted in both places",
    (name) => {
      expect(vercelWith(name, "public-value").env[0]!.value).toBe("public-value");
      expect(githubWith(name, "public-value").variables[0]!.value).toBe("public-value");
    },
  );

  it.each(["HEALTH_URL", "BACKUP_BUCKET_REGION", "SUPABASE_URL"])(
    "%s is an ordinary name: accepted in both places",
    (name) => {
      expect(vercelWith(name, "x").env).toHaveLength(1);
      expect(githubWith(name, "x").variables).toHaveLength(1);
    },
  );
});

describe("secret-looking values", () => {
  it.each([
    ["postgres://user:pw@db.example.com:5432/x", "a URL with a password"],
    ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "a GitHub token"],
    ["AKIAABCDEFGHIJKLMNOP", "an AWS access key id"],
    ["https://hooks.slack.com/services/T000/B000/xyz", "a Slack token or webhook"],
    ["-----BEGIN RSA PRIVATE KEY-----", "a private key"],
    ["sk_live_abcdefghijkl", "a Stripe or Supabase secret key"],
    [jwt({ role: "service_role" }), "a JWT (e.g. a Supabase key)"],
  ])("recognizes %j as %s", (value, what) => {
    expect(secretLookingValue(value)).toBe(what);
  });

  it.each([
    "eu-west-1",
    "https://app.acme.example/api/health",
    "arn:aws:iam::123456789012:role/x",
    "postgres://db.example.com/x",
    jwt({ role: "anon", iss: "supabase" }),
  ])("does not flag the ordinary (or public) value %j", (value) => {
    expect(secretLookingValue(value)).toBeUndefined();
  });

  it.each([
    [
      "a Vercel plain value",
      (v: string) => vercelWith("SUPABASE_KEY_HINT", v),
      "vercel.env[0].value",
    ],
    [
      "a GitHub variable",
      (v: string) => githubWith("SUPABASE_KEY_HINT", v),
      "github.variables[0].value",
    ],
  ])("a JWT-looking value is refused as %s, without echoing it", (_where, parse, key) => {
    const token = jwt({ role: "service_role" });
    const err = thrown(() => parse(token));
    expect(err.problems.map((p) => p.key)).toEqual([`runbooks:${key}`]);
    expect(err.message).toContain("looks like a JWT");
    expect(err.message).not.toContain(token);
  });
});

describe("loopback URLs", () => {
  it.each([
    ["http://127.0.0.1:3000/x", true],
    ["http://localhost/x", true],
    ["http://[::1]:80/x", true],
    ["http://127.example.com/x", false],
    ["not a url", false],
  ])("%s is loopback: %s", (url, loopback) => {
    expect(isLoopbackUrl(url)).toBe(loopback);
  });
});
