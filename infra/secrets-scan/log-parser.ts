/**
 * Parses the output of `git log -p -U0 --full-index --no-renames` with a
 * commit marker line into one record per changed file: the commit, the path,
 * the new blob id and the added lines with their line numbers in the new
 * file. Hunk bodies are consumed by count (from the `@@` header), so a
 * content line can never be mistaken for a header, whatever it contains.
 */

/** `--format` of the commit line: a byte no diff line starts with, the id, the author date. */
export const COMMIT_FORMAT = "%x01%H %aI";
const COMMIT_MARK = "\x01";

export interface AddedLine {
  /** 1-based line number in the new version of the file. */
  line: number;
  text: string;
}

export interface FilePatch {
  commit: string;
  authorDate: string;
  path: string;
  /** The new blob's id; null when the file was deleted. */
  blob: string | null;
  /** The new file mode, e.g. `100644`, `120000` (symlink), `160000` (submodule). */
  mode: string | null;
  /** Git printed "Binary files … differ" instead of a diff. */
  binary: boolean;
  added: AddedLine[];
  /** Bytes of added text; counted even past the cap, when lines are no longer kept. */
  addedBytes: number;
  /** More than `maxAddedBytes` were added; `added` is incomplete and must not be scanned. */
  truncated: boolean;
}

const ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '"': 34,
  "\\": 92,
};

/** Undo git's C-style quoting of a path (`"a/caf\303\251 \"x\""`), bytes decoded as UTF-8. */
export function unquoteGitPath(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return text;
  const bytes: number[] = [];
  const body = text.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? "";
    if (ch !== "\\") {
      bytes.push(...Buffer.from(ch, "utf8"));
      continue;
    }
    const next = body[i + 1] ?? "";
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * The path of `diff --git a/<p> b/<p>`. Without rename detection both sides
 * are the same path, so an unquoted header splits at its middle even when
 * the path contains " b/".
 */
export function pathFromDiffHeader(header: string): string | null {
  const rest = header.slice("diff --git ".length);
  if (rest.startsWith('"')) {
    const end = rest.indexOf('" ', 1);
    const quoted = end === -1 ? rest : rest.slice(0, end + 1);
    return unquoteGitPath(quoted).replace(/^a\//, "");
  }
  if ((rest.length - 5) % 2 !== 0 || !rest.startsWith("a/")) return null;
  return rest.slice(2, 2 + (rest.length - 5) / 2);
}

const HUNK = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const NULL_OID = /^0+$/;

/** Push lines in, get finished file patches out (also through `end()`). */
export class LogPatchParser {
  private commit = "";
  private authorDate = "";
  private file: FilePatch | null = null;
  private oldLeft = 0;
  private newLeft = 0;
  private nextLine = 0;
  private done: FilePatch[] = [];
  /** Commits seen so far, including those that changed no file. */
  commits = 0;

  constructor(private readonly maxAddedBytes: number) {}

  push(line: string): void {
    if (this.oldLeft > 0 || this.newLeft > 0) {
      this.hunkLine(line);
      return;
    }
    if (line.startsWith(COMMIT_MARK)) {
      this.finishFile();
      const [commit = "", authorDate = ""] = line.slice(1).split(" ");
      this.commit = commit;
      this.authorDate = authorDate;
      this.commits++;
      return;
    }
    if (line.startsWith("diff --git ")) {
      this.finishFile();
      const path = pathFromDiffHeader(line);
      if (path === null) throw new Error(`cannot read the path of git log line: ${line}`);
      this.file = {
        commit: this.commit,
        authorDate: this.authorDate,
        path,
        blob: null,
        mode: null,
        binary: false,
        added: [],
        addedBytes: 0,
        truncated: false,
      };
      return;
    }
    const file = this.file;
    if (!file) return; // the blank line after a commit line
    if (line.startsWith("index ")) {
      // `index <old>..<new>[ <mode>]`
      const match = /^index [0-9a-f]+\.\.([0-9a-f]+)(?: (\d+))?/.exec(line);
      if (match?.[1]) file.blob = NULL_OID.test(match[1]) ? null : match[1];
      if (match?.[2]) file.mode = match[2];
    } else if (line.startsWith("new file mode ") || line.startsWith("new mode ")) {
      file.mode = line.slice(line.lastIndexOf(" ") + 1);
    } else if (line.startsWith("deleted file mode ")) {
      file.blob = null;
    } else if (line.startsWith("Binary files ") && line.endsWith(" differ")) {
      file.binary = true;
    } else {
      const hunk = HUNK.exec(line);
      if (hunk) {
        this.oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
        this.nextLine = Number(hunk[2]);
        this.newLeft = hunk[3] === undefined ? 1 : Number(hunk[3]);
      }
      // Anything else ("--- a/x", "+++ b/x", "old mode") carries nothing we need.
    }
  }

  private hunkLine(line: string): void {
    const kind = line[0];
    if (kind === "\\") return; // "\ No newline at end of file"
    if (kind === "-") {
      this.oldLeft--;
      return;
    }
    if (kind === " " || kind === undefined) {
      this.oldLeft--;
      this.newLeft--;
      this.nextLine++;
      return;
    }
    // "+"
    const file = this.file;
    const text = line.slice(1);
    this.newLeft--;
    if (file) {
      file.addedBytes += text.length + 1;
      if (file.addedBytes > this.maxAddedBytes) {
        file.truncated = true;
        file.added = [];
      } else {
        file.added.push({ line: this.nextLine, text });
      }
    }
    this.nextLine++;
  }

  private finishFile(): void {
    if (this.file) this.done.push(this.file);
    this.file = null;
  }

  /** File patches completed since the last call. */
  take(): FilePatch[] {
    const out = this.done;
    this.done = [];
    return out;
  }

  /** Flush the last file patch. */
  end(): FilePatch[] {
    this.finishFile();
    return this.take();
  }
}

/**
 * The added lines as one text to scan, with a blank line wherever the file
 * had lines in between (so no pattern bridges two separate hunks), and the
 * file line of each text line (0 for those separators).
 */
export function addedText(added: readonly AddedLine[]): { text: string; lineMap: number[] } {
  const lines: string[] = [];
  const lineMap: number[] = [];
  let previous = -1;
  for (const { line, text } of added) {
    if (previous !== -1 && line !== previous + 1) {
      lines.push("");
      lineMap.push(0);
    }
    lines.push(text);
    lineMap.push(line);
    previous = line;
  }
  return { text: lines.join("\n"), lineMap };
}
