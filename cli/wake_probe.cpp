// Futex ping-pong: the caller flips `turn` to 1 and wakes the partner, the partner flips it back
// and wakes the caller. Half a round trip is one wake-up; the median over the round trips in the
// time budget is reported.
#include "wake_probe.hpp"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace tpb::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Waits while `word` holds `expected`, at most `timeout` (null: no limit).
void futex_wait(std::atomic<int>& word, int expected, const timespec* timeout = nullptr) {
  ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT_PRIVATE, expected, timeout,
            nullptr, 0);
}

void futex_wake(std::atomic<int>& word) {
  ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

void pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ::pthread_setaffinity_np(::pthread_self(), sizeof(set), &set);
}

double ping_pong_us(int caller_cpu, int partner_cpu, Clock::duration budget) {
  static_assert(sizeof(std::atomic<int>) == sizeof(int));
  constexpr int kIdle = 0, kPing = 1, kStop = 2;
  std::atomic<int> turn{kIdle};
  pin_self(caller_cpu);
  std::thread partner([&] {
    pin_self(partner_cpu);
    for (;;) {
      int value = turn.load();
      while (value == kIdle) {
        futex_wait(turn, kIdle);
        value = turn.load();
      }
      if (value == kStop) return;
      // Only a ping turns into idle: a stop stored meanwhile must not be overwritten.
      if (turn.compare_exchange_strong(value, kIdle)) futex_wake(turn);
    }
  });
  std::vector<double> round_trips;
  const auto end = Clock::now() + budget;
  // A partner starved by other work (an RT spinner on its CPU) must not hang the doctor: each wait
  // re-checks the budget every 10 ms.
  const timespec slice{0, 10'000'000};
  bool answered = true;
  while (answered && Clock::now() < end && round_trips.size() < 100000) {
    const auto start = Clock::now();
    turn.store(kPing);
    futex_wake(turn);
    while (turn.load() == kPing && (answered = Clock::now() < end + budget))
      futex_wait(turn, kPing, &slice);
    if (answered)
      round_trips.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  turn.store(kStop);
  futex_wake(turn);
  partner.join();
  if (round_trips.empty()) return 0;
  std::nth_element(round_trips.begin(),
                   round_trips.begin() + static_cast<std::ptrdiff_t>(round_trips.size() / 2),
                   round_trips.end());
  return round_trips[round_trips.size() / 2] / 2;
}

}  // namespace

WakeProbe measure_wake_latency(std::chrono::milliseconds budget) {
  cpu_set_t original;
  CPU_ZERO(&original);
  ::pthread_getaffinity_np(::pthread_self(), sizeof(original), &original);
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu)
    if (CPU_ISSET(cpu, &original)) cpus.push_back(cpu);

  WakeProbe probe;
  if (cpus.empty()) return probe;
  probe.cpu_a = cpus[0];
  const auto half = std::chrono::duration_cast<Clock::duration>(budget) / 2;
  probe.same_cpu_us = ping_pong_us(cpus[0], cpus[0], half);
  if (cpus.size() > 1) {
    probe.cpu_b = cpus[1];
    probe.other_cpu_us = ping_pong_us(cpus[0], cpus[1], half);
  }
  ::pthread_setaffinity_np(::pthread_self(), sizeof(original), &original);
  return probe;
}

}  // namespace tpb::cli
