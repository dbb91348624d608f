#!/usr/bin/env node
// The `plinth` operator CLI (package.json "bin"). In the installed package this file sits in
// dist/cli/ next to the compiled main.js and runs it with plain node. In the repository it runs
// cli/main.ts from source through ts-node, transpile-only, as cdk.json runs the CDK app.
const fs = require('node:fs');
const path = require('node:path');
// The SDK's notice that its 2027 releases need Node 22 would precede every command's output;
// `plinth doctor` reports it instead. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED || 'true';
const compiled = path.join(__dirname, 'main.js');
let entry = compiled;
if (!fs.existsSync(compiled)) {
  process.env.TS_NODE_PROJECT = process.env.TS_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.json');
  require('ts-node/register/transpile-only');
  entry = './main.ts';
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
