/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The consumer app (test/consumer-app) imports the package by name; from source that is lib/.
  moduleNameMapper: { '^plinth$': '<rootDir>/lib/index.ts' },
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // Synth-heavy suites start the CloudFormation validator (~6 s, ~450 MB) once per file.
  testTimeout: 120000,
  maxWorkers: 2,
};
