#include "pool/pool_backend.hpp"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include <stdexcept>
#include <string>

#include <tpb/topology.hpp>

#include "host/cpus.hpp"
#include "host/futex.hpp"
#include "host/sched.hpp"

namespace tpb {
namespace {

// A worker's slot, one futex word. Launchers move it Idle* -> Claimed -> Ready; the worker owns
// it in Ready and hands it back as Idle. The *Asleep states tell the launcher it owes a wake.
constexpr std::uint32_t kIdle = 0;           // available, worker awake (spinning)
constexpr std::uint32_t kIdleAsleep = 1;     // available, worker parked or about to park
constexpr std::uint32_t kClaimed = 2;        // a launcher is writing the job
constexpr std::uint32_t kClaimedAsleep = 3;  // ... and the worker went to sleep meanwhile
constexpr std::uint32_t kReady = 4;          // job published; the worker runs it
constexpr std::uint32_t kStop = 5;           // destructor: exit
constexpr std::uint32_t kRetired = 6;        // could not restore itself; being replaced

const HostPriority kOwnPriority{};  // SCHED_OTHER, nice 0

inline void cpu_relax() {
  __builtin_ia32_pause();
}

class PoolBackend;

// One pinned host thread and the job a launcher hands it. Cache-line aligned: launchers of other
// CPUs CAS neighbouring slots.
struct alignas(64) Worker {
  std::atomic<std::uint32_t> state{kIdle};

  // The job: written by the launcher that claimed the slot, read by the worker after kReady.
  void (*trampoline)(void*) = nullptr;
  void (*completion)(void*) = nullptr;
  void* argument = nullptr;
  bool apply_priority = false;
  HostPriority priority;
  bool pin = false;
  host::CpuSet cpus;  // machine-sized up front, so filling it in launch() allocates nothing
  char name[16] = {};

  // Fixed for the worker's life.
  PoolBackend* pool = nullptr;
  int cpu = -1;
  host::CpuSet own_cpu;
  char own_name[16] = {};
  long tid = 0;  // written by the worker itself before its first job
  pthread_t thread{};
  bool joinable = false;  // `thread` is a host thread nobody joined yet (spawner or destructor)
};

class PoolBackend final : public ThreadBackend {
 public:
  PoolBackend(const PoolOptions& options, const Topology& topology)
      : capacity_(options.max_per_cpu != 0
                      ? options.max_per_cpu
                      : (options.capacity_per_cpu == 0 ? 1 : options.capacity_per_cpu)),
        bounded_(options.max_per_cpu != 0),
        spin_(options.wake == PoolOptions::Wake::spin ? options.spin : std::chrono::nanoseconds(0)),
        stack_size_(host::default_thread_stack_size()) {
    for (const LogicalCpu& cpu : topology.cpus()) {
      if (cpu.os_index >= static_cast<int>(group_of_cpu_.size()))
        group_of_cpu_.resize(cpu.os_index + 1, -1);
      group_of_cpu_[cpu.os_index] = groups_++;
    }
    workers_.reserve(static_cast<std::size_t>(groups_) * capacity_);
    try {
      for (const LogicalCpu& cpu : topology.cpus())
        for (unsigned i = 0; i < capacity_; ++i) workers_.push_back(new_worker(cpu.os_index, i));
      for (auto& w : workers_) start(*w);
      spawner_ = std::thread([this] { serve_spawns(); });
    } catch (...) {
      stop_and_join();
      throw;
    }
  }

  ~PoolBackend() override { stop_and_join(); }

  std::string_view name() const override { return "pool"; }
  Capabilities capabilities() const override { return pool_capabilities(); }

  LaunchStatus launch(const Launch& launch) override {
    if (launch.trampoline == nullptr) return LaunchStatus::invalid;
    if (launch.stack_size > stack_size_ || groups_ == 0) return LaunchStatus::no_resources;
    bool was_asleep = false;
    const std::size_t home = group_for(launch.home_cpu);
    Worker* w = claim(home, was_asleep);
    if (w == nullptr && !bounded_) w = borrow(home, was_asleep);
    if (w == nullptr) return LaunchStatus::no_resources;

    w->trampoline = launch.trampoline;
    w->completion = launch.completion;
    w->argument = launch.argument;
    // Skip what the worker already is: its own priority costs no syscall, nor does its own CPU.
    w->apply_priority = launch.apply_priority && !(launch.priority == kOwnPriority);
    w->priority = launch.priority;
    w->pin = fill_cpus(*w, launch.cpus);
    std::size_t n = launch.name.copy(w->name, sizeof w->name - 1);
    w->name[n] = '\0';

    std::uint32_t prior = w->state.exchange(kReady, std::memory_order_acq_rel);
    if (was_asleep || prior == kClaimedAsleep) host::futex_wake(w->state, 1);
    return LaunchStatus::ok;
  }

 private:
  static void* worker_entry(void* raw) {
    auto* w = static_cast<Worker*>(raw);
    w->pool->run(*w);
    return nullptr;
  }

  std::unique_ptr<Worker> new_worker(int cpu, unsigned index) {
    auto owned = std::make_unique<Worker>();
    Worker& w = *owned;
    w.pool = this;
    w.cpu = cpu;
    w.own_cpu.add(cpu);
    const std::string own_name = "tpb-pool" + std::to_string(cpu) + "." + std::to_string(index);
    own_name.copy(w.own_name, sizeof w.own_name - 1);  // the kernel keeps 15 characters
    return owned;
  }

  // Starts the worker's host thread. It inherits its creator's nice value, which no attribute can
  // set: workers are created only by the constructor and the spawner, both at the pool's own level.
  void start(Worker& w) {
    pthread_attr_t attr;
    if (int rc = pthread_attr_init(&attr); rc != 0)
      throw std::system_error(rc, std::generic_category());
    pthread_attr_setaffinity_np(&attr, w.own_cpu.size(), w.own_cpu.get());
    // Workers must not inherit a SCHED_FIFO creator: they spin, and only SCHED_OTHER may spin.
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
    sched_param param{};
    pthread_attr_setschedparam(&attr, &param);
    int rc = pthread_create(&w.thread, &attr, &worker_entry, &w);
    pthread_attr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "pool worker");
    w.joinable = true;
  }

  // ---- The spawner: the one thread that creates workers after the constructor ----------------
  // A system thread may have raised its worker's nice value past what the process may lower
  // again; a worker created by that worker would inherit it. The spawner stays at the level the
  // pool was created at, so every worker it creates starts there.

  void serve_spawns() {
    std::unique_lock lock(spawn_mutex_);
    for (;;) {
      spawn_cv_.wait(lock, [&] { return stopping_ || !spawn_requests_.empty(); });
      if (stopping_) return;
      std::function<void()> request = std::move(spawn_requests_.front());
      spawn_requests_.pop_front();
      lock.unlock();  // a retiring worker may be posting meanwhile
      request();
      lock.lock();
    }
  }

  void post_spawn(std::function<void()> request) {
    {
      std::lock_guard lock(spawn_mutex_);
      if (stopping_) return;
      spawn_requests_.push_back(std::move(request));
    }
    spawn_cv_.notify_one();
  }

  // A worker that could not restore itself has exited: a new host thread takes its slot, so the
  // pool never loses capacity. Runs on the spawner.
  void replace(Worker& w) {
    if (w.joinable) pthread_join(w.thread, nullptr);
    w.joinable = false;
    try {
      start(w);  // the new thread turns the slot from kRetired back to kIdle
    } catch (const std::system_error&) {
      // The host refused a thread: the slot stays retired (the pool still borrows and grows).
    }
  }

  // No idle worker in the home group: an idle worker of another group (its job carries the
  // launch's CPUs, so placement is unchanged), then one of the workers grown earlier, then a new
  // one started by the spawner. nullptr only when the host refuses a new thread.
  Worker* borrow(std::size_t home, bool& was_asleep) {
    for (std::size_t g = 0; g < static_cast<std::size_t>(groups_); ++g)
      if (g != home)
        if (Worker* w = claim(g, was_asleep); w != nullptr) return w;
    std::lock_guard lock(grow_mutex_);
    for (auto& w : grown_)
      if (Worker* claimed = try_claim(*w, was_asleep); claimed != nullptr) return claimed;
    const int cpu = workers_[home * capacity_]->cpu;
    auto owned = new_worker(cpu, static_cast<unsigned>(capacity_ + grown_.size()));
    owned->state.store(kClaimed, std::memory_order_relaxed);  // it is this launch's
    Worker* w = owned.get();
    std::promise<bool> started;
    post_spawn([&] {
      try {
        start(*w);
        started.set_value(true);
      } catch (const std::system_error&) {
        started.set_value(false);
      }
    });
    // The spawner always answers (it stops only in the destructor, after every launch).
    if (!started.get_future().get()) return nullptr;
    grown_.push_back(std::move(owned));
    was_asleep = false;  // a new worker reads kReady on its own
    return w;
  }

  void stop_and_join() {
    {
      std::lock_guard lock(spawn_mutex_);
      stopping_ = true;
    }
    spawn_cv_.notify_all();
    if (spawner_.joinable()) spawner_.join();
    std::lock_guard lock(grow_mutex_);
    for (auto* list : {&workers_, &grown_})
      for (auto& w : *list) {
        w->state.store(kStop, std::memory_order_release);
        host::futex_wake(w->state, 1);
      }
    for (auto* list : {&workers_, &grown_})
      for (auto& w : *list)
        if (w->joinable) pthread_join(w->thread, nullptr);
    workers_.clear();
    grown_.clear();
  }

  std::size_t group_for(int cpu) const {
    auto known = [this](int c) {
      return c >= 0 && c < static_cast<int>(group_of_cpu_.size()) && group_of_cpu_[c] >= 0;
    };
    if (!known(cpu)) cpu = host::current_cpu();
    return known(cpu) ? static_cast<std::size_t>(group_of_cpu_[cpu]) : 0;
  }

  // The worker's CPUs for this system thread: Launch::cpus, or when empty the creator's, which
  // only the creator can read. False when that is just the worker's own CPU (no syscall needed).
  static bool fill_cpus(Worker& w, const std::vector<int>& cpus) {
    if (cpus.empty()) {
      if (host::get_thread_affinity(0, w.cpus) != 0) return false;
    } else {
      w.cpus.assign(cpus);
    }
    return !(w.cpus == w.own_cpu);
  }

  // Awake workers first (no futex wake needed), lowest index first so the same few stay warm.
  Worker* claim(std::size_t group, bool& was_asleep) {
    for (std::uint32_t from : {kIdle, kIdleAsleep}) {
      for (unsigned i = 0; i < capacity_; ++i) {
        Worker* w = workers_[group * capacity_ + i].get();
        std::uint32_t expected = from;
        if (w->state.load(std::memory_order_relaxed) == from &&
            w->state.compare_exchange_strong(expected, kClaimed, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
          was_asleep = from == kIdleAsleep;
          return w;
        }
      }
    }
    return nullptr;
  }

  static Worker* try_claim(Worker& w, bool& was_asleep) {
    for (std::uint32_t from : {kIdle, kIdleAsleep}) {
      std::uint32_t expected = from;
      if (w.state.compare_exchange_strong(expected, kClaimed, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
        was_asleep = from == kIdleAsleep;
        return &w;
      }
    }
    return nullptr;
  }

  void run(Worker& w) {
    w.tid = host::current_tid();
    pthread_setname_np(pthread_self(), w.own_name);
    // nice is per thread and inherited from the creator; attributes cannot carry it.
    host::set_thread_nice(w.tid, kOwnPriority.nice);
    // A replacement takes over its retired slot here; launchers never touch a retired one.
    std::uint32_t retired = kRetired;
    w.state.compare_exchange_strong(retired, kIdle, std::memory_order_release,
                                    std::memory_order_relaxed);
    while (wait_for_job(w)) {
      run_job(w);
      // The slot is handed back before the completion signals the system thread's end, so a
      // waiter that wakes can create again at once; a launcher may overwrite the job from then.
      void (*completion)(void*) = w.completion;
      void* argument = w.argument;
      const bool restored = restore(w);
      std::uint32_t expected = kReady;
      const bool idle =
          w.state.compare_exchange_strong(expected, restored ? kIdle : kRetired,
                                          std::memory_order_release, std::memory_order_relaxed);
      if (!restored && idle) post_spawn([this, &w] { replace(w); });  // after this, w is not ours
      if (completion != nullptr) completion(argument);
      if (!restored || !idle) return;  // retired, or kStop
    }
  }

  // True when a job is ready, false on stop.
  bool wait_for_job(Worker& w) {
    if (spin_.count() > 0) {
      const auto deadline = std::chrono::steady_clock::now() + spin_;
      for (unsigned i = 1;; ++i) {
        std::uint32_t s = w.state.load(std::memory_order_acquire);
        if (s == kReady) return true;
        if (s == kStop) return false;
        cpu_relax();
        if (i % 64 != 0) continue;
        if (std::chrono::steady_clock::now() >= deadline) break;
        // A spinning worker shares its CPU with whoever wakes there, often the launcher waiting
        // for this very job's end; the scheduler does not preempt for so short a sleep, so without
        // a yield that thread waited out the whole spin (a one-thread burst took 13 to 47 us per
        // thread). oneTBB's backoff yields the same way once its pauses are spent.
        sched_yield();
      }
    }
    for (;;) {
      std::uint32_t s = w.state.load(std::memory_order_acquire);
      switch (s) {
        case kReady:
          return true;
        case kStop:
          return false;
        case kIdle:
        case kClaimed: {
          // Announce the sleep first: the launcher then knows it owes a wake.
          const std::uint32_t asleep = s == kIdle ? kIdleAsleep : kClaimedAsleep;
          if (w.state.compare_exchange_weak(s, asleep, std::memory_order_relaxed))
            host::futex_wait(w.state, asleep);
          break;
        }
        default:  // already announced; a spurious return
          host::futex_wait(w.state, s);
      }
    }
  }

  static void run_job(Worker& w) {
    if (w.name[0] != '\0') pthread_setname_np(pthread_self(), w.name);
    if (w.pin) host::set_thread_affinity(0, w.cpus);
    // An EPERM here is too late to refuse the launch; the runtime probed the process's rights
    // before launching, so the system thread just runs at what the worker has.
    if (w.apply_priority) host::apply_own_priority(w.priority);
    w.trampoline(w.argument);
  }

  static bool restore(Worker& w) {
    if (w.name[0] != '\0') pthread_setname_np(pthread_self(), w.own_name);
    bool ok = host::set_thread_affinity(0, w.own_cpu) == 0;
    return host::apply_own_priority(kOwnPriority) == 0 && ok;
  }

  const unsigned capacity_;
  const bool bounded_;  // pool_max_per_cpu given: no borrowing, no growth
  const std::chrono::nanoseconds spin_;
  const std::size_t stack_size_;
  std::vector<int> group_of_cpu_;  // os_index -> group, -1 when not in the topology
  int groups_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;  // group g: [g * capacity_, (g + 1) * capacity_)
  std::mutex grow_mutex_;
  std::vector<std::unique_ptr<Worker>> grown_;  // started past the constructor's (grow_mutex_)
  std::mutex spawn_mutex_;
  std::condition_variable spawn_cv_;
  std::deque<std::function<void()>> spawn_requests_;  // spawn_mutex_
  bool stopping_ = false;                             // spawn_mutex_
  std::thread spawner_;
};

}  // namespace

Capabilities pool_capabilities() {
  Capabilities caps;
  caps.priority = Capabilities::Priority::applied;
  caps.affinity = true;
  caps.per_cpu_limit = false;  // only with pool_max_per_cpu
  caps.termination = true;
  caps.reuses_host_threads = true;
  return caps;
}

std::unique_ptr<ThreadBackend> make_pool_backend(const BackendOptions& options,
                                                 const Topology& topology) {
  return std::make_unique<PoolBackend>(PoolOptions::from(options), topology);
}

PoolOptions PoolOptions::from(const BackendOptions& options) {
  PoolOptions pool;
  if (const std::string* wake = options.find("wake")) {
    if (*wake == "park")
      pool.wake = Wake::park;
    else if (*wake == "spin")
      pool.wake = Wake::spin;
    else
      throw std::invalid_argument("pool setting 'wake' must be park or spin, not '" + *wake + "'");
  }
  pool.spin = std::chrono::microseconds(options.count("spin_us", 50));
  pool.capacity_per_cpu = options.count("capacity", kDefaultCapacityPerCpu);
  pool.max_per_cpu = options.count("max", 0);
  return pool;
}

std::vector<BackendVariant> pool_variants() {
  return {{"wake", "park"}, {"wake", "spin"}};
}

}  // namespace tpb
