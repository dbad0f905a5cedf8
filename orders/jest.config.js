const jestConfig = require('../jest.base');

module.exports = jestConfig(__dirname);
