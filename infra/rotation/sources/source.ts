/**
 * What every kind of rotated credential provides. A source creates a
 * generation (idempotently: a crashed engine may have created it already),
 * and revokes a retired one; the rotation plan decides when.
 */
import type { RetiredEntry, Slot } from "../plan";

export interface CreatedGeneration {
  slot: Slot;
  /** The value the sinks receive. Secret. */
  value: string;
}

export interface CredentialSource {
  /** Create generation `generation`, given the current one (absent on the first). */
  create(generation: number, current: Slot | undefined): Promise<CreatedGeneration>;
  /** Revoke a retired generation; the live ones (current, and a previous still in its overlap) are never touched. Idempotent. */
  revoke(entry: RetiredEntry, live: Slot[]): Promise<{ detail: Record<string, string> }>;
  /**
   * After the gate: the current generation stays valid indefinitely, and the
   * previous one (if any) stops working at `until` on its own, where the
   * source can enforce a time (a Postgres VALID UNTIL); no later apply needed.
   */
  settle?(current: Slot, previous: { slot: Slot; until: string } | undefined): Promise<void>;
}
