/** How bad a finding is; one scale for lints, checks, smoke tests, policies and incidents. */
export type FindingSeverity = "critical" | "high" | "medium" | "low" | "info";
/** One thing a command found: what, where, how bad, and what to do. */
export interface Finding {
  /** Stable rule or check id, verb-first kebab-case (e.g. `disallow-supabase-secret-key`). */
  id: string;
  severity: FindingSeverity;
  /** The object at fault: a file and line, a commit, a table, a resource. */
  subject: string;
  /** One sentence: what was found. Never carries a secret value. */
  message: string;
  /** What to do about it, concretely. */
  fix: string;
  /** Extra lines (affected rows, sessions, locations). */
  details?: string[];
  /**
   * The check could not run (missing extension, missing privilege, a table it
   * could not seed): its severity says how much that matters, and it is never
   * shown or counted as a pass.
   */
  couldNotCheck?: true;
}
