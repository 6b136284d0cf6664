/**
 * Progress of long work (dump, upload, verify, restore): the library reports
 * events; the commands hand them to the runner's progress (scripts/lib/backup-cli.ts),
 * a bar on a TTY, plain lines at most every few seconds otherwise, none with --json.
 */
export interface ProgressEvent {
  /** What is running, e.g. `dump`, `verify`, `restore`. */
  phase: string;
  /** Bytes done in this phase. */
  bytes: number;
  /** Bytes expected, when known (restore, verify); a dump's size is not known ahead. */
  totalBytes?: number;
  /** A one-off message (a lock wait, a skipped step). */
  note?: string;
}

export type ProgressCallback = (event: ProgressEvent) => void;

export const noProgress: ProgressCallback = () => undefined;

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}
