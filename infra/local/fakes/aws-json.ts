/**
 * The AWS JSON 1.1 protocol as the local fakes serve it: `{__type, message}`
 * errors, the validation messages AWS sends, and a SigV4 check of every
 * request against the configured secret key, so the SDK's own signing is what
 * gets tested.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { FakeRequest, FakeResponse } from "./http";

/** AWS's signing clock tolerance. */
const MAX_SKEW_MS = 15 * 60_000;

export const awsError = (status: number, type: string, message: string): FakeResponse => ({
  status,
  headers: { "content-type": "application/x-amz-json-1.1" },
  body: { __type: type, message },
});

export const validation = (message: string) => awsError(400, "ValidationException", message);

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) =>
  createHmac("sha256", key).update(data).digest();

/** Checks a SigV4 `Authorization` header against the request, as AWS does. */
export function verifySigV4(
  req: FakeRequest,
  accessKeyId: string,
  secret: string,
  region: string,
): FakeResponse | undefined {
  const header = req.headers.authorization;
  if (!header)
    return awsError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (!m)
    return awsError(
      400,
      "IncompleteSignatureException",
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.",
    );
  const [, keyId, date, scopeRegion, service, signedHeaders, signature] = m as unknown as string[];
  if (keyId !== accessKeyId)
    return awsError(
      400,
      "UnrecognizedClientException",
      "The security token included in the request is invalid.",
    );
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!when || !amzDate.startsWith(date!))
    return awsError(
      400,
      "IncompleteSignatureException",
      "X-Amz-Date must be a basic ISO 8601 timestamp matching the credential scope date.",
    );
  const signedAt = Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!);
  if (Math.abs(Date.now() - signedAt) > MAX_SKEW_MS)
    return awsError(
      400,
      "InvalidSignatureException",
      `Signature expired: ${amzDate} is now earlier or later than 15 minutes from the current time.`,
    );
  if (scopeRegion !== region || service !== "ce")
    return awsError(
      400,
      "InvalidSignatureException",
      `Credential should be scoped to a valid region and service: expected ${region}/ce, got ${scopeRegion}/${service}.`,
    );
  const names = signedHeaders!.split(";");
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const query = [...req.query.entries()]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalRequest = [
    req.method,
    req.path,
    query,
    canonicalHeaders,
    signedHeaders,
    sha256(req.rawBody),
  ].join("\n");
  const scope = `${date}/${scopeRegion}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${secret}`, date!), scopeRegion!), service!),
    "aws4_request",
  );
  const expected = createHmac("sha256", key).update(stringToSign).digest();
  const given = Buffer.from(signature!, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return awsError(
      400,
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  return undefined;
}

/** The Coral-style message AWS sends for a missing required member. */
export const missing = (member: string) =>
  validation(
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
