#!/usr/bin/env node
// Builds the optional native addon (build/Release/carl_native_kernels.node). Runs as the package's `install`
// script, so it must never fail the install: on any problem it records why in build/native-status.json,
// prints one warning, and exits 0. The TypeScript side then falls back to the stock tfjs kernels and
// reports the recorded reason.
//
// Order of attempts: node-gyp (npm's bundled copy, or one on PATH), then a direct compiler call (Linux/macOS).
// Node's headers come from the local Node installation when it has them (no download needed offline).
//
// Flags: --if-missing  skip when a loadable addon is already built (used by `npm run build`)
//        --force       rebuild even if CARL_NATIVE_SKIP is set
// Env:   CARL_NATIVE_SKIP=1  do not build (the package then always uses the stock kernels)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build');
const addonPath = path.join(buildDir, 'Release', 'carl_native_kernels.node');
const statusPath = path.join(buildDir, 'native-status.json');
const args = new Set(process.argv.slice(2));
const sources = ['addon.cc', 'adam_in_place.cc', 'common.cc', 'elementwise.cc', 'fused.cc', 'gemm.cc'].map((f) => path.join(root, 'native', f));

function writeStatus(status) {
  fs.mkdirSync(buildDir, { recursive: true });
  fs.writeFileSync(statusPath, `${JSON.stringify({ ...status, node: process.version, platform: `${process.platform}-${process.arch}`, date: new Date().toISOString() }, null, 2)}\n`);
}

// Loads the addon in a child process, so a crash (e.g. an instruction the CPU lacks) cannot take us down.
function smokeTest() {
  const probe = `const a = require(${JSON.stringify(addonPath)}); const i = a.info(); if (typeof a.matmul !== 'function') throw new Error('incomplete addon'); console.log(JSON.stringify(i));`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return { ok: true, info: JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') };
  return { ok: false, reason: (r.stderr || r.stdout || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(-3).join(' ') };
}

function nodeHeadersDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(path.join(path.dirname(fileURLToPath(import.meta.resolve('node-gyp/package.json'))), 'bin', 'node-gyp.js'));
  } catch {
    // not installed as a package: fine, try the others
  }
  return candidates.find((c) => c !== undefined && c !== '' && fs.existsSync(c));
}

function tail(text) {
  return (text ?? '').trim().split('\n').slice(-4).join(' | ');
}

function tryNodeGyp() {
  const gyp = findNodeGyp();
  if (gyp === undefined) return { ok: false, reason: 'node-gyp not found' };
  const nodedir = nodeHeadersDir();
  const gypArgs = [gyp, 'rebuild', '--release', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const r = spawnSync(process.execPath, gypArgs, { cwd: root, encoding: 'utf8', timeout: 600_000, env: { ...process.env, JOBS: process.env.JOBS ?? '2' } });
  if (r.status === 0 && fs.existsSync(addonPath)) return { ok: true, how: `node-gyp${nodedir ? ` (headers from ${nodedir})` : ''}` };
  return { ok: false, reason: `node-gyp failed: ${tail(r.stderr || r.stdout) || r.error?.message}` };
}

function tryCompiler() {
  if (process.platform === 'win32') return { ok: false, reason: 'direct compile is not supported on Windows' };
  const nodedir = nodeHeadersDir();
  if (nodedir === undefined) return { ok: false, reason: 'Node headers (include/node/node_api.h) not found next to the node binary' };
  const cxx = [process.env.CXX, 'c++', 'g++', 'clang++'].find((c) => c && spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);
  if (cxx === undefined) return { ok: false, reason: 'no C++ compiler found (tried $CXX, c++, g++, clang++)' };
  fs.mkdirSync(path.dirname(addonPath), { recursive: true });
  const flags = ['-O3', '-std=c++17', '-shared', '-fPIC', '-fno-math-errno', '-fno-trapping-math', '-fvisibility=hidden', '-pthread',
    '-DNODE_GYP_MODULE_NAME=carl_native_kernels', `-I${path.join(nodedir, 'include', 'node')}`,
    ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [])];
  const r = spawnSync(cxx, [...flags, ...sources, '-o', addonPath], { encoding: 'utf8', timeout: 600_000 });
  if (r.status === 0) return { ok: true, how: `${cxx} (direct)` };
  return { ok: false, reason: `${cxx} failed: ${tail(r.stderr)}` };
}

function main() {
  if (process.env.CARL_NATIVE_SKIP === '1' && !args.has('--force')) {
    writeStatus({ ok: false, reason: 'skipped (CARL_NATIVE_SKIP=1)' });
    console.warn('@carl/native-kernels: native build skipped (CARL_NATIVE_SKIP=1); the stock tfjs kernels will be used.');
    return;
  }
  if (args.has('--if-missing') && fs.existsSync(addonPath)) {
    const newest = Math.max(...sources.map((s) => fs.statSync(s).mtimeMs), fs.statSync(path.join(root, 'native', 'math.inl')).mtimeMs);
    if (fs.statSync(addonPath).mtimeMs >= newest && smokeTest().ok) return;
  }
  const reasons = [];
  for (const attempt of [tryNodeGyp, tryCompiler]) {
    const result = attempt();
    if (!result.ok) {
      reasons.push(result.reason);
      continue;
    }
    const smoke = smokeTest();
    if (smoke.ok) {
      writeStatus({ ok: true, how: result.how, ...smoke.info });
      console.log(`@carl/native-kernels: built the native addon with ${result.how} (${smoke.info.isa}).`);
      return;
    }
    reasons.push(`built with ${result.how} but it does not load: ${smoke.reason}`);
    fs.rmSync(addonPath, { force: true });
  }
  writeStatus({ ok: false, reason: reasons.join('; ') });
  console.warn(`@carl/native-kernels: native addon not built, the stock tfjs kernels will be used. Why: ${reasons.join('; ')}`);
}

try {
  main();
} catch (error) {
  // Never fail an install because of the optional addon.
  try {
    writeStatus({ ok: false, reason: `build script error: ${error instanceof Error ? error.message : String(error)}` });
  } catch {
    // even the status file could not be written; the loader reports a generic reason
  }
  console.warn(`@carl/native-kernels: native addon not built (${error instanceof Error ? error.message : String(error)}).`);
}
process.exitCode = 0;
