/**
 * Building blocks of the area schemas, and the two tests that keep a secret out
 * of plain settings: by its name and by its value.
 */
import { z } from "zod";
import { PLAIN_IDENTIFIER, PLAIN_IDENTIFIER_RULE } from "../postgres/identifiers";

/** A secret the configuration refers to, and why it is needed. */
export interface SecretRequirement {
  /** Config key (without namespace). */
  key: string;
  /** Where it is used, for the error message. */
  usedBy: string;
  /** Example value shape for the fix command. */
  example: string;
}

/** A config key name in this project's namespace that holds a secret value. */
export const secretRef = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_.-]*$/,
    "must be a config key name such as 'supabaseServiceRoleKey' (letters, digits, '_', '-', '.')",
  );

/** A Postgres name as the catalog stores it unquoted. */
export const identifier = z.string().regex(PLAIN_IDENTIFIER, PLAIN_IDENTIFIER_RULE);

export function isLoopbackUrl(u: string): boolean {
  try {
    const host = new URL(u).hostname;
    // 127.0.0.0/8 as an address: a name such as 127.example.com resolves anywhere.
    return (
      host === "localhost" || host === "[::1]" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host)
    );
  } catch {
    return false;
  }
}

/** An https URL; plain http only to a loopback address (the local stack's services). */
export const httpsUrl = z
  .string()
  .url("must be an absolute URL such as https://app.example.com/api/health")
  .refine((u) => u.startsWith("https://") || isLoopbackUrl(u), {
    message: "must use https:// (plain http is only accepted for loopback addresses)",
  });

export const email = z.string().email("must be an e-mail address");

/** Names that say "secret": such a variable must come from secret config, never a plain value. */
export const SECRET_LOOKING_NAME =
  /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|API_?KEY|SERVICE_ROLE|DATABASE_URL|DSN|CREDENTIAL)/i;

/**
 * Does `name` say it holds a secret? `NEXT_PUBLIC_` names do not: Next.js
 * ships them to every browser, so they are public by construction (the
 * Supabase anon key, for one).
 */
export function isSecretLookingName(name: string): boolean {
  return SECRET_LOOKING_NAME.test(name) && !name.startsWith("NEXT_PUBLIC_");
}

/**
 * Patterns of values that are credentials whatever their name: a JWT (Supabase
 * keys), a URL with a password, a private key, and well-known token prefixes.
 */
const SECRET_VALUE_PATTERNS: { what: string; pattern: RegExp }[] = [
  { what: "a JWT (e.g. a Supabase key)", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./ },
  { what: "a URL with a password", pattern: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i },
  { what: "a private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  {
    what: "a GitHub token",
    pattern: /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}/,
  },
  { what: "an AWS access key id", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  {
    what: "a Slack token or webhook",
    pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}|hooks\.slack\.com\/services\//,
  },
  {
    what: "a Stripe or Supabase secret key",
    pattern: /\b(sk|rk)_(live|test)_[A-Za-z0-9]{10,}|\bsb_secret_[A-Za-z0-9_-]{10,}/,
  },
];

/**
 * A JWT whose claims say `role: anon` is Supabase's anon key, which is meant
 * to be public (every browser of the app gets it); every other JWT is a
 * credential.
 */
function isPublicJwt(value: string): boolean {
  const match = /\beyJ[A-Za-z0-9_-]{8,}\.([A-Za-z0-9_-]{8,})\./.exec(value);
  if (!match) return false;
  try {
    const claims = JSON.parse(Buffer.from(match[1]!, "base64url").toString("utf8")) as unknown;
    return (
      claims !== null &&
      typeof claims === "object" &&
      (claims as { role?: unknown }).role === "anon"
    );
  } catch {
    return false;
  }
}

/** What kind of secret a value looks like, or undefined. */
export function secretLookingValue(value: string): string | undefined {
  return SECRET_VALUE_PATTERNS.find(
    (p) => p.pattern.test(value) && !(p.what.startsWith("a JWT") && isPublicJwt(value)),
  )?.what;
}
