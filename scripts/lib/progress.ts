/**
 * Progress for long work (a dump, an upload, a rotation's steps), on stderr
 * so stdout stays the command's result:
 * - on a terminal, a live bar with the amount done, the rate and the ETA (cli-progress);
 * - otherwise (CI logs, a pipe), a plain line at the start, at most every few
 *   seconds while running, and at the end;
 * - with --json, nothing at all.
 */
import { SingleBar } from "cli-progress";
import { formatBytes, formatCount, formatDuration } from "../../infra/lib/format";
import type { Progress, ProgressTask, ProgressUnit } from "../../infra/lib/progress";

export type { Progress, ProgressTask, ProgressUnit };

export interface ProgressOptions {
  mode: "tty" | "lines" | "silent";
  /** Where lines go (plain mode) — stderr. */
  write: (line: string) => void;
  /** The stream the bar draws on (tty mode). */
  stream?: NodeJS.WritableStream;
  now: () => number;
  /** Plain mode: at most one line per this many ms while running. */
  intervalMs?: number;
}

function amount(n: number, unit: ProgressUnit): string {
  return unit === "bytes" ? formatBytes(n) : formatCount(n);
}

function rateOf(done: number, elapsedMs: number, unit: ProgressUnit): string {
  const perSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  return unit === "bytes" ? `${formatBytes(perSecond)}/s` : `${formatCount(perSecond)}/s`;
}

/** `12.0 MB of 100 MB (12%), 3.0 MB/s, ETA 29 s` — what a plain line says while running. */
export function describeProgress(
  done: number,
  total: number | undefined,
  elapsedMs: number,
  unit: ProgressUnit,
): string {
  const rate = rateOf(done, elapsedMs, unit);
  if (total === undefined || total <= 0) return `${amount(done, unit)}, ${rate}`;
  const percent = Math.min(100, Math.floor((done / total) * 100));
  const perMs = elapsedMs > 0 ? done / elapsedMs : 0;
  const eta = perMs > 0 ? `ETA ${formatDuration((total - done) / perMs / 1000)}` : "ETA unknown";
  return `${amount(done, unit)} of ${amount(total, unit)} (${percent}%), ${rate}, ${eta}`;
}

const SILENT_TASK: ProgressTask = { update() {}, increment() {}, finish() {} };

export function createProgress(options: ProgressOptions): Progress {
  const interval = options.intervalMs ?? 5_000;
  return {
    step(index, total, label) {
      if (options.mode !== "silent")
        options.write(`[${total === undefined ? index : `${index}/${total}`}] ${label}`);
    },
    task(label, taskOptions = {}) {
      if (options.mode === "silent") return SILENT_TASK;
      const unit = taskOptions.unit ?? "items";
      const total = taskOptions.total;
      const started = options.now();
      let done = 0;
      let finished = false;
      const closing = (summary?: string) =>
        summary ??
        `${label}: done, ${amount(done, unit)} in ${formatDuration((options.now() - started) / 1000)} (${rateOf(done, options.now() - started, unit)})`;

      if (options.mode === "tty") {
        const bar = new SingleBar({
          stream: options.stream,
          format: `${label} [{bar}] {percentage}% | {done} of {all} | {rate} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        });
        const payload = () => ({
          done: amount(done, unit),
          all: total === undefined ? "?" : amount(total, unit),
          rate: rateOf(done, options.now() - started, unit),
        });
        bar.start(total ?? 0, 0, payload());
        return {
          update(n) {
            done = n;
            bar.update(n, payload());
          },
          increment(by = 1) {
            this.update(done + by);
          },
          finish(summary) {
            if (finished) return;
            finished = true;
            bar.stop();
            options.write(closing(summary));
          },
        };
      }

      options.write(`${label}: started${total === undefined ? "" : ` (${amount(total, unit)})`}`);
      let lastLine = started;
      return {
        update(n) {
          done = n;
          const now = options.now();
          if (now - lastLine < interval) return;
          lastLine = now;
          options.write(`${label}: ${describeProgress(done, total, now - started, unit)}`);
        },
        increment(by = 1) {
          this.update(done + by);
        },
        finish(summary) {
          if (finished) return;
          finished = true;
          options.write(closing(summary));
        },
      };
    },
  };
}
