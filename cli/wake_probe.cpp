// Futex ping-pong: the caller flips `turn` to 1 and wakes the partner, the partner flips it back
// and wakes the caller. Half a round trip is one wake-up; the median over the round trips in the
// time budget is reported.
#include "wake_probe.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "host/cpus.hpp"
#include "host/futex.hpp"

namespace tpb::cli {
namespace {

using Clock = std::chrono::steady_clock;

double ping_pong_us(int caller_cpu, int partner_cpu, Clock::duration budget) {
  static_assert(sizeof(std::atomic<int>) == sizeof(int));
  constexpr int kIdle = 0, kPing = 1, kStop = 2;
  std::atomic<int> turn{kIdle};
  host::set_thread_affinity(0, {caller_cpu});
  std::thread partner([&] {
    host::set_thread_affinity(0, {partner_cpu});
    for (;;) {
      int value = turn.load();
      while (value == kIdle) {
        host::futex_wait(turn, kIdle);
        value = turn.load();
      }
      if (value == kStop) return;
      // Only a ping turns into idle: a stop stored meanwhile must not be overwritten.
      if (turn.compare_exchange_strong(value, kIdle)) host::futex_wake(turn, 1);
    }
  });
  std::vector<double> round_trips;
  const auto end = Clock::now() + budget;
  // A partner starved by other work (an RT spinner on its CPU) must not hang the doctor: each wait
  // re-checks the budget every 10 ms.
  constexpr std::chrono::milliseconds kSlice{10};
  bool answered = true;
  while (answered && Clock::now() < end && round_trips.size() < 100000) {
    const auto start = Clock::now();
    turn.store(kPing);
    host::futex_wake(turn, 1);
    while (turn.load() == kPing && (answered = Clock::now() < end + budget))
      host::futex_wait_for(turn, kPing, kSlice);
    if (answered)
      round_trips.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  turn.store(kStop);
  host::futex_wake(turn, 1);
  partner.join();
  if (round_trips.empty()) return 0;
  std::nth_element(round_trips.begin(),
                   round_trips.begin() + static_cast<std::ptrdiff_t>(round_trips.size() / 2),
                   round_trips.end());
  return round_trips[round_trips.size() / 2] / 2;
}

}  // namespace

WakeProbe measure_wake_latency(std::chrono::milliseconds budget) {
  const std::vector<int> allowed = host::allowed_cpus();
  WakeProbe probe;
  if (allowed.empty()) return probe;
  // ping_pong_us pins the calling thread; the guard gives it its affinity back afterwards.
  const host::PinGuard restore(allowed);
  probe.cpu_a = allowed[0];
  const auto half = std::chrono::duration_cast<Clock::duration>(budget) / 2;
  probe.same_cpu_us = ping_pong_us(allowed[0], allowed[0], half);
  if (allowed.size() > 1) {
    probe.cpu_b = allowed[1];
    probe.other_cpu_us = ping_pong_us(allowed[0], allowed[1], half);
  }
  return probe;
}

}  // namespace tpb::cli
