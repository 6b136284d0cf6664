/**
 * Keeps secrets out of the engine's debug log.
 *
 * The Node SDK traces every resource RPC with `log.debug`, and its
 * "RegisterResource RPC finished … resp: ${innerResponse}" (and the
 * ReadResource / getResource equivalents) stringify the whole protobuf
 * response: the resource's outputs as the engine hands them to the program,
 * secrets included, in plaintext inside the secret envelope
 * (`4dabf18193072939515e22adb298388d`, `1b47061264138c4ac30d75fd1eb44270`,
 * `value`, …). The engine puts those messages in its event stream as
 * debug-severity diagnostics, which the Automation API (`onEvent`, the
 * `--event-log`) delivers whatever the display's verbosity: every rotated
 * credential ended up in the output of `up`.
 *
 * The program therefore installs this guard before it registers anything:
 * RPC payload dumps are cut off at `resp:` and any debug message that still
 * carries the secret envelope or a known credential shape is dropped.
 */
import { redactSecrets } from "./redact";

/** The SDK's marker for a secret value on the wire (rpc.specialSigKey). */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
/** The SDK's marker value of a secret (rpc.specialSecretSig). */
export const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

const RPC_RESPONSE =
  /^((?:RegisterResource|ReadResource|getResource Invoke|Invoke) RPC finished:[\s\S]*?\bresp:)[\s\S]*$/;
const RPC_PROPS = /^([\s\S]*?\bprops=)[\s\S]*$/;

/**
 * What of an SDK debug message may reach the engine: the message without any
 * RPC payload, masked; `undefined` when it still holds a secret envelope.
 */
export function safeDebugMessage(message: string): string | undefined {
  let out = message.replace(RPC_RESPONSE, "$1 <omitted: may hold secret outputs>");
  out = out.replace(RPC_PROPS, "$1<omitted: may hold secrets>");
  if (out.includes(SECRET_SIG_KEY) || out.includes(SECRET_SIG_VALUE)) return undefined;
  return redactSecrets(out);
}

type DebugFn = (msg: string, ...rest: unknown[]) => Promise<void>;
interface LogModule {
  debug: DebugFn;
}

const GUARDED = Symbol.for("runbooks.engineLogGuard");

/**
 * Replace `debug` of the SDK's log module (the object the SDK's runtime calls
 * through, `@pulumi/pulumi/log`) with one that passes messages through
 * `safeDebugMessage`. Idempotent.
 */
export function guardEngineDebugLog(
  logModule: LogModule = require("@pulumi/pulumi/log") as LogModule,
): void {
  const current = logModule.debug as DebugFn & { [GUARDED]?: true };
  if (current[GUARDED]) return;
  const original = current;
  const guarded = ((msg: string, ...rest: unknown[]) => {
    const safe = safeDebugMessage(String(msg));
    return safe === undefined ? Promise.resolve() : original.call(logModule, safe, ...rest);
  }) as DebugFn & { [GUARDED]?: true };
  guarded[GUARDED] = true;
  logModule.debug = guarded;
}
