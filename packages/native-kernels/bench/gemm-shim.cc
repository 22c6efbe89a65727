// C entry points over native/gemm.cc for bench/gemm-bench.cc, which loads two builds of the kernel (before and
// after a change) side by side with dlopen. Built by bench/gemm-bench.sh; not part of the addon.
#include "../native/common.h"
#include "../native/gemm.h"

extern "C" __attribute__((visibility("default"))) void carl_bench_threads(int threads) {
  carl::ThreadPool::instance().set_threads(threads);
}

extern "C" __attribute__((visibility("default"))) void carl_bench_sgemm(int batch, int m, int n, int k, bool ta, bool tb, const float* a,
                                                                       const float* b, float* c) {
  carl::GemmArgs g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.b = b;
  g.c = c;
  g.lda = ta ? m : k;
  g.ldb = tb ? k : n;
  g.ldc = n;
  carl::sgemm_batched(g, batch, int64_t(m) * k, int64_t(k) * n, int64_t(m) * n);
}
