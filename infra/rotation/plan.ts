/**
 * What a credential's rotation does next, decided without I/O: the state in
 * the stack (current, previous, retired generations) plus the declaration and
 * the triggers give one action. The provider only carries it out.
 *
 * Triggers, strongest first: a rollback or an emergency asked for by
 * `npm run rotate`, a rotation it asked for, a bumped epoch, then age. Age is
 * the only trigger staggering defers: the others are someone asking.
 */

/** One generation of a credential, without its value. */
export interface Slot {
  /** What revocation addresses: a login role and generation, a key id, a generation. */
  id: string;
  generation: number;
  createdAt: string;
  /** Non-secret facts for the audit log (login role name, key name…). */
  detail: Record<string, string>;
}

/** A generation that must be revoked; kept in state until a revocation confirms it. */
export interface RetiredEntry extends Slot {
  retiredAt: string;
  /** superseded: two rotations old; expired: the overlap ended; emergency: revoked at once. */
  reason: "superseded" | "expired" | "emergency";
}

export interface CredentialState {
  /** The highest generation ever created (generations are never reused). */
  generation: number;
  current: Slot;
  /** Still valid until the overlap ends or the next rotation. */
  previous?: Slot;
  /** When the previous stops being valid. */
  previousExpiresAt?: string;
  /** When the current became current. */
  rotatedAt: string;
  /** Queue of generations to revoke, newest last, bounded by RETIRED_KEPT. */
  retired: RetiredEntry[];
  /** The triggers already acted on, so each acts once. */
  served: { epoch: number; request?: string; emergency?: string; rollback?: string };
}

export interface Triggers {
  intervalDays: number;
  overlapMinutes: number;
  epoch: number;
  /** Nonces from `npm run rotate`: a new value asks once. */
  request?: string;
  emergency?: string;
  rollback?: string;
  staggerMinutes: number;
  /** The latest rotation of the credentials declared before this one, in this run or earlier. */
  after?: string;
}

export type Action =
  | { kind: "none"; reason: string }
  | { kind: "create"; reason: string }
  | { kind: "rotate"; reason: string; emergency: boolean }
  | { kind: "expire-previous"; reason: string }
  | { kind: "rollback"; reason: string };

/** Retired entries older than the newest ones are dropped once the queue is this long. */
export const RETIRED_KEPT = 20;

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;

function isNew(nonce: string | undefined, served: string | undefined): nonce is string {
  return nonce !== undefined && nonce !== "" && nonce !== served;
}

export function decide(state: CredentialState | undefined, t: Triggers, now: Date): Action {
  if (!state) return { kind: "create", reason: "first generation" };
  if (isNew(t.rollback, state.served.rollback)) {
    return state.previous
      ? {
          kind: "rollback",
          reason: `asked to point back to generation ${state.previous.generation}`,
        }
      : { kind: "none", reason: "rollback asked, but there is no previous generation" };
  }
  if (isNew(t.emergency, state.served.emergency))
    return { kind: "rotate", reason: "emergency rotation asked", emergency: true };
  if (isNew(t.request, state.served.request))
    return { kind: "rotate", reason: "rotation asked", emergency: false };
  if (t.epoch > state.served.epoch)
    return {
      kind: "rotate",
      reason: `epoch bumped to ${t.epoch} (was ${state.served.epoch})`,
      emergency: false,
    };
  const age = now.getTime() - Date.parse(state.rotatedAt);
  if (age >= t.intervalDays * DAY) {
    const days = Math.floor(age / DAY);
    if (t.after !== undefined && t.staggerMinutes > 0) {
      const since = now.getTime() - Date.parse(t.after);
      if (since >= 0 && since < t.staggerMinutes * MINUTE)
        return {
          kind: "none",
          reason: `due (${days} days old), deferred: another credential rotated ${Math.round(since / MINUTE)} min ago (staggerMinutes ${t.staggerMinutes})`,
        };
    }
    return {
      kind: "rotate",
      reason: `${days} days old (intervalDays ${t.intervalDays})`,
      emergency: false,
    };
  }
  if (
    state.previous &&
    state.previousExpiresAt &&
    Date.parse(state.previousExpiresAt) <= now.getTime()
  )
    return {
      kind: "expire-previous",
      reason: `the overlap of generation ${state.previous.generation} ended at ${state.previousExpiresAt}`,
    };
  return { kind: "none", reason: "not due" };
}

function retire(
  list: RetiredEntry[],
  slot: Slot | undefined,
  reason: RetiredEntry["reason"],
  at: string,
) {
  if (!slot) return list;
  return [...list, { ...slot, retiredAt: at, reason }].slice(-RETIRED_KEPT);
}

/** The state after a first generation. */
export function created(slot: Slot, t: Triggers, now: Date): CredentialState {
  return {
    generation: slot.generation,
    current: slot,
    rotatedAt: now.toISOString(),
    retired: [],
    served: { epoch: t.epoch, request: t.request, emergency: t.emergency, rollback: t.rollback },
  };
}

/**
 * The state after a rotation to `next`: current becomes previous (valid for
 * the overlap), the old previous is retired; in an emergency the old current
 * is retired too, so nothing but the new credential survives the run.
 */
export function rotated(
  state: CredentialState,
  next: Slot,
  t: Triggers,
  emergency: boolean,
  now: Date,
): CredentialState {
  const at = now.toISOString();
  let retiredList = retire(state.retired, state.previous, "superseded", at);
  if (emergency) retiredList = retire(retiredList, state.current, "emergency", at);
  return {
    generation: next.generation,
    current: next,
    previous: emergency ? undefined : state.current,
    previousExpiresAt: emergency
      ? undefined
      : new Date(now.getTime() + t.overlapMinutes * MINUTE).toISOString(),
    rotatedAt: at,
    retired: retiredList,
    served: {
      epoch: Math.max(t.epoch, state.served.epoch),
      request: t.request,
      emergency: t.emergency,
      rollback: t.rollback,
    },
  };
}

export function previousExpired(state: CredentialState, t: Triggers, now: Date): CredentialState {
  return {
    ...state,
    previous: undefined,
    previousExpiresAt: undefined,
    retired: retire(state.retired, state.previous, "expired", now.toISOString()),
    served: { ...state.served, rollback: t.rollback },
  };
}

/**
 * Back to the last known-good generation: the failed one stays valid as the
 * previous (both work until its overlap ends), nothing is revoked.
 */
export function rolledBack(state: CredentialState, t: Triggers, now: Date): CredentialState {
  if (!state.previous) return state;
  return {
    ...state,
    current: state.previous,
    previous: state.current,
    previousExpiresAt: new Date(now.getTime() + t.overlapMinutes * MINUTE).toISOString(),
    rotatedAt: now.toISOString(),
    served: { ...state.served, rollback: t.rollback, request: t.request, emergency: t.emergency },
  };
}

/** The latest rotation among this credential and those before it (the stagger chain's next link). */
export function chainLatest(state: CredentialState, after: string | undefined): string {
  if (after === undefined) return state.rotatedAt;
  return Date.parse(after) > Date.parse(state.rotatedAt) ? after : state.rotatedAt;
}
