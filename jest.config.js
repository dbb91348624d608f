/** @type {import('jest').Config} */
module.exports = {
  // Node's environment, with one CloudFormation validator engine per jest worker process for every
  // test file (test/support/validator-engine-host-environment.js).
  testEnvironment: '<rootDir>/test/support/validator-engine-host-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The consumer app (test/consumer-app) imports the package by name; from source that is lib/.
  moduleNameMapper: { '^plinth$': '<rootDir>/lib/index.ts' },
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // Synth-heavy suites start the CloudFormation validator once per file. `npm test` runs jest with
  // the main job's Node options (cdk.json `app`), which its worker processes inherit: one GC thread
  // and no optimising tier for the validator's WebAssembly halve the suite's CPU on 2 cores.
  testTimeout: 120000,
  // One temporary directory per run, removed at its end (test/support/temp-root.js).
  globalSetup: '<rootDir>/test/support/temp-root-setup.js',
  globalTeardown: '<rootDir>/test/support/temp-root-teardown.js',
  maxWorkers: 2,
};
