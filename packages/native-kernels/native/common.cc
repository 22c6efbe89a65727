#include "common.h"

#include <algorithm>
#include <chrono>
#include <memory>

namespace carl {

namespace {
Isa g_limit = Isa::Avx512;
// Set while a thread runs a pool task: a nested run() then executes inline instead of re-entering the pool.
thread_local bool t_in_task = false;

struct TaskScope {
  bool previous;
  TaskScope() : previous(t_in_task) { t_in_task = true; }
  ~TaskScope() { t_in_task = previous; }
};
}

Isa detect_isa() {
#if CARL_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl")) {
    return Isa::Avx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Generic;
}

Isa active_isa() {
  static const Isa detected = detect_isa();
  return static_cast<int>(detected) < static_cast<int>(g_limit) ? detected : g_limit;
}

void set_isa_limit(Isa limit) { g_limit = limit; }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    default:
      return "generic";
  }
}

ThreadPool& ThreadPool::instance() {
  static ThreadPool* pool = new ThreadPool();  // never destroyed: workers may outlive static destructors
  return *pool;
}

namespace {
std::atomic<int> g_debug_delay_us{0};
}

Grains& grains() {
  // Defaults measured on a 2-core AMD EPYC (Zen 2, AVX2) with bench/thresholds.mjs; see the README.
  static Grains g{1 << 16, 1 << 15, 1 << 14, 1 << 12, 1 << 16, 1 << 12, 1 << 17};
  return g;
}

void ThreadPool::set_debug_delay_us(int us) { g_debug_delay_us.store(std::max(0, us)); }

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = false;
}

void ThreadPool::set_threads(int threads) {
  threads = std::max(1, std::min(threads, 64));
  // Wait for the caller that owns the workers: joining them under a running job would strand its tasks.
  std::lock_guard<std::mutex> owner(owner_);
  if (threads == threads_.load()) return;
  stop_workers();
  threads_.store(threads);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void ThreadPool::worker_loop() {
  uint64_t seen;
  {
    // Start at the current generation, so a worker created between runs never mistakes an old one for work.
    std::lock_guard<std::mutex> lock(mutex_);
    seen = generation_;
  }
  for (;;) {
    const std::function<void(int64_t)>* job;
    int64_t tasks;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      // A worker that wakes after the caller already finished this generation's tasks alone finds no job;
      // it must not touch the counters, which the next run() may be resetting right now.
      if (job_ == nullptr) continue;
      job = job_;
      tasks = job_tasks_;
      ++busy_workers_;
    }
    {
      TaskScope scope;
      for (int64_t t = next_.fetch_add(1); t < tasks; t = next_.fetch_add(1)) {
        (*job)(t);
        finished_.fetch_add(1);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_workers_;
    }
    done_.notify_all();
  }
}

void ThreadPool::run_inline(int64_t tasks, const std::function<void(int64_t)>& fn) {
  TaskScope scope;
  for (int64_t t = 0; t < tasks; ++t) fn(t);
}

void ThreadPool::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  if (threads_.load() <= 1 || tasks == 1 || t_in_task) return run_inline(tasks, fn);
  // Another thread (another Node worker_thread with its own tfjs) is using the workers: do this job here.
  std::unique_lock<std::mutex> owner(owner_, std::try_to_lock);
  if (!owner.owns_lock() || workers_.empty()) return run_inline(tasks, fn);
  TaskScope scope;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_tasks_ = tasks;
    next_.store(0);
    finished_.store(0);
    ++generation_;
  }
  wake_.notify_all();
  if (const int delay = g_debug_delay_us.load(std::memory_order_relaxed)) std::this_thread::sleep_for(std::chrono::microseconds(delay));
  for (int64_t t = next_.fetch_add(1); t < tasks; t = next_.fetch_add(1)) {
    fn(t);
    finished_.fetch_add(1);
  }
  // Wait until every task ran and no worker still holds a reference to `fn` (it lives on our stack).
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return finished_.load() == tasks && busy_workers_ == 0; });
  job_ = nullptr;
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body, int64_t align) {
  if (n <= 0) return;
  ThreadPool& pool = ThreadPool::instance();
  align = std::max<int64_t>(1, align);
  const int64_t units = (n + align - 1) / align;
  const int64_t max_parts = std::max<int64_t>(1, n / std::max<int64_t>(1, grain));
  // Up to 4 tasks per thread: a worker that the OS schedules late (a busy machine) then delays the others by
  // a quarter of its share, not all of it. The split never changes results (see the kernels).
  const int64_t threads = pool.threads();
  const int64_t parts = threads <= 1 ? 1 : std::min<int64_t>({4 * threads, max_parts, units});
  if (parts <= 1) {
    body(0, n);
    return;
  }
  pool.run(parts, [&](int64_t i) {
    int64_t b, e;
    split_range(units, parts, i, &b, &e);
    body(b * align, std::min(n, e * align));
  });
}

int64_t pool_stress(int callers, int iterations, bool resize, int timeout_ms) {
  // Shared state on the heap: on a timeout the stuck threads are detached and keep referring to it.
  struct State {
    std::atomic<int64_t> wrong{0};
    std::atomic<int> running{0};
    std::atomic<bool> go{false};
  };
  auto state = std::make_shared<State>();
  state->running.store(callers);
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([state, c, iterations] {
      const int64_t n = 4096;
      std::vector<float> in(n), out(n);
      for (int64_t i = 0; i < n; ++i) in[i] = static_cast<float>(i % 97);
      while (!state->go.load()) std::this_thread::yield();
      for (int it = 0; it < iterations; ++it) {
        const float k = static_cast<float>(c * 1000 + it);
        std::fill(out.begin(), out.end(), -1.0f);
        parallel_for(n, 64, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) out[i] = in[i] + k;
        });
        for (int64_t i = 0; i < n; ++i)
          if (out[i] != in[i] + k) state->wrong.fetch_add(1);
      }
      state->running.fetch_sub(1);
    });
  }
  if (resize) {
    threads.emplace_back([state] {
      while (!state->go.load()) std::this_thread::yield();
      for (int i = 0; state->running.load() > 0; ++i) ThreadPool::instance().set_threads(2 + (i & 1));
    });
  }
  state->go.store(true);
  // A caller whose tasks were taken by another's job waits forever; report that instead of hanging.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (state->running.load() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (state->running.load() > 0) {
    for (auto& t : threads) t.detach();
    return -1;
  }
  for (auto& t : threads) t.join();
  return state->wrong.load();
}

}  // namespace carl
