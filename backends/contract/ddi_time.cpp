// DDI: system time, interrupt time, the performance counter and stalls (docs/contracts.md
// section 7.7). Any IRQL; no runtime is consulted.
#include <systhread/wdm.h>

#include <ctime>

using Nanoseconds = long long;

namespace {

constexpr long long kSystemTimeToUnixEpoch = 116444736000000000LL;  // 1601 -> 1970, 100 ns units

Nanoseconds read_clock(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<Nanoseconds>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

LONGLONG system_time(clockid_t clock) {
  return kSystemTimeToUnixEpoch + read_clock(clock) / 100;
}

}  // namespace

extern "C" {

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  CurrentTime->QuadPart = system_time(CLOCK_REALTIME_COARSE);
}

VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime) {
  CurrentTime->QuadPart = system_time(CLOCK_REALTIME);
}

ULONGLONG KeQueryInterruptTime(void) {
  return static_cast<ULONGLONG>(read_clock(CLOCK_BOOTTIME) / 100);
}

ULONG64 KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp) {
  ULONG64 interrupt = static_cast<ULONG64>(read_clock(CLOCK_BOOTTIME) / 100);
  if (QpcTimeStamp != nullptr) *QpcTimeStamp = static_cast<ULONG64>(read_clock(CLOCK_MONOTONIC));
  return interrupt;
}

LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency) {
  if (PerformanceFrequency != nullptr) PerformanceFrequency->QuadPart = 1'000'000'000LL;
  LARGE_INTEGER counter;
  counter.QuadPart = read_clock(CLOCK_MONOTONIC);
  return counter;
}

VOID KeStallExecutionProcessor(ULONG MicroSeconds) {
  const Nanoseconds end =
      read_clock(CLOCK_MONOTONIC) + static_cast<Nanoseconds>(MicroSeconds) * 1000;
  while (read_clock(CLOCK_MONOTONIC) < end) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

ULONG KeQueryTimeIncrement(void) {
  return 156250;
}

}  // extern "C"
