import { describe, expect, it } from "vitest";
import { parseAws } from "../../../infra/config/index";
import { context, keysOf, thrown, withChange } from "./fixtures";

describe("runbooks:aws", () => {
  it("rejects an invalid AWS region", () => {
    expect(keysOf(withChange((r) => (r.aws.region = "Europe")))).toEqual(["runbooks:aws.region"]);
  });

  it("creates the account's GitHub OIDC provider unless told it exists", () => {
    expect(parseAws({ region: "eu-west-1" }, context).githubOidcProvider).toBe("create");
    expect(
      parseAws({ region: "eu-west-1", githubOidcProvider: "existing" }, context).githubOidcProvider,
    ).toBe("existing");
    expect(
      thrown(() => parseAws({ region: "eu-west-1", githubOidcProvider: "import" }, context))
        .problems[0]!.message,
    ).toBe("must be one of create | existing, but is the string 'import'");
  });
});
