#!/usr/bin/env node
// The `plinth` operator CLI (package.json "bin"). Runs cli/main.ts through ts-node, transpile-only,
// as cdk.json runs the CDK app.
const path = require('node:path');
process.env.TS_NODE_PROJECT = process.env.TS_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.json');
// The SDK's notice that its 2027 releases need Node 22 would precede every command's output;
// `plinth doctor` reports it instead. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED || 'true';
require('ts-node/register/transpile-only');
require('./main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
