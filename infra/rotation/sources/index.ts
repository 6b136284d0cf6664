/** The source of each kind of rotated credential, built from a resource's (secret) inputs. */
import type { CredentialInputs } from "../inputs";
import { genericSource } from "./generic";
import { postgresLoginSource } from "./postgres-login";
import type { CredentialSource } from "./source";
import { supabaseSecretKeySource } from "./supabase-secret-key";

export type SourceInputs = Pick<
  CredentialInputs,
  "name" | "kind" | "generic" | "postgres" | "supabase"
>;

export function sourceFor(i: SourceInputs): CredentialSource {
  switch (i.kind) {
    case "generic":
      return genericSource(i.generic ?? { length: 48, alphabet: "alphanumeric" });
    case "postgres-login":
      if (!i.postgres)
        throw new Error(`${i.name}: a postgres-login credential needs its postgres settings`);
      return postgresLoginSource(i.postgres);
    case "supabase-secret-key":
      if (!i.supabase)
        throw new Error(`${i.name}: a supabase-secret-key credential needs its supabase settings`);
      return supabaseSecretKeySource({ ...i.supabase, credential: i.name });
  }
}
