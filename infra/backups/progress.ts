/**
 * Progress of long work (dump, upload, verify, restore): the library reports
 * events; commands render them as a bar on a TTY (cli-progress) or as plain
 * lines at most every few seconds otherwise, and `--json` prints none.
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

/**
 * A renderer for a command: a cli-progress bar (bytes, rate, ETA) on a TTY,
 * otherwise a plain line per phase change and at most one per `intervalMs`.
 */
export function progressRenderer(options: {
  tty: boolean;
  write: (line: string) => void;
  intervalMs?: number;
  now?: () => number;
}): { callback: ProgressCallback; stop(): void } {
  const now = options.now ?? Date.now;
  if (options.tty) {
    const cliProgress = require("cli-progress") as typeof import("cli-progress");
    const bar = new cliProgress.SingleBar(
      {
        format: "{phase} [{bar}] {done} / {total} | {rate}/s | ETA {eta_formatted}",
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let phase: string | undefined;
    let started = now();
    return {
      callback(e) {
        if (e.note) {
          bar.stop();
          options.write(e.note);
          phase = undefined;
          return;
        }
        if (e.phase !== phase) {
          bar.stop();
          phase = e.phase;
          started = now();
          bar.start(e.totalBytes ?? Math.max(e.bytes, 1), e.bytes, { phase: e.phase });
        }
        if (!e.totalBytes) bar.setTotal(Math.max(e.bytes * 2, 1));
        const seconds = Math.max((now() - started) / 1000, 0.001);
        bar.update(e.bytes, {
          phase: e.phase,
          done: formatBytes(e.bytes),
          total: e.totalBytes ? formatBytes(e.totalBytes) : "?",
          rate: formatBytes(e.bytes / seconds),
        });
      },
      stop: () => bar.stop(),
    };
  }
  const interval = options.intervalMs ?? 5_000;
  let phase: string | undefined;
  let last = 0;
  let started = now();
  return {
    callback(e) {
      if (e.note) return options.write(e.note);
      const t = now();
      if (e.phase === phase && t - last < interval) return;
      if (e.phase !== phase) started = t;
      phase = e.phase;
      last = t;
      const rate = e.bytes / Math.max((t - started) / 1000, 0.001);
      const of = e.totalBytes ? ` of ${formatBytes(e.totalBytes)}` : "";
      const eta =
        e.totalBytes && rate > 0 && t > started
          ? `, ETA ${Math.ceil((e.totalBytes - e.bytes) / rate)} s`
          : "";
      options.write(`${e.phase}: ${formatBytes(e.bytes)}${of} (${formatBytes(rate)}/s${eta})`);
    },
    stop: () => undefined,
  };
}
