/**
 * System tests: each file boots the whole system (PostgreSQL, nats-server, the five services, the
 * client, the gateway) on free ports with a temp data dir, and drives it through the gateway.
 * They run one file at a time (`--runInBand` in the test script): two cores cannot host two systems.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: `${__dirname}/tsconfig.json` }] },
  testTimeout: 300_000,
  maxWorkers: 1,
};
