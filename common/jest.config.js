const jestConfig = require('../jest.base');

module.exports = jestConfig(__dirname, {
  globalSetup: '<rootDir>/src/testing/jest-global-setup.ts',
  globalTeardown: '<rootDir>/src/testing/jest-global-teardown.ts',
  // common's tests build stand-in apps (on /api paths too) to test middleware, not the services'
  // API; its own test of the checker runs it against the document.
  setupFilesAfterEnv: [],
});
