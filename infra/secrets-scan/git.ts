/**
 * The git processes the scan needs, each started once per scan: short
 * commands read whole, `git log -p` read as a stream of lines, and one
 * `git cat-file --batch` that serves every blob. Nothing here starts a
 * process per commit or per file.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { SecretsScanError } from "./errors";

/** Options that keep user configuration from changing the output we parse. */
const NEUTRAL_CONFIG = [
  "-c",
  "core.quotePath=false",
  "-c",
  "log.showSignature=false",
  "-c",
  "log.showRoot=true",
  "-c",
  "diff.noprefix=false",
  "-c",
  "diff.mnemonicPrefix=false",
  "-c",
  "color.ui=false",
];

function start(cwd: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn("git", [...NEUTRAL_CONFIG, ...args], {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" },
  });
}

function spawnError(error: NodeJS.ErrnoException, cwd: string): SecretsScanError {
  if (error.code === "ENOENT") {
    // spawn reports a missing cwd the same way as a missing binary.
    return new SecretsScanError(
      "git-missing",
      `Cannot run git in ${cwd}: either git is not installed (install it, e.g. \`apt-get install git\`) or the directory does not exist.`,
    );
  }
  return new SecretsScanError("git-failed", `Cannot run git in ${cwd}: ${error.message}`);
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Run a short git command and collect its output. */
export function git(cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = start(cwd, args);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (error) => reject(spawnError(error, cwd)));
    child.on("close", (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8").trim(),
      }),
    );
  });
}

/** Run git and return stdout, or fail naming the command and git's own words. */
export async function gitOk(cwd: string, args: readonly string[]): Promise<Buffer> {
  const result = await git(cwd, args);
  if (result.code !== 0) {
    throw new SecretsScanError(
      "git-failed",
      `git ${args.join(" ")} failed in ${cwd} (exit ${result.code}): ${result.stderr || "no output"}`,
    );
  }
  return result.stdout;
}

/**
 * Stream a git command's stdout as lines split on LF only (a CR inside a
 * line is content, not a line end), decoded as UTF-8.
 */
export async function* gitLines(cwd: string, args: readonly string[]): AsyncGenerator<string> {
  const child = start(cwd, args);
  const err: Buffer[] = [];
  child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
  let spawnFailure: SecretsScanError | null = null;
  child.on("error", (error) => (spawnFailure = spawnError(error, cwd)));
  const closed = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  let rest: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      let from = 0;
      for (let nl = data.indexOf(10, from); nl !== -1; nl = data.indexOf(10, from)) {
        yield data.toString("utf8", from, nl);
        from = nl + 1;
      }
      rest = data.subarray(from);
    }
    if (rest.length > 0) yield rest.toString("utf8");
  } finally {
    // The consumer stopped early (an error while scanning): do not leave git running.
    if (child.exitCode === null) child.kill();
  }
  const code = await closed;
  if (spawnFailure) throw spawnFailure;
  if (code !== 0) {
    throw new SecretsScanError(
      "git-failed",
      `git ${args.join(" ")} failed in ${cwd} (exit ${code}): ${Buffer.concat(err).toString("utf8").trim() || "no output"}`,
    );
  }
}

interface PendingRead {
  oid: string;
  resolve: (content: Buffer | null) => void;
  reject: (error: Error) => void;
}

/**
 * One `git cat-file --batch` process answering blob requests in order: write
 * `<oid>\n`, read `<oid> <type> <size>\n<bytes>\n` (or `<oid> missing\n`).
 */
export class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: PendingRead[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private failure: Error | null = null;

  constructor(private readonly cwd: string) {
    this.child = start(cwd, ["cat-file", "--batch"]);
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.drain();
    });
    this.child.on("error", (error) => this.fail(spawnError(error, cwd)));
    this.child.on("close", (code) => {
      if (this.pending.length > 0) {
        this.fail(
          new SecretsScanError(
            "git-failed",
            `git cat-file --batch exited (${code}) in ${cwd} with reads pending`,
          ),
        );
      }
    });
  }

  /** The blob's bytes, or null when the object store does not have it. */
  read(oid: string): Promise<Buffer | null> {
    if (this.failure) return Promise.reject(this.failure);
    if (!/^[0-9a-f]{40,64}$/.test(oid))
      return Promise.reject(new Error(`not an object id: ${oid}`));
    return new Promise((resolve, reject) => {
      this.pending.push({ oid, resolve, reject });
      this.child.stdin.write(`${oid}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const read of this.pending.splice(0)) read.reject(error);
  }

  private drain(): void {
    for (;;) {
      const head = this.pending[0];
      const nl = this.buffer.indexOf(10);
      if (!head || nl === -1) return;
      const header = this.buffer.toString("utf8", 0, nl);
      if (header.endsWith(" missing")) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.pending.shift();
        head.resolve(null);
        continue;
      }
      const size = Number(header.split(" ")[2]);
      if (!Number.isInteger(size)) {
        this.fail(
          new SecretsScanError(
            "git-failed",
            `git cat-file --batch answered "${header}" for ${head.oid}`,
          ),
        );
        return;
      }
      const end = nl + 1 + size;
      if (this.buffer.length < end + 1) return;
      const content = Buffer.from(this.buffer.subarray(nl + 1, end));
      this.buffer = this.buffer.subarray(end + 1);
      this.pending.shift();
      head.resolve(content);
    }
  }
}

export interface Repository {
  /** Absolute path of the top-level directory. */
  root: string;
  /** The history is cut off at a graft (`git clone --depth`). */
  shallow: boolean;
}

/** The repository containing `cwd`, or a clear error saying it is none. */
export async function openRepository(cwd: string): Promise<Repository> {
  const top = await git(cwd, ["rev-parse", "--show-toplevel", "--is-shallow-repository"]);
  if (top.code !== 0) {
    throw new SecretsScanError(
      "not-a-repository",
      `${cwd} is not inside a git repository (git says: ${top.stderr || "no output"}). Run the scan from the repository's checkout, or pass its path.`,
    );
  }
  const [root, shallow] = top.stdout.toString("utf8").trim().split("\n");
  if (!root) {
    throw new SecretsScanError(
      "not-a-repository",
      `${cwd} is inside a bare repository or a .git directory; run the scan from a checkout with a working tree.`,
    );
  }
  return { root, shallow: shallow === "true" };
}

/** The full commit id a ref names, or a clear error saying it names none. */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  if (ref.length === 0 || ref.startsWith("-")) {
    throw new SecretsScanError(
      "unknown-ref",
      `"${ref}" is not a git ref; pass a branch, tag or commit id.`,
    );
  }
  const result = await git(root, [
    "rev-parse",
    "--verify",
    "--quiet",
    "--end-of-options",
    `${ref}^{commit}`,
  ]);
  const commit = result.stdout.toString("utf8").trim();
  if (result.code !== 0 || !commit) {
    throw new SecretsScanError(
      "unknown-ref",
      `Unknown git ref "${ref}": it names no commit in ${root}. Check it with \`git branch -a\` / \`git tag\`, fetch it (\`git fetch origin ${ref}\`), or, in a shallow clone, fetch the history (\`git fetch --unshallow\`).`,
    );
  }
  return commit;
}

/** Git's own rule for binary content: a NUL byte within the first 8000 bytes. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}
