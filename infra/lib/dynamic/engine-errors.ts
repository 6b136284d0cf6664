/**
 * What a provider's failure looks like to the engine. Pulumi's dynamic
 * provider host treats any thrown error with an `id` property as "created,
 * but failed to initialize" and stores the error's `properties` (none: `{}`)
 * as the resource's outputs. Our errors carry `id` for another reason (the
 * finding id, e.g. BackupSetupError's `require-pg-dump`), so a failed backup
 * wiped the BackupJob's stored outputs, loader included, and every later
 * refresh failed with "code must be a string, not undefined". Only the
 * message crosses to the engine; nothing here ever reports a partial create.
 */
import type { IdentifiedProvider } from "./types";

const METHODS = ["check", "diff", "create", "read", "update", "delete"] as const;

/**
 * `error` as a plain Error the engine cannot mistake for a partial create:
 * its name, message and stack, nothing else.
 */
export function engineError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const plain = new Error(error.message);
  plain.name = error.name;
  plain.stack = error.stack;
  return plain;
}

/** `provider` with every method's failure passed through `engineError`. */
export function withEngineSafeErrors<P extends IdentifiedProvider>(provider: P): P {
  const wrapped = { ...provider } as Record<string, unknown>;
  for (const name of METHODS) {
    const method = provider[name] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (typeof method !== "function") continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await method.apply(provider, args);
      } catch (error) {
        throw engineError(error);
      }
    };
  }
  return wrapped as P;
}
