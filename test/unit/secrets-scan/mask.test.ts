import { describe, expect, it } from "vitest";
import { maskSecret, maskValuesIn, secretFingerprint } from "../../../infra/secrets-scan/mask";
import { fakeSecrets } from "../../support/fake-secrets";

describe("maskSecret", () => {
  it("shows a long value's type prefix and length, never its body", () => {
    const { githubToken } = fakeSecrets();
    const masked = maskSecret(githubToken);
    expect(masked).toBe(`${githubToken.slice(0, 4)}******** (40 chars)`);
    expect(masked).not.toContain(githubToken.slice(4, 8));
  });

  it("shows nothing of a short value", () => {
    expect(maskSecret("hunter2hunter2")).toBe("******** (14 chars)");
  });

  it("keeps a multi-line value on one line", () => {
    expect(maskSecret("-----BEGIN\nRSA PRIVATE KEY-----")).toBe("----******** (31 chars)");
  });
});

describe("secretFingerprint", () => {
  it("is stable for the same finding id, path and value", () => {
    expect(secretFingerprint("disallow-github-token", "a.ts", "v1")).toBe(
      secretFingerprint("disallow-github-token", "a.ts", "v1"),
    );
    expect(secretFingerprint("disallow-github-token", "a.ts", "v1")).toMatch(/^[0-9a-f]{16}$/);
  });

  it("changes with the value (a real key where a fake one was) and the path (a fake copied elsewhere)", () => {
    const base = secretFingerprint("disallow-github-token", "test/a.ts", "value-1");
    expect(secretFingerprint("disallow-github-token", "test/a.ts", "value-2")).not.toBe(base);
    expect(secretFingerprint("disallow-github-token", "src/a.ts", "value-1")).not.toBe(base);
    expect(secretFingerprint("disallow-npm-token", "test/a.ts", "value-1")).not.toBe(base);
  });
});

describe("maskValuesIn", () => {
  it("masks every occurrence, longest value first so no fragment survives", () => {
    const long = "abcdefghijklmnopqrstuvwxyz";
    const text = `found ${long} and ${long.slice(0, 10)}`;
    const out = maskValuesIn(text, [long.slice(0, 10), long]);
    expect(out).not.toContain("efghij");
    expect(out).toBe("found abcd******** (26 chars) and ******** (10 chars)");
  });
});
