// The ping-pong engine; see pingpong.hpp.
#include "pingpong.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>

#include <systhread/wdm.h>

#include "host/futex.hpp"

namespace tpb::bench::detail {

const char* to_string(Mechanism m) {
  switch (m) {
    case Mechanism::kevent:
      return "kevent";
    case Mechanism::futex:
      return "futex";
    case Mechanism::condvar:
      return "condvar";
    case Mechanism::pipe:
      return "pipe";
    case Mechanism::line:
      return "line";
  }
  return "?";
}

namespace {

constexpr std::int64_t kWaitSliceNs = 1'000'000'000;

// Two flags on separate cache lines, so the sides never share the line they wait on.
struct alignas(64) Word {
  std::atomic<std::uint32_t> value{0};
};

class FutexChannel final : public Channel {
 public:
  void signal(int to) override {
    words_[to].value.store(1, std::memory_order_release);
    // Always the syscall: this is the raw futex wake reference.
    host::futex_wake(words_[to].value, 1);
  }
  bool wait(int me, const std::atomic<bool>& stop) override {
    while (words_[me].value.exchange(0, std::memory_order_acq_rel) == 0) {
      if (stop.load(std::memory_order_relaxed)) return false;
      host::futex_wait_for(words_[me].value, 0u, std::chrono::nanoseconds(kWaitSliceNs));
    }
    return true;
  }

 private:
  Word words_[2];
};

class CondvarChannel final : public Channel {
 public:
  void signal(int to) override {
    {
      std::lock_guard lock(sides_[to].mutex);
      sides_[to].token = true;
    }
    sides_[to].cv.notify_one();
  }
  bool wait(int me, const std::atomic<bool>& stop) override {
    std::unique_lock lock(sides_[me].mutex);
    while (!sides_[me].token) {
      if (stop.load(std::memory_order_relaxed)) return false;
      sides_[me].cv.wait_for(lock, std::chrono::nanoseconds(kWaitSliceNs));
    }
    sides_[me].token = false;
    return true;
  }

 private:
  struct alignas(64) Side {
    std::mutex mutex;
    std::condition_variable cv;
    bool token = false;
  };
  Side sides_[2];
};

// perf bench sched pipe writes and reads one int each way; so do we.
class PipeChannel final : public Channel {
 public:
  PipeChannel() {
    for (auto& p : pipes_)
      if (::pipe2(p, O_CLOEXEC) != 0) p[0] = p[1] = -1;
  }
  ~PipeChannel() override {
    for (auto& p : pipes_)
      for (int fd : p)
        if (fd >= 0) ::close(fd);
  }
  void signal(int to) override {
    const int token = to;
    [[maybe_unused]] ssize_t n = ::write(pipes_[to][1], &token, sizeof token);
  }
  bool wait(int me, const std::atomic<bool>& stop) override {
    int token = 0;
    // A blocking read, as perf does; stop() writes a token so it always returns.
    const ssize_t n = ::read(pipes_[me][0], &token, sizeof token);
    return n == sizeof token && !stop.load(std::memory_order_relaxed);
  }

 private:
  int pipes_[2][2];
};

class KeventChannel final : public Channel {
 public:
  KeventChannel() {
    for (auto& e : events_) KeInitializeEvent(&e, SynchronizationEvent, FALSE);
  }
  void signal(int to) override { KeSetEvent(&events_[to], 0, FALSE); }
  bool wait(int me, const std::atomic<bool>& stop) override {
    LARGE_INTEGER slice;
    slice.QuadPart = -(kWaitSliceNs / 100);
    while (KeWaitForSingleObject(&events_[me], Executive, KernelMode, FALSE, &slice) ==
           STATUS_TIMEOUT) {
      if (stop.load(std::memory_order_relaxed)) return false;
    }
    return true;
  }

 private:
  KEVENT events_[2];
};

// c2c: the token is the value of one cache line both sides spin on.
class LineChannel final : public Channel {
 public:
  void signal(int to) override {
    line_.value.store(static_cast<std::uint32_t>(to), std::memory_order_release);
  }
  bool wait(int me, const std::atomic<bool>& stop) override {
    const auto want = static_cast<std::uint32_t>(me);
    std::uint32_t spins = 0;
    while (line_.value.load(std::memory_order_acquire) != want) {
      if ((++spins & 1023) == 0 && stop.load(std::memory_order_relaxed)) return false;
    }
    return true;
  }

 private:
  Word line_;
};

bool timed_sem_wait(sem_t* sem, int timeout_ms) {
  timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += static_cast<long>(timeout_ms % 1000) * 1'000'000;
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000;
  }
  while (sem_timedwait(sem, &deadline) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<Channel> make_channel(Mechanism m) {
  switch (m) {
    case Mechanism::kevent:
      return std::make_unique<KeventChannel>();
    case Mechanism::futex:
      return std::make_unique<FutexChannel>();
    case Mechanism::condvar:
      return std::make_unique<CondvarChannel>();
    case Mechanism::pipe:
      return std::make_unique<PipeChannel>();
    case Mechanism::line:
      return std::make_unique<LineChannel>();
  }
  return nullptr;
}

PingPong::PingPong(Channel& channel, Options options) : channel_(channel), options_(options) {
  sem_init(&go_, 0, 0);
  sem_init(&done_, 0, 0);
  sem_init(&ready_, 0, 0);
}

PingPong::~PingPong() {
  stop();
  sem_destroy(&go_);
  sem_destroy(&done_);
  sem_destroy(&ready_);
}

void PingPong::check_cpu(int side) {
  const int expected = options_.cpu[side];
  if (expected >= 0 && current_cpu() != expected) placement_ok_.store(false);
}

void PingPong::body(int side) {
  tid_[side].store(gettid_now());
  check_cpu(side);
  if (side == 0)
    initiator();
  else
    responder();
  check_cpu(side);
}

void PingPong::responder() {
  sem_post(&ready_);
  while (channel_.wait(1, stop_)) {
    if (stop_.load(std::memory_order_relaxed)) break;
    spin_for_ns(options_.delay_ns);
    channel_.signal(0);
  }
}

void PingPong::initiator() {
  sem_post(&ready_);
  const int rounds = options_.round_trips_per_sample;
  for (;;) {
    sem_wait(&go_);
    if (quit_cmd_.load()) break;
    Batch& batch = *batch_;
    std::optional<SwitchCounters> self;
    SwitchCounters::Reading before;
    if (count_self_) {
      self.emplace();
      before = self->read();
    }
    bool ok = true;
    for (int s = 0; s < batch_samples_ && ok; ++s) {
      const std::int64_t t0 = now_ns();
      for (int r = 0; r < rounds && ok; ++r) {
        spin_for_ns(options_.delay_ns);
        channel_.signal(1);
        ok = channel_.wait(0, stop_);
      }
      const std::int64_t t1 = now_ns();
      if (!ok) break;
      batch.one_way_ns.push_back(static_cast<double>(t1 - t0) / (2.0 * rounds));
      batch.elapsed_ns += static_cast<double>(t1 - t0);
    }
    if (self) {
      // getrusage sees only the calling thread; the exchange is symmetric.
      batch.context_switches = 2 * (self->read().context_switches - before.context_switches);
      batch.migrations = -1;
    }
    sem_post(&done_);
    if (!ok) break;
  }
  // Release the responder: the stop flag first, then a token so a blocking wait returns.
  stop_.store(true);
  channel_.signal(1);
}

bool PingPong::wait_ready(int timeout_ms) {
  return timed_sem_wait(&ready_, timeout_ms) && timed_sem_wait(&ready_, timeout_ms);
}

bool PingPong::run_batch(Batch& out, int timeout_ms, bool count) {
  out = Batch{};
  // A counting batch is longer: the hand-off with this thread adds a switch or two per batch.
  batch_samples_ = count ? 4 * options_.samples_per_batch : options_.samples_per_batch;
  out.one_way_ns.reserve(static_cast<std::size_t>(batch_samples_));
  batch_ = &out;
  // Both sides are blocked between batches, so readings taken here bracket exactly this batch.
  std::optional<SwitchCounters> side0, side1;
  SwitchCounters::Reading r0, r1;
  count_self_ = false;
  if (count) {
    side0.emplace(tid_[0].load());
    side1.emplace(tid_[1].load());
    if (side0->perf() && side1->perf()) {
      r0 = side0->read();
      r1 = side1->read();
    } else {
      perf_.store(false);
      side0.reset();
      side1.reset();
      count_self_ = true;
    }
  }
  sem_post(&go_);
  const bool ok = timed_sem_wait(&done_, timeout_ms);
  if (ok && side0) {
    const SwitchCounters::Reading e0 = side0->read(), e1 = side1->read();
    out.context_switches =
        e0.context_switches - r0.context_switches + e1.context_switches - r1.context_switches;
    out.migrations = e0.migrations - r0.migrations + e1.migrations - r1.migrations;
  }
  return ok;
}

void PingPong::stop() {
  if (stopped_) return;
  stopped_ = true;
  quit_cmd_.store(true);
  sem_post(&go_);
  stop_.store(true);
  // Both sides may be blocked in the channel: wake them; the bodies see stop_ and return.
  channel_.signal(0);
  channel_.signal(1);
}

}  // namespace tpb::bench::detail
