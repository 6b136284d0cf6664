import { describe, expect, it, vi } from "vitest";
import {
  SECRET_SIG_KEY,
  SECRET_SIG_VALUE,
  guardEngineDebugLog,
  safeDebugMessage,
} from "../../../infra/lib/engine-log";

const PASSWORD = "s3cr3t-Pa55word-xyz";
const URL_VALUE = `postgres://app_login_b:${PASSWORD}@127.0.0.1:5432/app`;

/** The SDK's own trace: `RegisterResource RPC finished: …; resp: ${innerResponse}` (runtime/resource.js). */
function sdkTrace(): string {
  const resproto = require("@pulumi/pulumi/proto/resource_pb");
  const gstruct = require("google-protobuf/google/protobuf/struct_pb.js");
  const resp = new resproto.RegisterResourceResponse();
  resp.setUrn("urn:pulumi:local::runbooks::RotatedCredential::app-db-login");
  resp.setObject(
    gstruct.Struct.fromJavaScript({
      name: "app-db-login",
      current: { [SECRET_SIG_KEY]: SECRET_SIG_VALUE, value: URL_VALUE },
    }),
  );
  return `RegisterResource RPC finished: resource:app-db-login[RotatedCredential]; err: null, resp: ${resp}`;
}

describe("engine debug log guard", () => {
  it("the SDK's RPC trace holds the plaintext secret (what leaked into the engine output)", () => {
    expect(sdkTrace()).toContain(PASSWORD);
  });

  it("cuts the response payload off an RPC trace", () => {
    const safe = safeDebugMessage(sdkTrace());
    expect(safe).toBeDefined();
    expect(safe).not.toContain(PASSWORD);
    expect(safe).not.toContain(SECRET_SIG_KEY);
    expect(safe).toMatch(/^RegisterResource RPC finished: resource:app-db-login/);
  });

  it("drops any other debug message that carries a secret envelope", () => {
    expect(
      safeDebugMessage(`something: ${SECRET_SIG_KEY},${SECRET_SIG_VALUE},value,${URL_VALUE}`),
    ).toBeUndefined();
  });

  it("masks credential shapes and leaves plain traces alone", () => {
    expect(safeDebugMessage(`connecting to ${URL_VALUE}`)).not.toContain(PASSWORD);
    expect(safeDebugMessage("Registering resource: t=x, name=y")).toBe(
      "Registering resource: t=x, name=y",
    );
  });

  it("wraps the log module's debug once, forwarding only safe messages", async () => {
    const original = vi.fn(async (_msg: string) => {});
    const mod = { debug: original as (msg: string) => Promise<void> };
    guardEngineDebugLog(mod);
    guardEngineDebugLog(mod);
    await mod.debug(sdkTrace());
    await mod.debug(`x ${SECRET_SIG_KEY} ${URL_VALUE}`);
    await mod.debug("plain");
    expect(original).toHaveBeenCalledTimes(2);
    for (const [msg] of original.mock.calls) expect(msg).not.toContain(PASSWORD);
    expect(original.mock.calls[1]![0]).toBe("plain");
  });

  it("guards the SDK's own log module, the one its runtime calls through", async () => {
    const sdkLog = require("@pulumi/pulumi/log") as { debug: (m: string) => Promise<void> };
    const before = sdkLog.debug;
    try {
      const spy = vi.fn(async (_m: string) => {});
      sdkLog.debug = spy;
      guardEngineDebugLog();
      await sdkLog.debug(sdkTrace());
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]![0]).not.toContain(PASSWORD);
    } finally {
      sdkLog.debug = before;
    }
  });
});
