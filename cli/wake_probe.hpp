// A quick measurement of how much a wake-up costs when the woken thread sits on another CPU
// rather than the waker's own: a futex ping-pong, first with both threads pinned to one CPU, then
// to two. Virtual machines inflate the second by an order of magnitude (docs/design.md 7), which
// makes cross-CPU results incomparable with bare metal.
#pragma once

#include <chrono>
#include <optional>

namespace tpb::cli {

struct WakeProbe {
  double same_cpu_us = 0;              // median one-way wake, both threads on cpu_a
  std::optional<double> other_cpu_us;  // median one-way wake, cpu_a to cpu_b; none on 1 CPU
  int cpu_a = -1;
  int cpu_b = -1;
  std::optional<double> inflation() const {
    if (!other_cpu_us || same_cpu_us <= 0) return std::nullopt;
    return *other_cpu_us / same_cpu_us;
  }
};

// Spends about `budget` in total (half per placement). Uses the first two CPUs this process may
// run on. Restores the calling thread's affinity before returning.
WakeProbe measure_wake_latency(std::chrono::milliseconds budget = std::chrono::milliseconds(50));

}  // namespace tpb::cli
