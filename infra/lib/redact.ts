/** Replace the password in a connection string, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable connection string>";
  }
}

/**
 * Remove every occurrence of the given secret values from a message. Errors
 * from drivers sometimes echo a connection string or a statement parameter;
 * nothing we raise may carry them onwards.
 */
export function redactSecrets(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join("***");
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join("***");
  }
  return out.replace(/(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/g, "$1***@");
}
