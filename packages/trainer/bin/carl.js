#!/usr/bin/env node
// The `carl` command. A committed file (not the build output itself), so that npm links
// node_modules/.bin/carl even before the first build: in a fresh clone `npm ci` links bins
// before the root `prepare` script builds dist/. It only loads the built command line.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(
    `carl: the command line is not built yet (${path.relative(process.cwd(), cli) || cli} is missing).\n` +
      'In a clone of the repository run `npm run build` at its root (`npm ci` does it too), then try again.\n',
  );
  process.exit(1);
}
require(cli);
