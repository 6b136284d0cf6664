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

// An area the stack turns off has no outputs. Exported as `undefined`, it would make the engine
// warn on every run ("Undefined value (alerts) will not show as a stack output"), a warning that
// says nothing is wrong; so the outputs are the areas that exist, and `features` says which.
export = Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined));
