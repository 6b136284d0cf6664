/**
 * Query text as the checks show it. pg_stat_activity carries the statement as
 * the client sent it, and pg_stat_statements keeps utility statements such as
 * `ALTER ROLE … PASSWORD '…'` verbatim (Postgres 15 does not normalise them),
 * so every string literal is masked before the text leaves the database
 * session: a runbook's output ends up in incident channels and tickets.
 */

const MASK = "'…'";

/**
 * Replace every string literal ('…', E'…', $tag$…$tag$) with `'…'`, drop
 * comments, collapse whitespace, and cut to `maxLength` characters. An unterminated literal
 * (text truncated by the server's track_activity_query_size) is masked to
 * the end.
 */
export function maskQueryText(text: string, maxLength = 300): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "-" && text[i + 1] === "-") {
      // Comments are free text (a secret, an apostrophe that would derail the scan): drop them.
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
      out += " ";
      continue;
    }
    if (ch === '"') {
      // A quoted identifier may contain a single quote; copy it as it is.
      const end = text.indexOf('"', i + 1);
      const stop = end < 0 ? text.length : end + 1;
      out += text.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === "'") {
      const escapes = /[eE]/.test(text[i - 1] ?? "") && !/[\w$]/.test(text[i - 2] ?? "");
      if (escapes) out = out.slice(0, -1);
      i = skipQuoted(text, i + 1, escapes);
      out += MASK;
      continue;
    }
    if (ch === "$") {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      // `$1` placeholders are not dollar quotes; only `$$` and `$tag$` are.
      if (tag && !/[\w$]/.test(text[i - 1] ?? "")) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? text.length : end + tag[0].length;
        out += MASK;
        continue;
      }
    }
    out += ch;
    i++;
  }
  const collapsed = out.replace(/\s+/g, " ").trim();
  return collapsed.length > maxLength ? `${collapsed.slice(0, maxLength - 1)}…` : collapsed;
}

/** Index just past the closing quote of a literal whose body starts at `from`. */
function skipQuoted(text: string, from: number, backslashEscapes: boolean): number {
  let i = from;
  while (i < text.length) {
    const ch = text[i]!;
    if (backslashEscapes && ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === "'") {
      if (text[i + 1] === "'") {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return text.length;
}
