import { inject } from "vitest";

/** What the global setup started, as the test files see it. */
export interface ServicesInfo {
  postgres: { adminUrl: string; port: number; major: number; external: boolean };
  s3: {
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    server: string;
    external: boolean;
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    services: ServicesInfo;
  }
}

export function services(): ServicesInfo {
  return inject("services");
}
