// Helpers for driving backends directly through tpb::ThreadBackend, with no runtime: a job a
// trampoline runs, what a system thread sees of itself, and bounded waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include <tpb/backend.hpp>
#include <tpb/topology.hpp>

namespace tpb::test {

// Every wait in these tests ends by itself; a hang is a failure, not a timeout of the suite.
inline constexpr std::chrono::seconds kWait{20};

// Counts events; a test waits for a number of them, bounded.
class Counter {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  bool wait_for(int n, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  int value() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

// Holds system threads until the test opens it (or kWait passes).
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// What a system thread observes of its host thread.
struct Seen {
  long tid = 0;
  int cpu = -1;
  std::vector<int> affinity;
  HostPriority priority;
  std::string name;
};
Seen observe_self();

// A unit of work for a trampoline: `body` runs inside the system thread, then `done` counts it.
struct Job {
  std::function<void()> body;
  Counter* done = nullptr;
  int runs = 0;  // written only by the system thread; read after `done` counted it
};
void run_job(void* job);  // the trampoline
Launch launch_of(Job& job);

// launch(), retried while the backend answers no_resources (a pool worker is busy until it has
// restored itself after its last system thread), for at most kWait.
LaunchStatus launch_when_free(ThreadBackend& backend, const Launch& launch);

// True when this process may set SCHED_FIFO (probed once, on a scratch thread).
bool rt_permitted();
// True when this process may lower a thread's nice value again (probed once, on a scratch thread).
bool may_lower_nice();

// A topology of the host's first CPU only (capacity tests).
Topology first_cpu_topology();

// One way to build a backend under test: a registry row, with one of its variants applied.
struct BackendCase {
  std::string name;  // the row's name, then the variant's value ("pool_spin")
  const BackendEntry* entry = nullptr;
  BackendOptions options;
  std::unique_ptr<ThreadBackend> make(const Topology& topology) const {
    return entry->create(options, topology);
  }
};
// Every registry row, once per variant: the registry is the one list of backends.
std::vector<BackendCase> backend_cases();
void PrintTo(const BackendCase& backend, std::ostream* out);  // GoogleTest: its name

}  // namespace tpb::test
