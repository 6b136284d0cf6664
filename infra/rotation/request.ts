/**
 * What `npm run rotate` asks of one `pulumi up`, handed to the program in
 * RUNBOOKS_ROTATION_REQUEST (JSON) so the stack file is never edited for a
 * one-off: rotate some or all credentials now, revoke the previous ones in
 * the same run (emergency), or point credentials back to their last
 * known-good generation. `id` is a nonce: each request acts once, and a later
 * plain `pulumi up` without it changes nothing.
 */
import { z } from "zod";

export const REQUEST_ENV = "RUNBOOKS_ROTATION_REQUEST";

const requestSchema = z
  .object({
    id: z.string().min(1),
    rotate: z.union([z.literal("all"), z.array(z.string())]).default([]),
    emergency: z.boolean().default(false),
    rollback: z.array(z.string()).default([]),
  })
  .strict();

export type RotationRequest = z.infer<typeof requestSchema>;

export function readRequest(env: NodeJS.ProcessEnv = process.env): RotationRequest | undefined {
  const raw = env[REQUEST_ENV];
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(
      `${REQUEST_ENV} is not JSON; it is set by npm run rotate, unset it to run pulumi up on its own`,
    );
  }
  const result = requestSchema.safeParse(parsed);
  if (!result.success)
    throw new Error(
      `${REQUEST_ENV} is not a rotation request: ${result.error.issues.map((i) => i.message).join("; ")}`,
    );
  return result.data;
}

/** The nonces one credential gets from a request. */
export function noncesFor(name: string, request: RotationRequest | undefined) {
  if (!request) return {};
  const rotate = request.rotate === "all" || request.rotate.includes(name);
  return {
    ...(rotate && !request.emergency ? { request: request.id } : {}),
    ...(rotate && request.emergency ? { emergency: request.id } : {}),
    ...(request.rollback.includes(name) ? { rollback: request.id } : {}),
  };
}
