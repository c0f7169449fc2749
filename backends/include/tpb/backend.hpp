// tpb/backend.hpp - the backend contract: how a system thread gets a running host thread.
//
// The contract runtime owns every DDI rule; a backend owns only "obtain an execution context on
// the host, apply the launch's affinity and priority, and run the trampoline". One interface, many
// implementations, one registry table (backends/registry.cpp). The same conformance suite runs
// against every row.
//
// Rules every backend obeys (tests/backends checks each one on every registry row):
// - launch() is thread-safe and may be called from a system thread. On LaunchStatus::ok the
//   trampoline runs exactly once, then the completion (when given) once, on the same host thread;
//   on any other status neither ever runs and nothing is kept.
// - A Launch without a trampoline is LaunchStatus::invalid.
// - A stack the backend cannot give (larger than its fixed workers' stacks, or than the host
//   allows) is LaunchStatus::no_resources or LaunchStatus::invalid, never a smaller stack.
// - What capabilities() says is what the backend does, and the registry row says the same for
//   every variant of the row.
// - Destruction precondition: every launch that returned ok has completed (its completion, or
//   else its trampoline, has returned) and no launch() is in progress. Destruction then releases
//   every host thread the backend owns (joining workers), so it may block briefly.
// - A backend reads its settings from BackendOptions by the keys its header documents and ignores
//   every other key; a value it cannot read makes its factory throw std::invalid_argument.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tpb {

class Topology;

// A Linux scheduling class and level. SCHED_OTHER uses `nice` (-20..19); SCHED_FIFO uses
// `rt_priority` (1..99).
struct HostPriority {
  enum class Policy { other, fifo };
  Policy policy = Policy::other;
  int nice = 0;
  int rt_priority = 0;
  friend bool operator==(const HostPriority&, const HostPriority&) = default;
};
std::string to_string(const HostPriority& p);  // "other/nice:0", "fifo:1"

// What a backend can honour. The runtime and the conformance suite read these; a priority a
// backend cannot apply is reported unsupported, never silently wrong.
struct Capabilities {
  // applied: each system thread runs at its own host priority, changes apply at once.
  // arena_level: host priority is set per group of workers (per priority class), not per thread.
  // none: host priority is not applied.
  enum class Priority { applied, arena_level, none };
  Priority priority = Priority::applied;
  bool affinity = true;          // Launch::cpus is honoured
  bool unpinned_window = false;  // affinity applied only after the host thread started running
  bool per_cpu_limit = false;    // the backend itself bounds live system threads per CPU
  bool termination = true;       // PsTerminateSystemThread unwinds and the host context survives
  bool reuses_host_threads = false;  // host tids repeat across system threads (pools)
  bool names_host_threads = true;    // Launch::name names the host thread while the thread runs
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};
const char* to_string(Capabilities::Priority p);

// Settings that tune a backend, by key: the keys a registry row's variants write ("wake" =
// "spin"), and any other a backend documents in its header. Each backend reads only its own keys,
// so one BackendOptions can go to a runtime whatever its backend; the types behind the keys
// belong to the backend that reads them.
class BackendOptions {
 public:
  // Sets (or replaces) one setting.
  BackendOptions& set(std::string_view key, std::string_view value);
  // The value of `key`, or nullptr when it is not set.
  const std::string* find(std::string_view key) const;
  // The value of `key` as a count, or `fallback` when it is not set. Throws
  // std::invalid_argument, naming the key, when the value is not a non-negative integer.
  unsigned count(std::string_view key, unsigned fallback) const;
  friend bool operator==(const BackendOptions&, const BackendOptions&) = default;

 private:
  std::vector<std::pair<std::string, std::string>> settings_;
};

// Live system threads per CPU that a backend with a fixed capacity admits by default (the pool's
// workers per CPU, oneTBB's arena slots per CPU; their "capacity" setting). Benchmarks size their
// bursts by it.
inline constexpr unsigned kDefaultCapacityPerCpu = 4;

// One request to run a system thread.
struct Launch {
  void (*trampoline)(void*) = nullptr;  // runs the system thread; returns when it has ended
  // Called once with `argument` on the same host thread after the trampoline returned and the
  // backend has finished with the host context (restored a reused worker, released its slot).
  // The runtime signals the thread object here, so a waiter that wakes finds the capacity free.
  // May be null.
  void (*completion)(void*) = nullptr;
  void* argument = nullptr;
  std::vector<int> cpus;  // Linux CPU numbers the thread may run on; empty: inherit the creator's
  int home_cpu = -1;      // the CPU the thread is charged to (pools pick its worker group there)
  HostPriority priority;  // host priority the thread starts at
  bool apply_priority = true;  // false: leave the host priority alone
  std::size_t stack_size = 0;  // 0: the backend's default
  std::string_view name;       // host thread name (truncated to 15 characters)
};

// Outcome of launch(): the thread runs only on ok.
enum class LaunchStatus { ok, no_resources, priority_denied, invalid };

class ThreadBackend {
 public:
  virtual ~ThreadBackend() = default;  // see the destruction precondition above
  virtual std::string_view name() const = 0;
  virtual Capabilities capabilities() const = 0;
  // Starts the trampoline on a host thread. Thread-safe. On success the trampoline runs exactly
  // once; on failure it never runs. priority_denied: the host refused launch.priority (EPERM).
  virtual LaunchStatus launch(const Launch& launch) = 0;
  // The host priority a launch asking for `requested` actually runs at. Backends whose
  // capabilities say Priority::arena_level return their class's level; the runtime records it.
  virtual HostPriority effective_priority(const HostPriority& requested) const { return requested; }
};

// One configuration of a registry row: the setting it writes is also its benchmark name segment
// ("wake:spin").
struct BackendVariant {
  std::string_view key;    // e.g. "wake"
  std::string_view value;  // e.g. "spin"
  void apply(BackendOptions& options) const { options.set(key, value); }
};

// One row of the registry table.
struct BackendEntry {
  std::string_view name;
  std::string_view summary;
  Capabilities capabilities;  // equal to create(...)->capabilities() for every variant
  std::unique_ptr<ThreadBackend> (*create)(const BackendOptions&, const Topology&);
  std::vector<BackendVariant> variants;  // empty: one configuration
};

// The registry, in table order.
const std::vector<BackendEntry>& backend_registry();
// The row with this name, or nullptr.
const BackendEntry* find_backend(std::string_view name);
// "pthread, std_thread, ..." for error messages.
std::string backend_names();

}  // namespace tpb
