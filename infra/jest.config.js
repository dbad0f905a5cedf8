/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // The rehearsal builds images' file trees with npm and tsc: one file at a time keeps 2 cores usable.
  maxWorkers: 1,
};
