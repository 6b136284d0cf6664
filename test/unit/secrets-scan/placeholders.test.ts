import { describe, expect, it } from "vitest";
import { isPlaceholderCredential, urlPassword } from "../../../infra/secrets-scan/placeholders";

const DB = "@secretlint/secretlint-rule-database-connection-string";

describe("isPlaceholderCredential", () => {
  it.each([
    "postgres://postgres:<password>@db.<ref>.supabase.co:5432/postgres",
    "postgres://app:[YOUR-PASSWORD]@host/db",
    "postgres://app:${DB_PASSWORD}@host/db",
    "postgres://app:%24%7BDB_PASSWORD%7D@host/db",
    "postgres://app:${{ secrets.DB }}@host/db",
    "mysql://root:{{password}}@host/db",
    "postgres://app:$PGPASSWORD@host/db",
    "postgres://app:***@host/db",
    "postgres://app:@host/db",
  ])("drops %s", (value) => {
    expect(isPlaceholderCredential(DB, value)).toBe(true);
  });

  it.each([
    "postgres://app:Zx81qLmP0vTy@host/db",
    "postgres://app:password@localhost/db",
    "postgres://app:<password>x@host/db",
  ])("keeps %s", (value) => {
    expect(isPlaceholderCredential(DB, value)).toBe(false);
  });

  it("only applies to URL credential rules", () => {
    expect(isPlaceholderCredential("@secretlint/secretlint-rule-github", "https://u:<p>@h")).toBe(
      false,
    );
    expect(urlPassword("https://user:pw@host")).toBe("pw");
    expect(urlPassword("no url here")).toBeNull();
  });
});
