/** `runbooks:rotation`: which credentials are rotated, how often, with what overlap and gate. */
import { z } from "zod";
import { duplicates } from "../lib/unique";
import { parseWith, type ConfigContext } from "./errors";
import { httpsUrl } from "./shared";

export const rotationSchema = z
  .object({
    credentials: z
      .array(
        z
          .object({
            /** Stable name used by rotationRef elsewhere. */
            name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be lower-case kebab-case"),
            /** What is rotated. */
            kind: z.enum(["postgres-login", "supabase-secret-key", "generic"]),
            /** Rotate when the current credential is older than this. */
            intervalDays: z.number().int().min(1).max(365).default(30),
            /** Minutes both credentials stay valid before the old one is revoked. */
            overlapMinutes: z.number().int().min(1).default(60),
            /** URL that must be healthy with the new credential before the old one is revoked. */
            healthGateUrl: httpsUrl.optional(),
          })
          .strict(),
      )
      .default([]),
    /** Minutes between rotations of different credentials, so paired credentials never change together. */
    staggerMinutes: z.number().int().min(0).default(15),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const d of duplicates(r.credentials, (c) => c.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["credentials", d.index, "name"],
        message: `duplicate credential '${d.key}'`,
      });
    }
  });

export type RotationConfig = z.infer<typeof rotationSchema>;

/** Validate `runbooks:rotation` alone (absent: nothing rotated). Throws `ConfigError`. */
export function parseRotation(raw: unknown, context: ConfigContext): RotationConfig {
  return parseWith(rotationSchema, raw ?? {}, context, ["rotation"]);
}
