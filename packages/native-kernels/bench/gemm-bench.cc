// Single/multi-thread SGEMM throughput of two builds of native/gemm.cc (loaded with dlopen, run interleaved so
// both see the same machine load) and of OpenBLAS, on the transformer shapes. Best of N repetitions.
//   bench/gemm-bench.sh [old.cc]   (builds, then runs under taskset -c 0 at 1 thread and at 2 threads)
#include <cblas.h>
#include <dlfcn.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);

typedef void (*SgemmFn)(int, int, int, int, bool, bool, const float*, const float*, float*);
typedef void (*ThreadsFn)(int);

struct Impl {
  std::string name;
  SgemmFn sgemm = nullptr;
  ThreadsFn threads = nullptr;
};

static Impl load(const char* path, const char* name) {
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    std::fprintf(stderr, "%s\n", dlerror());
    std::exit(1);
  }
  Impl impl;
  impl.name = name;
  impl.sgemm = reinterpret_cast<SgemmFn>(dlsym(h, "carl_bench_sgemm"));
  impl.threads = reinterpret_cast<ThreadsFn>(dlsym(h, "carl_bench_threads"));
  return impl;
}

static void blas(int batch, int m, int n, int k, bool ta, bool tb, const float* a, const float* b, float* c) {
  for (int i = 0; i < batch; ++i)
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.f, a + size_t(i) * m * k, ta ? m : k,
                b + size_t(i) * k * n, tb ? k : n, 0.f, c + size_t(i) * m * n, n);
}

int main(int argc, char** argv) {
  // argv: old.so new.so threads reps [filter]
  if (argc < 5) return 2;
  Impl impls[2] = {load(argv[1], "old"), load(argv[2], "new")};
  const int threads = std::atoi(argv[3]), reps = std::atoi(argv[4]);
  const char* filter = argc > 5 ? argv[5] : nullptr;
  for (auto& i : impls) i.threads(threads);
  openblas_set_num_threads(threads);
  struct Shape {
    const char* name;
    int batch, m, k, n;
    bool ta, tb;
  };
  std::vector<Shape> shapes;
  const int att_batch = std::getenv("GEMM_BENCH_ATT_BATCH") ? std::atoi(std::getenv("GEMM_BENCH_ATT_BATCH")) : 384;
  const int dense[][3] = {{2048, 384, 1536}, {2048, 1536, 384}, {2048, 384, 384}, {2048, 768, 3072}, {2048, 3072, 768}, {2048, 768, 768}};
  for (auto& d : dense) {
    shapes.push_back({"fwd", 1, d[0], d[1], d[2], false, false});
    shapes.push_back({"dW ", 1, d[1], d[0], d[2], true, false});
    shapes.push_back({"dX ", 1, d[0], d[2], d[1], false, true});
  }
  shapes.push_back({"att", att_batch, 64, 32, 64, false, true});
  shapes.push_back({"att", att_batch, 64, 64, 32, false, false});
  shapes.push_back({"att", att_batch, 64, 64, 64, false, false});
  shapes.push_back({"att", att_batch, 64, 64, 32, true, false});
  shapes.push_back({"att", att_batch, 64, 64, 64, false, true});
  std::printf("%-28s %8s %8s %8s %7s   (GFLOP/s, best of %d, %d thread(s))\n", "shape (m x k x n)", "old", "new", "openblas", "new/old", reps, threads);
  double sum_ratio = 0;
  int count = 0;
  for (const Shape& s : shapes) {
    char label[96];
    std::snprintf(label, sizeof label, "%s %s%dx%dx%d%s%s", s.name, s.batch > 1 ? "Bx" : "", s.m, s.k, s.n, s.ta ? " tA" : "", s.tb ? " tB" : "");
    if (filter && !std::strstr(label, filter)) continue;
    const size_t na = size_t(s.batch) * s.m * s.k, nb = size_t(s.batch) * s.k * s.n, nc = size_t(s.batch) * s.m * s.n;
    std::vector<float> a(na), b(nb), c0(nc), c1(nc), c2(nc);
    unsigned x = 1;
    for (auto& v : a) v = ((x = x * 1664525u + 1013904223u) >> 8) * (1.f / 16777216.f) - 0.5f;
    for (auto& v : b) v = ((x = x * 1664525u + 1013904223u) >> 8) * (1.f / 16777216.f) - 0.5f;
    double best[3] = {1e30, 1e30, 1e30};
    float* outs[3] = {c0.data(), c1.data(), c2.data()};
    for (int r = -1; r < reps; ++r) {
      for (int i = 0; i < 3; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        if (i < 2)
          impls[i].sgemm(s.batch, s.m, s.n, s.k, s.ta, s.tb, a.data(), b.data(), outs[i]);
        else
          blas(s.batch, s.m, s.n, s.k, s.ta, s.tb, a.data(), b.data(), outs[i]);
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r >= 0 && dt < best[i]) best[i] = dt;
      }
    }
    if (std::memcmp(c0.data(), c1.data(), nc * 4) != 0) std::printf("!! old and new results differ in bits\n");
    const double flop = 2.0 * s.batch * s.m * s.n * s.k;
    std::printf("%-28s %8.1f %8.1f %8.1f %7.3f\n", label, flop / best[0] * 1e-9, flop / best[1] * 1e-9, flop / best[2] * 1e-9, best[0] / best[1]);
    sum_ratio += std::log(best[0] / best[1]);
    ++count;
  }
  if (count) std::printf("geomean new/old speed-up: %.3f\n", std::exp(sum_ratio / count));
}
