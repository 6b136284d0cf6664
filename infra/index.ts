/**
 * The Pulumi program: one validated configuration, then each area of the
 * runbook as components. Areas whose provider plugin needs a cloud account are
 * switched by `runbooks:features`; the `local` stack turns those off.
 */
import { escalationTable, loadStackConfig } from "./config/index";
import { deployDatabase } from "./rls/deploy";
import { deployPlatform } from "./platform";

const config = loadStackConfig();
const database = deployDatabase(config);
const platform = deployPlatform(config);

export const stack = config.stack;
export const owner = config.owner;
export const features = config.features;
/** The runbook's severity table, as this stack applies it. */
export const escalation = escalationTable(config.alerts);
export const rls = database.rls;
export const cloud = platform;
