// The README code-block harness: a jest project of its own (see readme-blocks.test.ts).
const base = require('../../jest.base.js')(__dirname);

module.exports = { ...base, displayName: 'readme-blocks', testMatch: ['<rootDir>/*.test.ts'] };
