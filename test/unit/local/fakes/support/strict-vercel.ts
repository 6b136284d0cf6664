/**
 * `@vercel/sdk` parses leniently: a missing required string becomes "" and a
 * number sent as a string is coerced, and only counters inside the SDK notice.
 * `strictly()` reads those counters around one call, so a test fails when the
 * fake leaves out a required field or sends a wrong primitive type, not only
 * when the SDK throws. Calls must not overlap (the counters are global).
 */
import { startCountingDefaultToZeroValue } from "@vercel/sdk/types/defaultToZeroValue.js";
import { startCountingUnrecognized } from "@vercel/sdk/types/unrecognized.js";

export async function strictly<T>(call: () => Promise<T>): Promise<T> {
  const unrecognized = startCountingUnrecognized();
  const zeroDefaults = startCountingDefaultToZeroValue();
  let coerced = 0;
  let defaulted = 0;
  let result: T;
  try {
    result = await call();
  } finally {
    coerced = unrecognized.end();
    defaulted = zeroDefaults.end();
  }
  if (coerced !== 0 || defaulted !== 0)
    throw new Error(
      `the SDK accepted the response only leniently: ${coerced} coerced value(s), ${defaulted} missing required field(s)`,
    );
  return result;
}
