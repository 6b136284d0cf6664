/**
 * Documentation writes connection strings with a placeholder where the
 * password goes (`postgres://postgres:<password>@db.<ref>.supabase.co`,
 * `https://user:${TOKEN}@host`). secretlint's URL rules report those; during
 * an incident they bury the real leaks, so a credential that is only a
 * placeholder is dropped. Anything else, however fake it looks, is reported.
 */

/** Rules whose value is a URL with `user:password@` in it. */
const URL_CREDENTIAL_RULES = new Set([
  "@secretlint/secretlint-rule-database-connection-string",
  "@secretlint/secretlint-rule-basicauth",
]);

const PLACEHOLDER = [
  /^<[^<>]*>$/, // <password>
  /^\[[^[\]]*\]$/, // [YOUR-PASSWORD]
  /^\$\{[^{}]*\}$/, // ${DB_PASSWORD}
  /^\$\{\{[^{}]*\}\}$/, // ${{ secrets.X }}
  /^\{\{[^{}]*\}\}$/, // {{password}}
  /^%\(?[a-z_]*\)?s$/i, // %s, %(password)s
  /^\$[A-Z_][A-Z0-9_]*$/, // $PGPASSWORD
  /^[*x.•]+$/i, // ***, xxxx, ...
];

/** The password part of the first `scheme://user:password@` in a value. */
export function urlPassword(value: string): string | null {
  // `${{ … }}` (GitHub Actions) may hold spaces; any other password may not.
  const match = /:\/\/[^\s:/@]*:((?:\$\{\{[^}]*\}\}|[^\s@])*)@/.exec(value);
  return match ? (match[1] ?? "") : null;
}

export function isPlaceholderCredential(rule: string, value: string): boolean {
  if (!URL_CREDENTIAL_RULES.has(rule)) return false;
  const password = urlPassword(value);
  if (password === null) return false;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // not percent-encoded text; judge it as written
  }
  return decoded.length === 0 || PLACEHOLDER.some((p) => p.test(decoded));
}
