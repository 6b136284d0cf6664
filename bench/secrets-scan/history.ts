/**
 * How long does a history scan take, and what does streaming buy? On this
 * repository's own history and on a generated one, times (median of N runs
 * after one uncounted warm-up):
 *   (a) `git log -p` with the scan's arguments, output discarded: the
 *       floor, what git alone needs to produce the diffs;
 *   (b) `scanSecrets({ sources: ["history"] })`;
 *   (c) generated repository only: the design the scan avoids, one
 *       `git diff-tree` per commit and one `git show <commit>:<path>` per
 *       changed file, each whole file scanned.
 * Reports wall time and the ratio to (a), all measured in the same run.
 *
 *   npx tsx bench/secrets-scan/history.ts [--commits 1000] [--rounds 5] [--repo PATH]
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { detectSecrets } from "../../infra/secrets-scan/detect";
import { historyLogArgs } from "../../infra/secrets-scan/history";
import { scanSecrets } from "../../infra/secrets-scan";
import { fakeSecrets } from "../../test/support/fake-secrets";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const commits = Number(option("commits") ?? 1000);
const rounds = Number(option("rounds") ?? 5);
const ownRepo =
  option("repo") ??
  execFileSync("git", ["rev-parse", "--show-toplevel"], { encoding: "utf8" }).trim();

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: page cache, module init
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

function gitLogFloor(root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", historyLogArgs({}), {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.resume();
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git log exit ${code}`)),
    );
  });
}

async function scan(root: string) {
  return scanSecrets({ cwd: root, sources: ["history"] });
}

/** One process per commit and per changed file, each file scanned whole. */
async function perFileBaseline(root: string): Promise<number> {
  const git = (...a: string[]) =>
    spawnSync("git", a, { cwd: root, encoding: "utf8", maxBuffer: 1 << 30 }).stdout;
  let findings = 0;
  for (const commit of git("rev-list", "--all").split("\n").filter(Boolean)) {
    const changed = git(
      "diff-tree",
      "--root",
      "--no-commit-id",
      "-r",
      "--name-only",
      "--no-renames",
      "--diff-filter=AM",
      commit,
    );
    for (const path of changed.split("\n").filter(Boolean)) {
      findings += (await detectSecrets(git("show", `${commit}:${path}`), path)).length;
    }
  }
  return findings;
}

/** A linear history: each commit rewrites 5 lines in each of 3 of 30 files; 10 commits plant a secret. */
function generateRepo(count: number): string {
  const root = mkdtempSync(join(tmpdir(), "bench-secrets-"));
  execFileSync("git", ["init", "-q", "-b", "main", root]);
  const files = Array.from({ length: 30 }, (_, f) =>
    Array.from(
      { length: 80 },
      (_, l) => `export const v${f}_${l} = "${"x".repeat(20 + ((f * l) % 40))}";`,
    ),
  );
  const chunks: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let planted = 0;
  for (let c = 1; c <= count; c++) {
    chunks.push(`commit refs/heads/main\nmark :${c}\n`);
    chunks.push(`author Bench <bench@example.test> ${1_700_000_000 + c * 60} +0000\n`);
    chunks.push(`committer Bench <bench@example.test> ${1_700_000_000 + c * 60} +0000\n`);
    chunks.push(data(`commit ${c}`));
    if (c > 1) chunks.push(`from :${c - 1}\n`);
    const touched = c === 1 ? files.map((_, i) => i) : [c % 30, (c * 7) % 30, (c * 13) % 30];
    for (const f of new Set(touched)) {
      const lines = files[f] ?? [];
      for (let k = 0; k < 5; k++)
        lines[(c * 31 + k * 17) % lines.length] = `export const e${c}_${k} = ${c * k};`;
      if (c % Math.max(1, Math.floor(count / 10)) === 0 && f === touched[0]) {
        lines[3] = `const token = "${fakeSecrets().githubToken}";`;
        planted++;
      }
      chunks.push(`M 100644 inline src/file${f}.ts\n${data(lines.join("\n") + "\n")}`);
    }
  }
  const stream = join(root, "..", `${root.split("/").pop()}.fi`);
  writeFileSync(stream, chunks.join(""));
  execFileSync("sh", ["-c", `git fast-import --quiet < '${stream}'`], { cwd: root });
  rmSync(stream);
  execFileSync("git", ["checkout", "-q", "main"], { cwd: root });
  console.error(`generated ${count} commits, ${planted} planted secrets, in ${root}`);
  return root;
}

function row(name: string, seconds: number, floor: number): string {
  return `| ${name} | ${seconds.toFixed(3)} s | ${(seconds / floor).toFixed(2)}× |`;
}

async function main() {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  const out: string[] = [
    "# Secret scan benchmarks (bench/secrets-scan/history.ts)",
    "",
    `${new Date().toISOString()} · ${cpus().length} CPU(s) · Node ${process.version} · ${execFileSync("git", ["--version"], { encoding: "utf8" }).trim()} · median of ${rounds} rounds after one uncounted warm-up · load average at start ${load}`,
    "",
  ];
  const json: Record<string, unknown> = { date: new Date().toISOString(), rounds };

  const own = await scan(ownRepo);
  const ownFloor = await median(() => gitLogFloor(ownRepo));
  const ownScan = await median(() => scan(ownRepo));
  out.push(
    `## This repository (${own.stats.commitsScanned} commits on all refs, ${own.stats.patchesScanned} file changes, ${(own.stats.bytesScanned / 1e6).toFixed(1)} MB of added lines)`,
    "",
    "| run | wall time | ratio to git log -p |",
    "| --- | --- | --- |",
    row("`git log -p` (baseline)", ownFloor, ownFloor),
    row("history scan", ownScan, ownFloor),
    "",
  );
  json.own = {
    commits: own.stats.commitsScanned,
    patches: own.stats.patchesScanned,
    floor: ownFloor,
    scan: ownScan,
  };

  const generated = generateRepo(commits);
  try {
    const result = await scan(generated);
    const floor = await median(() => gitLogFloor(generated));
    const streamed = await median(() => scan(generated));
    // The per-file baseline is slow; one timed run after its warm-up is enough for a ratio.
    const perFileRounds = 1;
    await perFileBaseline(generated);
    const t = process.hrtime.bigint();
    const naiveFindings = await perFileBaseline(generated);
    const perFile = Number(process.hrtime.bigint() - t) / 1e9;
    out.push(
      `## Generated history (${result.stats.commitsScanned} commits, ${result.stats.patchesScanned} file changes, ${result.findings.length} findings; per-file baseline found ${naiveFindings} occurrences)`,
      "",
      "| run | wall time | ratio to git log -p |",
      "| --- | --- | --- |",
      row("`git log -p` (baseline)", floor, floor),
      row("history scan (one git log stream)", streamed, floor),
      row(`one git process per commit and per file (${perFileRounds} timed run)`, perFile, floor),
      "",
      `The stream is ${(perFile / streamed).toFixed(1)}× faster than the per-file design on the same history.`,
      "",
    );
    json.generated = {
      commits: result.stats.commitsScanned,
      findings: result.findings.length,
      floor,
      scan: streamed,
      perFile,
    };
  } finally {
    rmSync(generated, { recursive: true, force: true });
  }
  mkdirSync(join(__dirname, "..", "results"), { recursive: true });
  writeFileSync(join(__dirname, "..", "results", "secrets-scan.md"), out.join("\n"));
  writeFileSync(
    join(__dirname, "..", "results", "secrets-scan.json"),
    JSON.stringify(json, null, 2) + "\n",
  );
  console.log(out.join("\n"));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
