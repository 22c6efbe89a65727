// Shared helpers of the CARL native kernels: CPU feature dispatch and a tiny thread pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define CARL_X86 1
#define CARL_TARGET(s) __attribute__((target(s)))
#else
#define CARL_X86 0
#define CARL_TARGET(s)
#endif

#if defined(__GNUC__)
#define CARL_RESTRICT __restrict__
#define CARL_INLINE inline __attribute__((always_inline))
#else
#define CARL_RESTRICT
#define CARL_INLINE inline
#endif

// Builds each element-wise loop three times (AVX-512, AVX2+FMA, baseline) and lets the loader pick one
// at run time, so one binary is fast on new CPUs and still runs on old ones. glibc's ifunc does the pick.
#if CARL_X86 && defined(__linux__) && !defined(__clang__)
#define CARL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CARL_CLONES
#endif

namespace carl {

enum class Isa { Generic = 0, Avx2 = 1, Avx512 = 2 };

// The best instruction set this CPU (and the build) supports; `limit` caps it (for tests and A/B runs).
Isa detect_isa();
Isa active_isa();
void set_isa_limit(Isa limit);
const char* isa_name(Isa isa);

// A persistent pool of worker threads. `run(tasks, fn)` calls fn(task) for every task in [0, tasks) spread over
// the caller and the workers, and returns when all are done. With one thread it is a plain loop.
//
// One caller at a time owns the workers: the addon is process-wide, so Node worker_threads that each load it
// share this pool, and a second caller that finds it busy runs its tasks inline on its own thread (same results:
// every kernel's split depends only on the sizes, never on which thread runs a task). set_threads waits for
// the owner to finish. Before this guard, two callers overwrote each other's job and counters (lost tasks,
// wrong results or a caller waiting forever) — pool_stress below reproduces that.
class ThreadPool {
 public:
  static ThreadPool& instance();
  void set_threads(int threads);
  int threads() const { return threads_.load(std::memory_order_relaxed); }
  void run(int64_t tasks, const std::function<void(int64_t)>& fn);
  ~ThreadPool();

  // Test hook: the caller sleeps this long after publishing a job, before taking tasks itself. Widens the
  // window in which a second caller or a resize could interfere, so the race repeats on every run.
  static void set_debug_delay_us(int us);

 private:
  ThreadPool() = default;
  void stop_workers();
  void worker_loop();
  void run_inline(int64_t tasks, const std::function<void(int64_t)>& fn);

  std::atomic<int> threads_{1};
  std::vector<std::thread> workers_;
  std::mutex owner_;  // held by the one caller that uses the workers (and by set_threads)
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t job_tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> finished_{0};
  uint64_t generation_ = 0;
  int busy_workers_ = 0;
  bool stopping_ = false;
};

// Runs `callers` OS threads at once, each doing `iterations` parallel_for passes over its own array and
// checking every element; with `resize`, one more thread flips the pool between 2 and 3 threads meanwhile.
// Returns the number of wrong elements, or -1 when a pass did not finish within `timeout_ms` (a lost task).
// Test support for the race above (what Node worker_threads sharing the addon do).
int64_t pool_stress(int callers, int iterations, bool resize, int timeout_ms);

// Smallest amount of work (in elements) worth one task of its own, per kind of kernel: below twice this a
// kernel runs on the calling thread, since waking a worker costs more than it saves. Measured with
// bench/thresholds.mjs (figures in the README); settable for that measurement.
struct Grains {
  int64_t copy;       // transposes, slices, concatenation, gathers (memory-bound copies)
  int64_t arith;      // add/sub/mul/div/… and cheap unary ops
  int64_t transcend;  // exp, erf, tanh, sigmoid, GELU and its gradient, dropout (hash per element)
  int64_t rows;       // LayerNorm (+gradient), softmax (+gradient): elements of the rows in one task
  int64_t reduce;     // sums, means, max, min: input elements per task
  int64_t adam;       // AdamW: parameters per task
  int64_t gemm;       // matrix products: multiply-adds per task
};
Grains& grains();

// Splits [0, n) into `parts` nearly equal chunks; returns the bounds of chunk `i`.
inline void split_range(int64_t n, int64_t parts, int64_t i, int64_t* begin, int64_t* end) {
  const int64_t base = n / parts, extra = n % parts;
  *begin = i * base + (i < extra ? i : extra);
  *end = *begin + base + (i < extra ? 1 : 0);
}

// Parallel loop over [0, n) in chunks of at least `grain` iterations (chunk bounds are multiples of `align`,
// so vector loops see the same body/tail split of every element whatever the thread count).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body, int64_t align = 1);

}  // namespace carl
