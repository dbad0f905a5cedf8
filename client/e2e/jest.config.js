/** Browser end-to-end tests against a running system: E2E_BASE_URL=http://localhost:3000 npx jest -c e2e/jest.config.js */
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '..',
  testEnvironment: 'node',
  roots: ['<rootDir>/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  testTimeout: 240_000,
  maxWorkers: 1,
};
