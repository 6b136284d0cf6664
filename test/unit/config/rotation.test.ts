import { describe, expect, it } from "vitest";
import { parseRotation } from "../../../infra/config/index";
import { context, keysOf, thrown, withChange } from "./fixtures";

describe("runbooks:rotation", () => {
  it("rejects duplicate rotated credentials", () => {
    const rotation = {
      credentials: [
        { name: "db", kind: "postgres-login" },
        { name: "db", kind: "postgres-login" },
      ],
    };
    expect(keysOf(withChange((r) => (r.rotation = rotation)))).toEqual([
      "runbooks:rotation.credentials[1].name",
    ]);
  });

  it("parseRotation: nothing rotated when absent; a health gate must be https", () => {
    expect(parseRotation(undefined, context)).toEqual({ credentials: [], staggerMinutes: 15 });
    const err = thrown(() =>
      parseRotation(
        {
          credentials: [
            { name: "db", kind: "postgres-login", healthGateUrl: "http://app.example/x" },
          ],
        },
        context,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual([
      "runbooks:rotation.credentials[0].healthGateUrl",
    ]);
  });
});
