// Jest globalSetup / globalTeardown: every temporary file of one `npm test` run goes under one
// directory, removed when the run ends. Tests, CDK (an App without an outdir synthesizes into
// os.tmpdir()), cfn-guard's work files and child processes all take TMPDIR, which the workers
// inherit from this process. A run that is killed leaves this one directory behind, not hundreds.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const VARIABLE = 'PLINTH_TEST_TEMP_ROOT';

async function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-test-run-'));
  process.env[VARIABLE] = root;
  process.env.TMPDIR = root;
}

async function teardown() {
  const root = process.env[VARIABLE];
  if (root) fs.rmSync(root, { recursive: true, force: true });
}

module.exports = { setup, teardown };
