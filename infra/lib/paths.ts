import { join, resolve } from "node:path";

/** The repository root, wherever the caller lives inside it. */
export const REPO_ROOT = resolve(__dirname, "..", "..");
/** Tools this project builds for itself (gitignored). */
export const TOOLS_DIR = join(REPO_ROOT, ".tools");
/** Local services and generated local-stack config (gitignored). */
export const LOCAL_DIR = join(REPO_ROOT, ".local");
/** Pulumi file backend for the local stack and the e2e tests (gitignored). */
export const STATE_DIR = join(REPO_ROOT, ".state");
