#include "tbb/tbb_backend.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <new>
#include <thread>
#include <utility>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_scheduler_observer.h>

#include <tpb/topology.hpp>

#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb {
namespace {

// oneTBB 2021.8 dlopens tbbbind (its NUMA binding) with RTLD_DEEPBIND, which AddressSanitizer
// refuses with an abort; sanitized builds place by NUMA node without binding the arenas.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kNumaBinding = false;
#else
constexpr bool kNumaBinding = true;
#endif

const HostPriority kVariable{};                                  // SCHED_OTHER, nice 0
const HostPriority kRealtime{HostPriority::Policy::fifo, 0, 1};  // SCHED_FIFO 1 (KPRIORITY 16)

struct Node {
  std::vector<int> cpus;  // os_index, hwloc order: where its workers go back after a task
  int limit = 0;          // live system threads admitted
  std::atomic<int> live{0};
};

// Back to SCHED_OTHER, nice 0. glibc refuses the change (EINVAL) while its PTHREAD_PRIO_PROTECT
// bookkeeping for this thread still asks for a ceiling (a routine that left such a mutex, or whose
// lock was refused), which would leave the worker SCHED_FIFO; the kernel is then told directly.
void leave_realtime() {
  if (host::apply_own_priority(kVariable) == 0) return;
  sched_param other{};
  sched_setscheduler(0, SCHED_OTHER, &other);
}

// Keeps workers at SCHED_OTHER whenever they are not running a system thread: oneTBB lets a worker
// linger (spinning) in an arena after its work is done, and one lingering in the realtime arena
// must not hold an RT priority (no RT thread is left behind). A realtime task raises its worker to
// the class level for exactly its own duration (see launch()).
class ClassObserver final : public tbb::task_scheduler_observer {
 public:
  explicit ClassObserver(tbb::task_arena& arena) : tbb::task_scheduler_observer(arena) {
    observe(true);
  }
  ~ClassObserver() override { observe(false); }
  void on_scheduler_entry(bool) override { leave_realtime(); }
  void on_scheduler_exit(bool) override { leave_realtime(); }
};

struct Arena {
  Arena(const tbb::task_arena::constraints& constraints, tbb::task_arena::priority level,
        HostPriority host, Node& n)
      : arena(constraints, /*reserved_for_masters=*/0, level), priority(host), node(n) {}
  tbb::task_arena arena;  // declared before the observer: observe(false) needs the arena
  const HostPriority priority;
  Node& node;
  ClassObserver observer{arena};
};

class TbbBackend final : public ThreadBackend {
 public:
  TbbBackend(const BackendOptions& options, const Topology& topology)
      : capacity_(
            static_cast<int>(std::max(1u, options.count("capacity", kDefaultCapacityPerCpu)))),
        parallelism_(tbb::global_control::max_allowed_parallelism,
                     topology.cpus().size() * capacity_ + 1) {
    // oneTBB numbers NUMA nodes like hwloc's logical indexes, as the topology does. One node has
    // nothing to bind, and asking oneTBB would load tbbbind for nothing.
    std::vector<tbb::numa_node_id> ids = {tbb::task_arena::automatic};
    if (kNumaBinding && topology.numa_nodes() > 1) {
      std::vector<tbb::numa_node_id> found = tbb::info::numa_nodes();
      if (static_cast<int>(found.size()) == topology.numa_nodes()) ids = std::move(found);
    }
    const bool bound = ids.size() > 1;
    for (std::size_t i = 0; i < ids.size(); ++i) nodes_.push_back(std::make_unique<Node>());
    for (const LogicalCpu& cpu : topology.cpus()) {
      std::size_t node = bound ? static_cast<std::size_t>(cpu.numa) : 0;
      nodes_[node]->cpus.push_back(cpu.os_index);
      if (cpu.os_index >= static_cast<int>(node_of_cpu_.size()))
        node_of_cpu_.resize(cpu.os_index + 1, -1);
      node_of_cpu_[cpu.os_index] = static_cast<int>(node);
    }
    // Every admitted thread needs a worker of its own; scale down if the process allows fewer.
    const std::size_t workers =
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) - 1;
    const std::size_t wanted = topology.cpus().size() * capacity_;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      Node& node = *nodes_[i];
      std::size_t limit = node.cpus.size() * capacity_;
      if (workers < wanted) limit = std::max<std::size_t>(1, limit * workers / wanted);
      node.limit = static_cast<int>(limit);
      auto constraints =
          tbb::task_arena::constraints{}.set_numa_id(ids[i]).set_max_concurrency(node.limit);
      arenas_.push_back(
          std::make_unique<Arena>(constraints, tbb::task_arena::priority::normal, kVariable, node));
      arenas_.push_back(
          std::make_unique<Arena>(constraints, tbb::task_arena::priority::high, kRealtime, node));
    }
    start_every_worker();
  }

  ~TbbBackend() override {
    // A task decrements its node's count as its last access to this object; wait for those
    // epilogues (microseconds: no system thread is running any more).
    for (const auto& node : nodes_)
      while (node->live.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }

  std::string_view name() const override { return "tbb"; }
  Capabilities capabilities() const override { return tbb_capabilities(); }
  HostPriority effective_priority(const HostPriority& requested) const override {
    return requested.policy == HostPriority::Policy::fifo ? kRealtime : kVariable;
  }

  LaunchStatus launch(const Launch& launch) override {
    if (launch.trampoline == nullptr) return LaunchStatus::invalid;
    if (launch.stack_size > stack_size_) return LaunchStatus::no_resources;
    const bool realtime =
        launch.apply_priority && launch.priority.policy == HostPriority::Policy::fifo;
    const std::size_t node_index = node_for(launch.cpus.empty() ? launch.home_cpu : launch.cpus[0]);
    Arena& a = *arenas_[node_index * 2 + (realtime ? 1 : 0)];
    Node& node = a.node;
    // Fail fast: a task queued behind blocked system threads might never start.
    if (node.live.fetch_add(1, std::memory_order_relaxed) >= node.limit) {
      node.live.fetch_sub(1, std::memory_order_relaxed);
      return LaunchStatus::no_resources;
    }
    try {
      a.arena.enqueue([&a, trampoline = launch.trampoline, completion = launch.completion,
                       argument = launch.argument] {
        // EPERM (no right to SCHED_FIFO) leaves the worker at SCHED_OTHER: best effort by design.
        if (a.priority.policy == HostPriority::Policy::fifo) host::apply_own_priority(a.priority);
        trampoline(argument);
        // Between system threads a worker lingers in its arena for a while: it must not hold an
        // RT priority then (no RT thread is left behind), nor keep what the runtime may have set
        // by tid while the system thread ran (KeSetPriorityThread, affinity calls).
        leave_realtime();
        host::set_thread_affinity(0, a.node.cpus);
        // The slot is free before the completion signals the end, so a woken waiter may create.
        a.node.live.fetch_sub(1, std::memory_order_release);
        if (completion != nullptr) completion(argument);
      });
    } catch (const std::bad_alloc&) {
      node.live.fetch_sub(1, std::memory_order_relaxed);
      return LaunchStatus::no_resources;
    }
    return LaunchStatus::ok;
  }

 private:
  // oneTBB starts a missing worker lazily, from whichever worker wakes it, and the new thread
  // inherits that worker's scheduling. A worker running a realtime system thread is SCHED_FIFO,
  // and glibc's PTHREAD_PRIO_PROTECT code re-applies its cached policy without
  // SCHED_RESET_ON_FORK: a worker started from there would be SCHED_FIFO with no system thread to
  // lower it. So every worker is started here, while the creator (at SCHED_OTHER) is the only
  // thread asking: each variable arena is filled to its limit with tasks that wait until all
  // have arrived (bounded: past 2 s they leave anyway, and a late task finds them released).
  void start_every_worker() {
    struct Gate {
      std::atomic<int> arrived{0};
      std::atomic<bool> open{false};
    };
    auto gate = std::make_shared<Gate>();
    int total = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const int limit = nodes_[i]->limit;
      total += limit;
      for (int k = 0; k < limit; ++k)
        arenas_[i * 2]->arena.enqueue([gate] {
          gate->arrived.fetch_add(1);
          const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
          while (!gate->open.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        });
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (gate->arrived.load() < total && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    gate->open.store(true);
  }

  std::size_t node_for(int cpu) const {
    auto known = [this](int c) {
      return c >= 0 && c < static_cast<int>(node_of_cpu_.size()) && node_of_cpu_[c] >= 0;
    };
    if (!known(cpu)) cpu = host::current_cpu();
    return known(cpu) ? static_cast<std::size_t>(node_of_cpu_[cpu]) : 0;
  }

  const int capacity_;
  const std::size_t stack_size_ =
      tbb::global_control::active_value(tbb::global_control::thread_stack_size);
  tbb::global_control parallelism_;  // outlives the arenas
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<int> node_of_cpu_;                // os_index -> node, -1 when not in the topology
  std::vector<std::unique_ptr<Arena>> arenas_;  // node n: [2n] variable, [2n + 1] realtime
};

}  // namespace

Capabilities tbb_capabilities() {
  Capabilities caps;
  caps.priority = Capabilities::Priority::arena_level;
  caps.affinity = false;       // NUMA-level placement only
  caps.per_cpu_limit = false;  // the bound is per NUMA node
  caps.termination = true;
  caps.reuses_host_threads = true;
  caps.names_host_threads = false;  // workers keep oneTBB's names
  return caps;
}

std::unique_ptr<ThreadBackend> make_tbb_backend(const BackendOptions& options,
                                                const Topology& topology) {
  return std::make_unique<TbbBackend>(options, topology);
}

}  // namespace tpb
