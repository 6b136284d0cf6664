/**
 * A random application secret (a session key, a webhook secret). The source
 * is the generator: revoking a generation means no sink carries it any more,
 * which the sink writes and the gate-verified redeploy already did, so
 * revocation records it and calls nothing.
 */
import { randomInt } from "node:crypto";
import type { CredentialSource } from "./source";

export const ALPHABETS = {
  alphanumeric: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  base64url: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
  hex: "0123456789abcdef",
} as const;

export type Alphabet = keyof typeof ALPHABETS;

/** Uniform over the alphabet (randomInt rejects modulo bias). */
export function randomSecret(length: number, alphabet: Alphabet): string {
  const chars = ALPHABETS[alphabet];
  let out = "";
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)];
  return out;
}

export function genericSource(options: { length: number; alphabet: Alphabet }): CredentialSource {
  return {
    async create(generation) {
      return {
        slot: {
          id: `g${generation}`,
          generation,
          createdAt: new Date().toISOString(),
          detail: { length: String(options.length), alphabet: options.alphabet },
        },
        value: randomSecret(options.length, options.alphabet),
      };
    },
    async revoke(entry) {
      return {
        detail: {
          note: `generation ${entry.generation} is in no sink after the verified redeploy`,
        },
      };
    },
  };
}
