import { describe, expect, it } from "vitest";
import { detectSecrets } from "../../../infra/secrets-scan/detect";
import { decodeJwtPayload } from "../../../infra/secrets-scan/rules/disallow-supabase-service-role-jwt";
import { fakeSecrets, leakyConfig, randomFrom, supabaseJwt } from "../../support/fake-secrets";

const rulesOf = async (text: string, path = "config.env") =>
  (await detectSecrets(text, path)).map((d) => `${d.rule}/${d.messageId}`);

describe("detectSecrets", () => {
  it("finds every planted credential, on its own line and column", async () => {
    const secrets = fakeSecrets();
    const found = await detectSecrets(leakyConfig(secrets), "app.env");
    const byRule = Object.fromEntries(found.map((d) => [d.messageId, d]));
    expect(Object.keys(byRule).sort()).toEqual(
      [
        "GITHUB_TOKEN",
        "AWSAccessKeyID",
        "AWSSecretAccessKey",
        "SUPABASE_SECRET_KEY",
        "SUPABASE_ACCESS_TOKEN",
        "SUPABASE_SERVICE_ROLE_JWT",
        "VERCEL_PERSONAL_ACCESS_TOKEN",
        "PostgreSQLConnection",
      ].sort(),
    );
    expect(byRule.GITHUB_TOKEN).toMatchObject({ value: secrets.githubToken, line: 1, column: 14 });
    // The AWS rule reports the wrong range; the value is located from its data.
    expect(byRule.AWSSecretAccessKey).toMatchObject({
      value: secrets.awsSecretAccessKey,
      line: 3,
      column: "AWS_SECRET_ACCESS_KEY=".length + 1,
    });
    expect(byRule.SUPABASE_SERVICE_ROLE_JWT).toMatchObject({
      value: secrets.serviceRoleJwt,
      line: 6,
    });
  });

  it("finds a PEM private key spanning lines", async () => {
    const { privateKey } = fakeSecrets();
    const found = await detectSecrets(`// deploy key\n${privateKey}`, "deploy.pem");
    expect(found.map((d) => d.messageId)).toEqual(["PrivateKey"]);
    expect(found[0]?.line).toBe(2);
  });

  it("reports a service_role JWT but not the public anon key or a JWT that is not JSON", async () => {
    const anon = supabaseJwt("anon");
    expect(decodeJwtPayload(anon)?.role).toBe("anon");
    expect(await rulesOf(`SUPABASE_ANON_KEY=${anon}`)).toEqual([]);
    const notJson = `eyJ${randomFrom("abcdefgh", 20)}.eyJ${randomFrom("abcdefgh", 20)}.${randomFrom("abcdefgh", 43)}`;
    expect(await rulesOf(`X=${notJson}`)).toEqual([]);
    expect(await rulesOf(`KEY="${supabaseJwt("service_role")}"`)).toEqual([
      "runbooks/supabase-service-role-jwt/SUPABASE_SERVICE_ROLE_JWT",
    ]);
  });

  it("does not report Supabase publishable keys or placeholder secret keys", async () => {
    const publishable = ["sb_", "publishable_", randomFrom("abcdefghijKLMNOP0123", 31)].join("");
    expect(await rulesOf(`NEXT_PUBLIC_KEY=${publishable}`)).toEqual([]);
    expect(await rulesOf(`SUPABASE_SECRET_KEY=sb_secret_${"x".repeat(31)}`)).toEqual([]);
    expect(await rulesOf(`SUPABASE_SECRET_KEY=sb_secret_...`)).toEqual([]);
  });

  it("covers every Vercel token prefix with the preset's rule (no rule of our own needed)", async () => {
    for (const prefix of ["vcp", "vci", "vca", "vcr", "vck"]) {
      const token = `${prefix}_${randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789", 24)}`;
      expect(await rulesOf(`token: ${token}`)).toEqual([
        expect.stringMatching(/^@secretlint\/secretlint-rule-vercel\/VERCEL_/),
      ]);
    }
  });

  it("ignores secretlint-disable comments: the allowlist is the only suppression", async () => {
    const { githubToken } = fakeSecrets();
    expect(await rulesOf(`const t = "${githubToken}"; // secretlint-disable-line`)).toHaveLength(1);
    expect(await rulesOf(`// secretlint-disable\nconst t = "${githubToken}";`)).toHaveLength(1);
  });

  it("drops connection strings whose password is a placeholder, keeps real ones", async () => {
    expect(
      await rulesOf("postgres://postgres:<password>@db.<ref>.supabase.co:5432/postgres"),
    ).toEqual([]);
    expect(await rulesOf("postgres://app:${DB_PASSWORD}@localhost:5432/app")).toEqual([]);
    const { databasePassword } = fakeSecrets();
    expect(await rulesOf(`postgres://app:${databasePassword}@localhost:5432/app`)).toEqual([
      "@secretlint/secretlint-rule-database-connection-string/PostgreSQLConnection",
    ]);
  });

  it("does not let secretlint's profiler grow with every scan (quadratic slowdown, secretlint#1633)", async () => {
    const text = "const a = 1;\n".repeat(20);
    await detectSecrets(text, "a.ts");
    const before = performance.getEntriesByType("mark").length;
    for (let i = 0; i < 50; i++) await detectSecrets(text, "a.ts");
    expect(performance.getEntriesByType("mark").length).toBe(before);
  });
});
