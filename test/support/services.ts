import { Client } from "pg";
import { inject } from "vitest";
import { createTestDatabase } from "../../infra/local/postgres";
import type { PostgresServer } from "../../infra/local/postgres";
import type { S3Server } from "../../infra/local/s3";
import type { CloudWatchServer } from "../../infra/local/cloudwatch";
import { workerIndex } from "./workers";

/** What the global setup started, as the test files see it (serializable: no stop()). */
export interface ServicesInfo {
  /** This worker's cluster (services() picks it from postgresByWorker). */
  postgres: Pick<PostgresServer, "adminUrl" | "port" | "major" | "external">;
  postgresByWorker: Pick<PostgresServer, "adminUrl" | "port" | "major" | "external">[];
  s3: Pick<
    S3Server,
    "endpoint" | "region" | "accessKeyId" | "secretAccessKey" | "server" | "external"
  >;
  /** moto's CloudWatch, for the backup freshness metric. */
  cloudwatch: Pick<
    CloudWatchServer,
    "endpoint" | "region" | "accessKeyId" | "secretAccessKey" | "external"
  >;
}

declare module "vitest" {
  export interface ProvidedContext {
    services: ServicesInfo;
  }
}

export function services(): ServicesInfo {
  const all = inject("services");
  return { ...all, postgres: all.postgresByWorker[workerIndex()] ?? all.postgres };
}

/** A database cloned for one test file, with `sql` on a short-lived superuser connection. */
export interface SqlDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export async function sqlDatabase(prefix: string): Promise<SqlDatabase> {
  const db = await createTestDatabase(services().postgres.adminUrl, prefix);
  const sql = async <T>(text: string, params?: unknown[]) => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return { ...db, sql };
}
