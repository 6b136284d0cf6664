/**
 * The dynamic-resource modules of the rotation area. The policy pack reads
 * every `runbooks-rotation` resource as one managed secret (its name, max
 * age and sinks), so only RotatedCredential is registered there; the steps
 * that carry no secret of their own (sinks, rollout, revocation queue) are
 * registered under their own module.
 */
export const ROTATION_STEPS_MODULE = "runbooks-rotation-steps";
