/**
 * Credentials in the real formats, random on every run and assembled from
 * pieces, so no live-looking token is ever a literal in this repository
 * (which would also trip GitHub push protection). None of them is valid
 * anywhere.
 */
import { createHmac, generateKeyPairSync, randomBytes, randomInt } from "node:crypto";

const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64URL = `${BASE62}-_`;
const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function randomFrom(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A JWT signed with a random secret, with the claims a Supabase legacy key has. */
export function supabaseJwt(role: "service_role" | "anon"): string {
  const header = b64url({ alg: "HS256", typ: "JWT" });
  const now = Math.floor(Date.now() / 1000);
  const payload = b64url({
    iss: "supabase",
    ref: randomFrom("abcdefghijklmnopqrstuvwxyz", 20),
    role,
    iat: now,
    exp: now + 10 * 365 * 24 * 3600,
  });
  const signature = createHmac("sha256", randomBytes(32))
    .update(`${header}.${payload}`)
    .digest("base64url");
  return `${header}.${payload}.${signature}`;
}

export interface FakeSecrets {
  githubToken: string;
  awsAccessKeyId: string;
  awsSecretAccessKey: string;
  supabaseSecretKey: string;
  supabaseAccessToken: string;
  serviceRoleJwt: string;
  vercelToken: string;
  databasePassword: string;
  privateKey: string;
}

export function fakeSecrets(): FakeSecrets {
  return {
    githubToken: ["gh", "p_", randomFrom(BASE62, 36)].join(""),
    awsAccessKeyId: ["AK", "IA", randomFrom(UPPER_DIGITS, 16)].join(""),
    // Ends in a letter or digit: the AWS rule needs a word boundary after the key.
    awsSecretAccessKey: randomFrom(`${BASE62}/+`, 39) + randomFrom(BASE62, 1),
    supabaseSecretKey: [
      "sb_",
      "secret_",
      randomFrom(BASE64URL, 22),
      "_",
      randomFrom(BASE64URL, 8),
    ].join(""),
    supabaseAccessToken: ["sb", "p_", randomBytes(20).toString("hex")].join(""),
    serviceRoleJwt: supabaseJwt("service_role"),
    vercelToken: ["vc", "p_", randomFrom(BASE62, 24)].join(""),
    databasePassword: randomFrom(BASE62, 24),
    privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs1", format: "pem" })
      .toString(),
  };
}

/** The values a test must never find in any output. */
export function allValues(secrets: FakeSecrets): string[] {
  const values = Object.values(secrets);
  // A PEM key is matched by its base64 body too, not only as a whole.
  const body = secrets.privateKey.split("\n").filter((l) => l && !l.startsWith("-----"));
  return [...values, ...body];
}

/** A config file that holds every secret, one per line, in the shapes apps write them. */
export function leakyConfig(secrets: FakeSecrets): string {
  return [
    `GITHUB_TOKEN=${secrets.githubToken}`,
    `AWS_ACCESS_KEY_ID=${secrets.awsAccessKeyId}`,
    `AWS_SECRET_ACCESS_KEY=${secrets.awsSecretAccessKey}`,
    `SUPABASE_SECRET_KEY=${secrets.supabaseSecretKey}`,
    `SUPABASE_ACCESS_TOKEN=${secrets.supabaseAccessToken}`,
    `SUPABASE_SERVICE_ROLE_KEY=${secrets.serviceRoleJwt}`,
    `VERCEL_TOKEN=${secrets.vercelToken}`,
    `DATABASE_URL=postgres://app:${secrets.databasePassword}@db.example.internal:5432/app`,
    "",
  ].join("\n");
}
