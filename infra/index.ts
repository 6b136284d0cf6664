/**
 * The Pulumi program. Every area of the runbook is declared by `deployStack`
 * (infra/stack.ts), one `deployX(config, deps)` per feature; areas whose
 * provider plugin needs a cloud account are switched by `runbooks:features`,
 * and the `local` stack turns those off. Outputs are nested by area.
 */
import { loadStackConfig } from "./config/index";
import { guardEngineDebugLog } from "./lib/engine-log";
import { deployStack } from "./stack";

// Before any resource: the SDK's RPC debug traces would carry secret outputs into the engine log.
guardEngineDebugLog();

const outputs = deployStack(loadStackConfig());

export const stack = outputs.stack;
export const owner = outputs.owner;
export const features = outputs.features;
export const escalation = outputs.escalation;
export const rls = outputs.rls;
export const backupStorage = outputs.backupStorage;
export const backups = outputs.backups;
export const alerts = outputs.alerts;
export const vercel = outputs.vercel;
export const github = outputs.github;
export const rotation = outputs.rotation;
