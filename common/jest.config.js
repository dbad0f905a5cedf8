const jestConfig = require('../jest.base');

module.exports = jestConfig(__dirname, {
  globalSetup: '<rootDir>/src/testing/jest-global-setup.ts',
  globalTeardown: '<rootDir>/src/testing/jest-global-teardown.ts',
});
