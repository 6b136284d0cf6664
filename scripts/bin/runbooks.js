#!/usr/bin/env node
/**
 * `runbooks <command> [flags]`: the runbook's commands, written in
 * TypeScript, run through tsx in this same process (so signals, stdin and
 * the exit code are the command's own).
 */
/* global require, process */
"use strict";
require("tsx/cjs/api").register();
require("../runbooks.ts")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
