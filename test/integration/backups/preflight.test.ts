/**
 * Every "cannot back up here" case is caught before anything is uploaded,
 * with a message that says what to do and carries no secret.
 */
import { Client } from "pg";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../../infra/backups/backup";
import { closePools } from "../../../infra/postgres/client";
import { services } from "../../support/services";
import { bucket, listKeys, location, multipartUploads, seeded, type Db } from "./helpers";

let source: Db;
const ROLE_PASSWORD = `pw-${randomBytes(8).toString("hex")}`;
const role = `bk_reader_${randomBytes(3).toString("hex")}`;
// Bypasses RLS, as a backup role must, but was never granted one schema.
const partial = `bk_partial_${randomBytes(3).toString("hex")}`;

beforeAll(async () => {
  await bucket("preflight");
  source = await seeded("bkpre");
  await source.sql(`create role ${role} login password '${ROLE_PASSWORD}';
    grant usage on schema billing, public to ${role};
    grant select on all tables in schema public, billing to ${role};
    alter table billing.invoices enable row level security;
    create role ${partial} login bypassrls password '${ROLE_PASSWORD}';
    grant usage on schema billing, public to ${partial};
    grant select on all tables in schema public, billing to ${partial};
    grant select on all sequences in schema public, billing to ${partial};`);
});

afterAll(async () => {
  await source?.drop();
  const admin = new Client({ connectionString: services().postgres.adminUrl });
  await admin.connect();
  await admin.query(`drop role if exists ${role}`);
  await admin.query(`drop role if exists ${partial}`);
  await admin.end();
  await closePools();
});

function urlAs(user: string, password: string): string {
  const url = new URL(source.url);
  url.username = user;
  url.password = password;
  return url.toString();
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

describe("preflight", () => {
  it("names a missing bucket, and uploads nothing", async () => {
    const e = await failure(
      runBackup({ databaseUrl: source.url, location: location("no-such-bucket-here") }),
    );
    expect(e.message).toMatch(/the bucket 'no-such-bucket-here' does not exist .*Fix: create it/);
  });

  it("with the database and the bucket both wrong (checked at once), names the database first", async () => {
    const e = await failure(
      runBackup({
        databaseUrl: urlAs("postgres", "not-the-password-5678"),
        location: location("no-such-bucket-either"),
      }),
    );
    expect(e.message).toMatch(/password authentication failed/);
    expect(e.message).not.toContain("no-such-bucket-either");
    expect(e.message).not.toContain("not-the-password-5678");
  });

  it("names rejected credentials, without them", async () => {
    const loc = location("preflight", {
      credentials: { accessKeyId: "wrongkey", secretAccessKey: "wrong-secret-value" },
    });
    const e = await failure(runBackup({ databaseUrl: source.url, location: loc }));
    expect(e.message).toMatch(/credentials were rejected|access denied/);
    expect(e.message).not.toContain("wrong-secret-value");
  });

  it("names a wrong password without printing it", async () => {
    const e = await failure(
      runBackup({
        databaseUrl: urlAs("postgres", "not-the-password-1234"),
        location: location("preflight"),
      }),
    );
    expect(e.message).toMatch(
      /password authentication failed .*Fix: check the host, port, database, user and password/,
    );
    expect(e.message).not.toContain("not-the-password-1234");
  });

  it("refuses a role that cannot read one of the tables, before any dump, saying what to grant", async () => {
    const loc = location("preflight");
    const e = await failure(
      runBackup({ databaseUrl: urlAs(partial, ROLE_PASSWORD), location: loc }),
    );
    expect(e.message).toMatch(
      /the backup's role cannot read everything pg_dump must dump: .*permission denied for schema \w+ .*Fix: connect as a role that can read every schema and table/,
    );
    expect(e.message).not.toContain(ROLE_PASSWORD);
    expect((await listKeys(loc)).filter((k) => k.includes(partial))).toEqual([]);
    expect(await multipartUploads(loc)).toEqual([]);
  });

  it("refuses a role that RLS would hide rows from, before any dump", async () => {
    const loc = location("preflight");
    const e = await failure(runBackup({ databaseUrl: urlAs(role, ROLE_PASSWORD), location: loc }));
    expect(e.message).toMatch(
      /subject to row-level security on \d+ table\(s\) \([^)]*billing\.invoices[^)]*\).*BYPASSRLS/,
    );
    expect(e.message).not.toContain(ROLE_PASSWORD);
    expect((await listKeys(loc)).filter((k) => k.endsWith(".dump"))).toEqual([]);
  });

  it("gives up on a lock held longer than --lock-wait-timeout and names who holds it", async () => {
    const holder = new Client({
      connectionString: source.url,
      application_name: "a-long-migration",
    });
    await holder.connect();
    try {
      await holder.query("begin; lock table public.notes in access exclusive mode");
      const e = await failure(
        runBackup({
          databaseUrl: source.url,
          location: location("preflight"),
          lockWaitTimeoutSeconds: 1,
        }),
      );
      expect(e.message).toMatch(/a lock wait exceeded 1 s/);
      expect(e.message).toMatch(/npm run db:status/);
    } finally {
      await holder.query("rollback").catch(() => undefined);
      await holder.end();
    }
  });
});
