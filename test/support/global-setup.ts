/**
 * Starts the real services once per test run and hands their addresses to
 * the test files through `inject("services")`.
 */
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../infra/local/postgres";
import { startS3 } from "../../infra/local/s3";
import { startCloudWatch } from "../../infra/local/cloudwatch";
import type { ServicesInfo } from "./services";

export default async function setup(project: TestProject) {
  const started = Date.now();
  const [pg, s3, cw] = await Promise.all([startPostgres(), startS3(), startCloudWatch()]);
  const info: ServicesInfo = {
    postgres: { adminUrl: pg.adminUrl, port: pg.port, major: pg.major, external: pg.external },
    s3: {
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      server: s3.server,
      external: s3.external,
    },
    cloudwatch: {
      endpoint: cw.endpoint,
      region: cw.region,
      accessKeyId: cw.accessKeyId,
      secretAccessKey: cw.secretAccessKey,
      external: cw.external,
    },
  };
  project.provide("services", info);
  console.log(
    `[harness] postgres ${pg.major} on 127.0.0.1:${pg.port}${pg.external ? " (DATABASE_URL)" : ""}, ` +
      `S3 (${s3.server}) at ${s3.endpoint}${s3.external ? " (S3_ENDPOINT)" : ""}, CloudWatch (moto) at ${cw.endpoint}, ready in ${Date.now() - started} ms`,
  );
  return async () => {
    await Promise.all([pg.stop(), s3.stop(), cw.stop()]);
  };
}
