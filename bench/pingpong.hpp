// Two threads passing a token back and forth through one wake-up mechanism (internal to
// tpb_bench): the engine of ctxswitch (kevent, futex, condvar, pipe) and c2c (a spinning cache
// line). The caller starts two threads of its choosing (raw, or system threads of a backend), each
// pinned where it wants and each calling body(side); the controlling thread then runs batches.
//
// Side 0 is the initiator: per sample it passes the token `round_trips` times and times it; side 1
// only answers. Every wait is bounded (1 s slices that re-check the stop flag), so a broken backend
// stalls a batch, never the process.
#pragma once

#include <semaphore.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"

namespace tpb::bench::detail {

enum class Mechanism { kevent, futex, condvar, pipe, line };
const char* to_string(Mechanism m);

// How one side wakes the other. signal(to) hands the token to side `to`; wait(me) returns once the
// token is at `me`, or false when `stop` was set while waiting.
class Channel {
 public:
  virtual ~Channel() = default;
  virtual void signal(int to) = 0;
  virtual bool wait(int me, const std::atomic<bool>& stop) = 0;
};
// kevent needs a contract runtime on the waiting threads (they are system threads).
std::unique_ptr<Channel> make_channel(Mechanism m);

class PingPong {
 public:
  struct Options {
    int cpu[2] = {-1, -1};  // where each side is expected to run (checked, not enforced)
    int round_trips_per_sample = 1;
    int samples_per_batch = 16;
    std::int64_t delay_ns = 0;  // injected before each signal
  };
  struct Batch {
    std::vector<double> one_way_ns;  // one per sample: round-trip time / (2 * round trips)
    double elapsed_ns = 0;           // sum of the timed round trips
    double context_switches = 0;     // both sides, during the batch
    double migrations = 0;
  };

  PingPong(Channel& channel, Options options);
  ~PingPong();
  PingPong(const PingPong&) = delete;
  PingPong& operator=(const PingPong&) = delete;

  // Runs one side until stop(); call on the thread that is that side.
  void body(int side);

  // Controlling thread: waits until both sides are in body(); false after `timeout_ms`.
  bool wait_ready(int timeout_ms);
  // Runs one batch; false when side 0 did not finish within `timeout_ms` (the run is then broken).
  // A counting batch also counts both sides' context switches and migrations; its times carry the
  // counters' own cost, so callers keep it out of their samples. It runs 4x the samples.
  bool run_batch(Batch& out, int timeout_ms, bool count = false);
  // Ends both bodies (idempotent).
  void stop();

  bool perf_counters() const { return perf_.load(); }
  // Whether each side ran on its expected CPU at start and end (false: the backend moved it).
  bool placement_held() const { return placement_ok_.load(); }

 private:
  void initiator();
  void responder();
  void check_cpu(int side);

  Channel& channel_;
  Options options_;
  sem_t go_{}, done_{}, ready_{};
  std::atomic<bool> quit_cmd_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> perf_{true};
  std::atomic<bool> placement_ok_{true};
  std::atomic<long> tid_[2]{0, 0};
  bool count_self_ = false;
  int batch_samples_ = 0;  // getrusage fallback: the initiator counts itself
  bool stopped_ = false;
  Batch* batch_ = nullptr;
};

}  // namespace tpb::bench::detail
