/**
 * What a long-running core reports progress to (a dump, an upload, the steps
 * of a deploy). The commands' implementation (a bar on a terminal, plain
 * lines otherwise, nothing with --json) is in scripts/lib/progress.ts; cores
 * see only this shape.
 */
export type ProgressUnit = "bytes" | "items";

export interface ProgressTask {
  /** Set the amount done so far. */
  update(done: number): void;
  increment(by?: number): void;
  /** The task ended; `summary` replaces the default closing line. */
  finish(summary?: string): void;
}

export interface Progress {
  /** A task with an amount (bytes or items); `total` when it is known. */
  task(label: string, options?: { total?: number; unit?: ProgressUnit }): ProgressTask;
  /** One step of a sequence: `[2/5] revoke the old key`, or `[2] …` while the total is unknown (an engine's steps). */
  step(index: number, total: number | undefined, label: string): void;
}
