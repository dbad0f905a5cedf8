/**
 * The jest setup every workspace shares: ts-jest (transpile only; `npm run typecheck` type-checks),
 * tests beside the code in __tests__, a private PostgreSQL server for the run, and every supertest
 * response checked against docs/openapi.yaml (jest.openapi-setup.js).
 * @param {string} dir the workspace folder
 * @param {import('jest').Config} overrides
 * @returns {import('jest').Config}
 */
module.exports = function jestConfig(dir, overrides = {}) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    roots: ['<rootDir>/src'],
    testMatch: ['**/__tests__/**/*.test.ts'],
    transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: `${dir}/tsconfig.json` }] },
    globalSetup: '<rootDir>/jest.global-setup.ts',
    globalTeardown: require('path').join(__dirname, 'common/dist/testing/jest-global-teardown.js'),
    setupFilesAfterEnv: [require('path').join(__dirname, 'jest.openapi-setup.js')],
    testTimeout: 60_000,
    ...overrides,
  };
};
