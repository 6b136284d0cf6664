/**
 * A Postgres connection string, validated once, before anything connects.
 *
 * The driver resolves what it is given as a URL relative to a base, so a
 * typo does not fail where it is: `postgres//…` looks up the host "base",
 * `postgress://…` connects anyway, `http://…` dies with "Connection
 * terminated", and an unencoded `#`, `/` or `?` in the password moves the
 * host into the password and the password into the path. Each of those gets
 * a message here that says what is wrong and how to write it — without ever
 * repeating the password or anything a malformed string might have put
 * where the host should be.
 */

export class ConnectionStringError extends Error {
  constructor(
    /** What is wrong, never a part of the string itself. */
    readonly problem: string,
    /** How to write it correctly. */
    readonly fix: string,
    /** Where the string came from, e.g. `--database-url`. */
    readonly from: string,
  ) {
    super(`the connection string from ${from} ${problem}\n  fix: ${fix}`);
    this.name = "ConnectionStringError";
  }
}

/** Where a connection string came from, for the message and the fix. */
export interface ConnectionSource {
  /** `--database-url`, `DATABASE_URL`, `secret databaseUrl of stack staging`. */
  from: string;
  /**
   * When the string is (or should be) a stack's secret config value: the
   * stack and key, so the fix is the exact `pulumi config set --secret` to run.
   */
  stack?: string;
  configKey?: string;
}

export interface PostgresConnection {
  /** The string as given; safe to hand to the driver. */
  connectionString: string;
  host: string;
  port: number;
  database: string;
  user?: string;
  /** `host:port/database`: what messages may show. */
  target: string;
}

/** Angle brackets keep the redactor from masking the example itself. */
const SHAPE = "postgres://<user>:<password>@<host>:5432/<database>";

/** Characters that end or move a URL part when left unencoded in a password. */
const SPECIAL: Record<string, string> = {
  "@": "%40",
  "#": "%23",
  "/": "%2F",
  "?": "%3F",
  "%": "%25",
  ":": "%3A",
  " ": "%20",
};

function fixFor(source: ConnectionSource, advice: string): string {
  const example = SHAPE.replace("<password>", "<percent-encoded password>");
  if (source.stack && source.configKey)
    return `${advice}; store it with: pulumi config set --secret ${source.configKey} '${example}' -s ${source.stack}`;
  return `${advice}, e.g. ${example}`;
}

function encodingAdvice(chars: string[]): string {
  const shown = chars.map((c) => `'${c}' as ${SPECIAL[c]}`).join(", ");
  return (
    `percent-encode the password: write ${shown} ` +
    "(encodeURIComponent in JavaScript, urllib.parse.quote(pw, safe='') in Python)"
  );
}

/** The special characters present in the part of `rest` before its last plausible `@`. */
function specialsBeforeAt(rest: string, includeColon: boolean): string[] {
  const at = rest.lastIndexOf("@");
  if (at < 0) return [];
  const userinfo = rest.slice(0, at);
  const password = includeColon ? userinfo : userinfo.slice(userinfo.indexOf(":") + 1);
  return Object.keys(SPECIAL).filter(
    (c) => c !== ":" && (c === "%" ? /%(?![0-9A-Fa-f]{2})/.test(password) : password.includes(c)),
  );
}

/**
 * Check a connection string: scheme, host and database, and a password whose
 * special characters are percent-encoded. Throws ConnectionStringError.
 */
export function parseConnectionString(
  raw: string,
  source: ConnectionSource = { from: "the connection string" },
): PostgresConnection {
  const fail = (problem: string, advice: string): never => {
    throw new ConnectionStringError(problem, fixFor(source, advice), source.from);
  };
  const text = raw.trim();
  if (text === "") fail("is empty", "give the database owner's connection string");

  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):(\/*)/.exec(text);
  if (!scheme) {
    if (/^postgres(ql)?\/\//i.test(text))
      fail("is missing the ':' after the scheme", "write it as postgres://…");
    if (/^\s*\w+\s*=/.test(text))
      fail("is a key=value (libpq) string; only the URL form is accepted", "write it as a URL");
    fail("does not start with postgres:// or postgresql://", "write it as a URL");
  }
  const [prefix, name, slashes] = scheme as unknown as [string, string, string];
  const lower = name.toLowerCase();
  if (lower === "http" || lower === "https")
    fail(
      `is a web address (${lower}://), not a Postgres connection string`,
      "use the database's connection string (Supabase: Project Settings → Database), not the API URL",
    );
  if (lower !== "postgres" && lower !== "postgresql")
    fail(`has the unknown scheme '${name}:'`, "start it with postgres:// or postgresql://");
  if (slashes !== "//") fail(`needs exactly '//' after '${name}:'`, `write it as ${name}://…`);

  const rest = text.slice(prefix.length);
  const authority = rest.split(/[/?#]/, 1)[0]!;
  if ((authority.match(/@/g) ?? []).length > 1)
    fail(
      "has more than one '@' before the host: the password contains an unencoded '@'",
      encodingAdvice(["@", ...specialsBeforeAt(authority, false).filter((c) => c !== "@")]),
    );

  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  // A `user:pass…@` after the authority means '/', '?' or '#' cut the password short
  // (a '=' before that '@' is a query parameter holding an '@', which is fine).
  const beforeLastAt = rest.slice(0, Math.max(0, rest.lastIndexOf("@")));
  const cut =
    !authority.includes("@") &&
    rest.slice(authority.length).includes("@") &&
    beforeLastAt.includes(":") &&
    !beforeLastAt.includes("=");
  if (!url || cut || url.hash !== "") {
    const chars = specialsBeforeAt(rest, false);
    if (url?.hash && !chars.includes("#")) chars.push("#");
    if (chars.length > 0)
      fail(
        `cannot be read: the password contains ${chars.map((c) => `'${c}'`).join(", ")} unencoded`,
        encodingAdvice(chars),
      );
    fail("is not a valid URL", "write it as a URL");
  }
  const parsed = url!;
  for (const [part, value] of [
    ["user name", parsed.username],
    ["password", parsed.password],
  ] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      fail(
        `has a '%' in the ${part} that is not followed by two hex digits`,
        encodingAdvice(["%"]),
      );
    }
  }
  const host = parsed.hostname;
  if (host === "") fail("has no host", "write it as a URL");
  const database = safeDecode(parsed.pathname.replace(/^\//, ""));
  if (database === "")
    fail("names no database (the part after the host's '/')", "write it as a URL");
  if (/[/@]/.test(database))
    fail(
      "has a database name with '/' or '@' in it: a password with an unencoded '/' moves the host",
      encodingAdvice(["/", "@"]),
    );
  const port = parsed.port === "" ? 5432 : Number(parsed.port);
  return {
    connectionString: text,
    host,
    port,
    database,
    user: parsed.username ? safeDecode(parsed.username) : undefined,
    target: `${host}:${port}/${database}`,
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Host, port and database of a connection string, for messages. Never the user or password. */
export function describeTarget(connectionString: string): string {
  try {
    return parseConnectionString(connectionString).target;
  } catch {
    return "<database (connection string not shown)>";
  }
}
