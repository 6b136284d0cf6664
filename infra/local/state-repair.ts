/**
 * Repairs the one way a killed `pulumi` leaves the file backend unreadable.
 *
 * The file backend writes each object as a temporary file plus an `.attrs`
 * sidecar (JSON metadata), then renames the temporary file into place. The
 * sidecar is written first, truncated and then filled: a kill in between
 * (Ctrl-C twice, an OOM kill, a closed laptop) leaves an empty `.attrs` next
 * to the previous, intact checkpoint, and every later command fails with
 * `failed to load checkpoint: EOF` while decoding it. A missing sidecar is
 * fine (the backend treats it as no metadata), so removing a broken one
 * restores the last checkpoint that was completely written.
 */
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";

function sidecars(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sidecars(path);
    return name.endsWith(".attrs") ? [path] : [];
  });
}

function broken(path: string): boolean {
  const text = readFileSync(path, "utf8");
  if (text.trim() === "") return true;
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

/** Remove empty or unreadable `.attrs` sidecars under `stateDir`; returns them, relative to it. */
export function repairInterruptedCheckpoints(stateDir: string): string[] {
  const removed: string[] = [];
  for (const path of sidecars(join(stateDir, ".pulumi"))) {
    if (!broken(path)) continue;
    rmSync(path);
    removed.push(relative(stateDir, path));
  }
  return removed.sort();
}

/** What `npm run local` says after a repair. */
export function describeRepair(stateDirLabel: string, removed: readonly string[]): string {
  return (
    `repaired ${stateDirLabel}: removed ${removed.join(", ")} — empty or truncated checkpoint metadata left by a ` +
    `pulumi command that was killed while saving, which made every command fail with ` +
    `"failed to load checkpoint: EOF". The checkpoint before it is intact; the up that follows compares ` +
    `the declaration with the live database, so it converges whatever the killed command had committed.`
  );
}
