// Does tfjs's own threaded wasm build (tfjs-backend-wasm-threaded-simd.wasm) run under Node here?
//   node packages/native-kernels/bench/stock-wasm-threads.js 0   # the single-threaded SIMD build (what we use)
//   node packages/native-kernels/bench/stock-wasm-threads.js 1   # the threaded build, 2 threads
// Result (Node 20.20, tfjs 4.22): the threaded build fails to initialise — emscripten starts its pthreads with
// `new Worker("blob:nodedata:…")`, which Node's worker_threads rejects (ERR_WORKER_PATH). See the README.
const tf = require('@tensorflow/tfjs-core');
const wasm = require('@tensorflow/tfjs-backend-wasm');
(async () => {
  const threaded = process.argv[2] === '1';
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  if (threaded) wasm.setThreadsCount(2);
  const t0 = Date.now();
  const ok = await Promise.race([tf.setBackend('wasm'), new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
  console.log('setBackend', ok, Date.now() - t0, 'ms; threads', wasm.getThreadsCount ? wasm.getThreadsCount() : '?');
  if (ok !== true) process.exit(0);
  const a = tf.randomNormal([2048, 384]), b = tf.randomNormal([384, 1536]);
  for (let r = 0; r < 3; r++) { const t = Date.now(); tf.matMul(a, b).dataSync(); console.log('matmul 2048x384x1536', Date.now() - t, 'ms'); }
  const x = tf.randomNormal([2048, 1536]);
  for (let r = 0; r < 3; r++) { const t = Date.now(); tf.tidy(() => tf.sum(tf.exp(x), 0).dataSync()); console.log('exp+sum', Date.now() - t, 'ms'); }
  process.exit(0);
})().catch((e) => { console.log('error', e.message); process.exit(0); });
