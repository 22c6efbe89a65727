// Root jest: one project per package (and per example) that has a jest.config.js.
const fs = require('node:fs');
const path = require('node:path');

const projects = ['packages', 'examples']
  .flatMap((group) => (fs.existsSync(path.join(__dirname, group)) ? fs.readdirSync(path.join(__dirname, group)).map((name) => path.join(group, name)) : []))
  .filter((dir) => fs.existsSync(path.join(__dirname, dir, 'jest.config.js')))
  .map((dir) => `<rootDir>/${dir}`)
  // The benchmarks' pure helpers (not the runs themselves, which take minutes to hours).
  .concat('<rootDir>/benchmarks')
  // Every README code block type-checks and runs (scripts/readme-blocks).
  .concat('<rootDir>/scripts/readme-blocks');

// testTimeout is a global option: inside a project's config jest ignores it.
module.exports = { projects, testTimeout: 120000 };
