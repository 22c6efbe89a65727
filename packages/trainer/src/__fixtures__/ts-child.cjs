// Runs a TypeScript file of this repository in a plain Node child process, the way jest runs tests:
// sources compiled by swc on require, `@carl/<name>` resolved to packages/<name>/src. For tests that
// need a real process (signals, exit codes): `node ts-child.cjs some-script.ts args…`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '../../../..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const carl = /^@carl\/([a-z-]+)(\/testing)?$/.exec(request);
  const mapped = carl === null ? request : path.join(root, 'packages', carl[1], 'src', carl[2] === undefined ? 'index.ts' : 'testing/index.ts');
  return resolve.call(this, mapped, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
const script = path.resolve(process.argv[2]);
process.argv.splice(1, 1);
require(script);
