/**
 * A SCRAM-SHA-256 password verifier computed here, so `ALTER ROLE … PASSWORD`
 * sends the verifier and never the password: statement logs and
 * pg_stat_statements (which keeps utility statements' text) see only what
 * the server would store anyway. RFC 5802/7677, as Postgres stores it.
 *
 * The passwords this project generates are ASCII letters and digits, which
 * SASLprep leaves unchanged, so no normalization step is needed.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

export function scramVerifier(password: string, iterations = 4096, salt = randomBytes(16)): string {
  if (!/^[\x21-\x7e]+$/.test(password))
    throw new Error(
      "scramVerifier takes printable ASCII passwords only (SASLprep is not implemented)",
    );
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
