#!/usr/bin/env node
// À-la-carte check: packs every package with `npm pack`, installs each one alone (with only the
// tarballs of the @carl packages it depends on) into an empty folder, and imports it there.
// Usage: node scripts/pack-check.mjs [package-name ...]   (run after `npm run build`)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const packagesDir = join(root, 'packages');
const manifests = new Map(
  readdirSync(packagesDir)
    .filter((dir) => existsSync(join(packagesDir, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'));
      return [manifest.name, { dir: join(packagesDir, dir), manifest }];
    })
    .filter(([, { manifest }]) => !manifest.private),
);
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...manifests.keys()];
const work = mkdtempSync(join(tmpdir(), 'carl-pack-'));
const tarballs = new Map();
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const deps = manifests.get(name)?.manifest.dependencies ?? {};
  for (const dep of Object.keys(deps)) if (manifests.has(dep)) closure(dep, seen);
  return seen;
}

const failed = new Set();
try {
  for (const [name, { dir }] of manifests) {
    const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], dir));
    tarballs.set(name, join(work, out[0].filename));
    const files = out[0].files.map((f) => f.path);
    if (!files.includes('dist/index.js') || !files.includes('dist/index.d.ts')) {
      console.error(`✗ ${name}: tarball lacks dist/index.js or dist/index.d.ts (run the build first)`);
      failed.add(name);
    }
    // A bin must ship in the tarball, or `npx <bin>` fails after install (issue 15).
    const manifest = manifests.get(name).manifest;
    const bins = typeof manifest.bin === 'string' ? { [name]: manifest.bin } : (manifest.bin ?? {});
    for (const [bin, target] of Object.entries(bins)) {
      if (!files.includes(target.replace(/^\.\//, ''))) {
        console.error(`✗ ${name}: tarball lacks ${target}, the target of its bin "${bin}"`);
        failed.add(name);
      }
    }
    if (files.some((f) => /\.test\.(js|d\.ts)$/.test(f))) {
      console.error(`✗ ${name}: tarball ships test files`);
      failed.add(name);
    }
  }
  for (const name of wanted) {
    if (failed.has(name)) continue;
    const app = mkdtempSync(join(work, 'app-'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check-app', private: true }));
    const needed = [...closure(name)].map((n) => tarballs.get(n));
    try {
      run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', '--loglevel=error', ...needed], app);
      const keys = run('node', ['-e', `const m = require(${JSON.stringify(name)}); const k = Object.keys(m); if (k.length === 0) throw new Error('no exports'); console.log(k.length)`], app).trim();
      const bins = Object.keys(typeof manifests.get(name).manifest.bin === 'string' ? { [name]: '' } : (manifests.get(name).manifest.bin ?? {}));
      for (const bin of bins) {
        const help = run(join(app, 'node_modules', '.bin', bin), ['--help'], app);
        if (!/usage/i.test(help)) throw new Error(`\`${bin} --help\` printed no usage:\n${help.slice(0, 400)}`);
      }
      console.log(`✓ ${name}: installed alone from its tarball, ${keys} exports${bins.length === 0 ? '' : `, bin ${bins.join(', ')} runs`}`);
    } catch (error) {
      failed.add(name);
      console.error(`✗ ${name}: ${(error.stderr || error.message).split('\n').slice(0, 8).join('\n')}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const failures = wanted.filter((name) => failed.has(name)).length;
console.log(`pack-check: ${wanted.length - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
