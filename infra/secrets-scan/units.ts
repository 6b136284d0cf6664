/** What each source (worktree, staged, history) hands to the scanner: texts to scan and notes on what it skipped. */
import type { ScanNote, ScanSource, ScanStats } from "./types";

export interface ScanUnit {
  source: ScanSource;
  path: string;
  text: string;
  /** File line of each text line when the text is not the whole file (history: added lines only). */
  lineMap?: number[];
  commit?: string;
  authorDate?: string;
}

export type SourceEvent = { unit: ScanUnit } | { note: ScanNote };

/** Limits shared by every source. */
export interface SourceLimits {
  /** Files (or one commit's additions to a file) larger than this are skipped with a note. */
  maxFileBytes: number;
}

export type StatsCounter = Omit<ScanStats, "durationMs">;
