/**
 * The one redaction function: everything a command prints, every error we
 * raise and every message a driver hands back goes through it.
 *
 * It works on any string, not on parsed URLs, because the dangerous inputs
 * are the ones a URL parser gets wrong: `postgres:/user:pw@host` parses with
 * the credentials in the *path*, an unencoded `#` ends the URL early and an
 * unencoded `@` or `/` moves the host. So it masks by shape (anything that
 * looks like `user:password@`, `password=…` in a query string or a libpq
 * key=value string, a JSON `"password": "…"`) and then by value (every secret
 * the caller knows, as given, percent-encoded and percent-decoded).
 */

export const MASK = "***";

/** Shorter values are not masked by value: "pg" or "1" would shred every message. */
const MIN_SECRET_LENGTH = 4;

/**
 * `scheme://user:password@`, `scheme:user:password@`, `user:password@host`:
 * the password runs to the last `@` before whitespace or a quote, so an
 * unencoded `@` in it is masked too. Quotes end it so that JSON output stays
 * well-formed.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/{0,3})?([^\s:@/"'<>`]*):([^\s"'<>`]+)@/gi;

/** `password=…` and friends in a query string, a libpq key=value string or a log line. */
const KEY_VALUE =
  /\b(password|passwd|pwd|sslpassword|secret|token|access_token|api_?key)(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;,"']+)/gi;

/** `"password": "…"` in a JSON or object dump. */
const JSON_PASSWORD = /("(?:password|passwd|sslpassword|secret|token)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

function variants(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret)]);
  try {
    out.add(decodeURIComponent(secret));
  } catch {
    // Not percent-encoded: the raw value is enough.
  }
  return [...out];
}

/**
 * Mask every credential-looking part of `text`, and every occurrence of the
 * given secret values (raw, percent-encoded and percent-decoded). Connection
 * strings among the secrets also contribute their password, however
 * malformed the string is.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  const values = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const v of variants(secret)) values.add(v);
    for (const password of passwordsIn(secret)) for (const v of variants(password)) values.add(v);
  }
  let out = text;
  // Longest first, so a password inside a whole connection string cannot leave a tail behind.
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    if (value.length >= MIN_SECRET_LENGTH) out = out.split(value).join(MASK);
  }
  return out
    .replace(
      USERINFO,
      (_m, scheme: string | undefined, user: string) => `${scheme ?? ""}${user}:${MASK}@`,
    )
    .replace(KEY_VALUE, (_m, key: string, eq: string) => `${key}${eq}${MASK}`)
    .replace(JSON_PASSWORD, (_m, key: string) => `${key}"${MASK}"`);
}

/**
 * Every string that could be the password of a connection string: what a
 * URL parser reads, what the shape-based pattern reads (which handles a
 * missing `//`, an unencoded `@`, `#` or `/`), and `password=` parameters.
 */
export function passwordsIn(connectionString: string): string[] {
  const out = new Set<string>();
  try {
    const url = new URL(connectionString);
    if (url.password) out.add(url.password);
    for (const [key, value] of url.searchParams)
      if (/pass|secret|token/i.test(key) && value) out.add(value);
  } catch {
    // Malformed: the patterns below still find it.
  }
  for (const match of connectionString.matchAll(USERINFO)) if (match[3]) out.add(match[3]);
  for (const match of connectionString.matchAll(KEY_VALUE)) {
    const value = match[3]!.replace(/^(['"])(.*)\1$/, "$2");
    if (value) out.add(value);
  }
  return [...out];
}
