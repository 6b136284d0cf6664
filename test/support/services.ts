import { inject } from "vitest";
import type { PostgresServer } from "../../infra/local/postgres";
import type { S3Server } from "../../infra/local/s3";
import type { CloudWatchServer } from "../../infra/local/cloudwatch";

/** What the global setup started, as the test files see it (serializable: no stop()). */
export interface ServicesInfo {
  postgres: Pick<PostgresServer, "adminUrl" | "port" | "major" | "external">;
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
  return inject("services");
}
