// host/clock.hpp - the host clocks, in nanoseconds.
#pragma once

#include <time.h>

#include <cstdint>

namespace tpb::host {

// CLOCK_MONOTONIC: intervals and deadlines (never jumps).
inline std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// CLOCK_REALTIME since the Unix epoch: only to convert absolute wall-clock times (the DDI's
// positive timeouts) into intervals.
inline std::int64_t realtime_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace tpb::host
