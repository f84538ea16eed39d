/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
    // jose ships only ES modules; jest's CommonJS runtime needs it compiled (the API verifies tokens with it).
    '/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // Temporal servers, workflow bundles and databases start per test file: generous, and two at a time (2 cores).
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  maxWorkers: 2,
};
