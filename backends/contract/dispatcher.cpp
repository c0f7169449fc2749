#include "contract/dispatcher.hpp"

#include <atomic>
#include <climits>
#include <thread>

#include "host/clock.hpp"
#include "host/futex.hpp"

namespace tpb::detail {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic_ref<LONG> state_of(DISPATCHER_HEADER& h) {
  return std::atomic_ref<LONG>(h.SignalState);
}
std::atomic_ref<LONG> waiters_of(DISPATCHER_HEADER& h) {
  return std::atomic_ref<LONG>(h.SysThreadWaiters);
}

// Multiple-object waits cannot sleep on several futex words with plain FUTEX_WAIT; they sleep on
// this sequence word, which signals bump only while such waits exist.
alignas(64) std::atomic<std::uint32_t> g_multi_sequence{0};
alignas(64) std::atomic<int> g_multi_waiters{0};

// Sleeps while *word == expected, until woken or the deadline; spurious returns are fine.
template <class Word, class Value>
void sleep_on(Word&& word, Value expected, const Deadline& deadline) {
  if (deadline.forever)
    host::futex_wait(word, expected);
  else
    host::futex_wait_for(word, expected, deadline.at - Clock::now());
}

bool consumes(UCHAR type) {
  return type == EventSynchronizationObject || type == SemaphoreObject;
}

// Takes the object if it is signaled; consuming types are decremented/cleared atomically.
bool try_acquire(DISPATCHER_HEADER& h) {
  auto state = state_of(h);
  LONG value = state.load();
  if (!consumes(h.Type)) return value != 0;
  while (value > 0) {
    LONG next = h.Type == SemaphoreObject ? value - 1 : 0;
    if (state.compare_exchange_weak(value, next)) return true;
  }
  return false;
}

// Gives back what try_acquire took (WaitAll that could not take everything).
void undo_acquire(DISPATCHER_HEADER& h) {
  if (!consumes(h.Type)) return;
  if (h.Type == SemaphoreObject)
    state_of(h).fetch_add(1);
  else
    state_of(h).store(1);
  wake_waiters(h, 1);
}

bool is_signaled(DISPATCHER_HEADER& h) {
  return state_of(h).load() > 0;
}

constexpr long long kSystemTimeToUnixEpoch = 116444736000000000LL;  // 1601 -> 1970, 100 ns units

}  // namespace

Deadline Deadline::from(const LARGE_INTEGER* timeout) {
  Deadline d;
  if (timeout == nullptr) return d;
  d.forever = false;
  long long value = timeout->QuadPart;
  auto now = Clock::now();
  if (value <= 0) {
    d.at = now + std::chrono::nanoseconds(-value * 100);
    return d;
  }
  long long now_system = kSystemTimeToUnixEpoch + host::realtime_ns() / 100;
  long long left = value - now_system;
  d.at = now + std::chrono::nanoseconds(left > 0 ? left * 100 : 0);
  return d;
}

bool is_waitable_type(UCHAR type) {
  return type == EventNotificationObject || type == EventSynchronizationObject ||
         type == ::ProcessObject || type == SemaphoreObject || type == ::ThreadObject;
}

void init_header(DISPATCHER_HEADER& header, UCHAR type, LONG signal_state) {
  header.Type = type;
  header.Signalling = 0;
  header.Size = 0;
  header.Reserved1 = 0;
  header.WaitListHead.Flink = header.WaitListHead.Blink = nullptr;
  header.SysThreadWaiters = 0;
  state_of(header).store(signal_state);
}

void wake_waiters(DISPATCHER_HEADER& header, int count) {
  // Both loads follow the signaling store (seq_cst), and waiters announce themselves before they
  // look at the state, so a waiter is either seen here or sees the new state.
  if (waiters_of(header).load() > 0) host::futex_wake(&header.SignalState, count);
  if (g_multi_waiters.load() > 0) {
    g_multi_sequence.fetch_add(1);
    host::futex_wake(g_multi_sequence, INT_MAX);
  }
}

void signal_forever(DISPATCHER_HEADER& header) {
  state_of(header).store(1);
  wake_waiters(header, INT_MAX);
}

NTSTATUS wait_for(DISPATCHER_HEADER& header, const Deadline& deadline) {
  if (try_acquire(header)) return STATUS_SUCCESS;
  auto waiters = waiters_of(header);
  waiters.fetch_add(1);
  NTSTATUS status = STATUS_TIMEOUT;
  for (;;) {
    if (try_acquire(header)) {
      status = STATUS_SUCCESS;
      break;
    }
    if (deadline.expired()) break;
    sleep_on(&header.SignalState, LONG{0}, deadline);
  }
  waiters.fetch_sub(1);
  return status;
}

NTSTATUS wait_for_multiple(ULONG count, DISPATCHER_HEADER* const* headers, WAIT_TYPE type,
                           const Deadline& deadline) {
  auto attempt = [&]() -> NTSTATUS {
    if (type == WaitAny) {
      for (ULONG i = 0; i < count; ++i)
        if (try_acquire(*headers[i])) return STATUS_WAIT_0 + static_cast<NTSTATUS>(i);
      return STATUS_TIMEOUT;
    }
    for (ULONG i = 0; i < count; ++i)
      if (!is_signaled(*headers[i])) return STATUS_TIMEOUT;
    // All look signaled: take them all, or give back what was taken and wait again.
    for (ULONG i = 0; i < count; ++i) {
      if (!try_acquire(*headers[i])) {
        for (ULONG j = 0; j < i; ++j) undo_acquire(*headers[j]);
        return STATUS_TIMEOUT;
      }
    }
    return STATUS_SUCCESS;
  };
  NTSTATUS status = attempt();
  if (status != STATUS_TIMEOUT) return status;
  g_multi_waiters.fetch_add(1);
  for (;;) {
    std::uint32_t seen = g_multi_sequence.load();
    status = attempt();
    if (status != STATUS_TIMEOUT || deadline.expired()) break;
    sleep_on(g_multi_sequence, seen, deadline);
  }
  g_multi_waiters.fetch_sub(1);
  return status;
}

void sleep_until(const Deadline& deadline) {
  if (!deadline.forever) std::this_thread::sleep_until(deadline.at);
}

}  // namespace tpb::detail
