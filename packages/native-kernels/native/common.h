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

// A fixed pool of worker threads. `run(tasks, fn)` calls fn(task) for every task in [0, tasks) spread over the
// caller and the workers, and returns when all are done. With one thread it is a plain loop.
class ThreadPool {
 public:
  static ThreadPool& instance();
  void set_threads(int threads);
  int threads() const { return threads_; }
  void run(int64_t tasks, const std::function<void(int64_t)>& fn);
  ~ThreadPool();

 private:
  ThreadPool() = default;
  void stop_workers();
  void worker_loop();

  int threads_ = 1;
  std::vector<std::thread> workers_;
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

// Splits [0, n) into `parts` nearly equal chunks; returns the bounds of chunk `i`.
inline void split_range(int64_t n, int64_t parts, int64_t i, int64_t* begin, int64_t* end) {
  const int64_t base = n / parts, extra = n % parts;
  *begin = i * base + (i < extra ? i : extra);
  *end = *begin + base + (i < extra ? 1 : 0);
}

// Parallel loop over [0, n) in chunks of at least `grain` iterations.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

}  // namespace carl
