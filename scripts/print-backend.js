#!/usr/bin/env node
// Prints the tensor backend CARL-TS picks on this machine and why each faster one was skipped.
// Usage: node scripts/print-backend.js   (CARL_BACKEND=cpu forces one)
const { initBackend } = require('@carl/core');

initBackend().then(
  (info) => {
    const skipped = info.skipped.map((s) => `${s.backend} (${s.reason})`).join('; ');
    const native = info.nativeKernels === undefined ? '' : info.nativeKernels.available ? ` — native kernels: ${info.nativeKernels.registered.length} registered` : ` — native kernels: off (${info.nativeKernels.reason})`;
    console.log(`backend: ${info.backend}${skipped ? ` — skipped: ${skipped}` : ''}${info.kernelFixes.length ? ` — kernel fixes: ${info.kernelFixes.join(', ')}` : ''}${native}`);
  },
  (error) => {
    console.error(error.message);
    process.exit(1);
  },
);
