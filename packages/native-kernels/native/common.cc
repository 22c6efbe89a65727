#include "common.h"

#include <algorithm>

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

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stopping_ = false;
}

void ThreadPool::set_threads(int threads) {
  threads = std::max(1, std::min(threads, 64));
  if (threads == threads_) return;
  stop_workers();
  threads_ = threads;
  for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
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

void ThreadPool::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  if (threads_ <= 1 || tasks == 1 || t_in_task) {
    for (int64_t t = 0; t < tasks; ++t) fn(t);
    return;
  }
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
  for (int64_t t = next_.fetch_add(1); t < tasks; t = next_.fetch_add(1)) {
    fn(t);
    finished_.fetch_add(1);
  }
  // Wait until every task ran and no worker still holds a reference to `fn` (it lives on our stack).
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return finished_.load() == tasks && busy_workers_ == 0; });
  job_ = nullptr;
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (n <= 0) return;
  ThreadPool& pool = ThreadPool::instance();
  const int64_t max_parts = std::max<int64_t>(1, n / std::max<int64_t>(1, grain));
  const int64_t parts = std::min<int64_t>(pool.threads(), max_parts);
  if (parts <= 1) {
    body(0, n);
    return;
  }
  pool.run(parts, [&](int64_t i) {
    int64_t b, e;
    split_range(n, parts, i, &b, &e);
    body(b, e);
  });
}

}  // namespace carl
