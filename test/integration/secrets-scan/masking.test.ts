/**
 * The planted values must appear in no output form: the report as JSON,
 * the findings a command prints, SARIF, and the errors the scan raises.
 */
import { afterAll, describe, expect, it } from "vitest";
import { reportFindings, scanSecrets, toSarif } from "../../../infra/secrets-scan";
import { allValues, fakeSecrets, leakyConfig } from "../../support/fake-secrets";
import { sarifValidator } from "../../support/sarif-schema";
import { TestRepo } from "./git-repo";

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.dispose()));

describe("masked output", () => {
  it("shows no planted value in any output form of any source", async () => {
    const old = fakeSecrets();
    const current = fakeSecrets();
    const staged = fakeSecrets();
    const repo = TestRepo.create();
    repos.push(repo);
    repo.write("old.env", leakyConfig(old)).write("old.pem", old.privateKey).commit("leak");
    repo.remove("old.env").remove("old.pem").commit("remove");
    repo.write("current.env", leakyConfig(current)).write("id_rsa", current.privateKey);
    repo.write("staged.env", leakyConfig(staged)).write("staged.pem", staged.privateKey);
    repo.git("add", "staged.env", "staged.pem");

    const full = await scanSecrets({ cwd: repo.root, sources: ["worktree", "history"] });
    const hook = await scanSecrets({ cwd: repo.root, sources: ["staged"] });
    // Every planted value was found (9 per set: the AWS key id and secret share one finding id)...
    const inHistory = full.findings.filter((f) => f.location.source === "history");
    expect(inHistory).toHaveLength(9);
    expect(new Set(inHistory.map((f) => f.id)).size).toBe(8);
    expect(
      full.findings.filter(
        (f) => f.location.path.startsWith("current") || f.location.path === "id_rsa",
      ),
    ).toHaveLength(9);
    expect(hook.findings).toHaveLength(9);

    const outputs = [
      JSON.stringify(full),
      JSON.stringify(hook),
      JSON.stringify(reportFindings(full)),
      JSON.stringify(reportFindings(hook)),
      JSON.stringify(toSarif(full)),
      JSON.stringify(toSarif(hook)),
    ];
    const values = [...allValues(old), ...allValues(current), ...allValues(staged)];
    for (const output of outputs) {
      for (const value of values)
        expect(output.includes(value), `a value leaked into an output`).toBe(false);
      expect(output).toContain("******** (");
    }
    const validate = sarifValidator();
    expect(validate(toSarif(full))).toBe(true);
    expect(validate(toSarif(hook))).toBe(true);
  });

  it("keeps values out of errors too", async () => {
    const s = fakeSecrets();
    const repo = TestRepo.create();
    repos.push(repo);
    repo.write("a.env", leakyConfig(s)).commit("leak");
    repo.write(
      ".secrets-allowlist.yaml",
      "allow:\n  - rule: disallow-github-token\n    path: a.env\n",
    );
    const error = await scanSecrets({ cwd: repo.root, sources: ["worktree", "history"] }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const text = `${(error as Error).message}\n${(error as Error).stack}`;
    for (const value of allValues(s)) expect(text.includes(value)).toBe(false);
  });
});
