#include "contract/timer_queue.hpp"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <set>
#include <thread>
#include <utility>

#include "contract/dispatcher.hpp"
#include "host/sched.hpp"

namespace tpb::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Guarded by the dispatcher lock. Never destroyed: the service thread outlives static destructors.
struct TimerQueue {
  std::set<std::pair<long long, KTIMER*>> due;  // steady-clock ns, timer
  std::condition_variable changed;
  pid_t service_pid = 0;  // the process whose service thread runs (a fork child starts its own)
};

TimerQueue& queue() {
  static auto* q = new TimerQueue;
  return *q;
}

long long ns_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool is_queued(const KTIMER& timer) {
  return timer.TimerListEntry.Flink != nullptr;
}

void insert(TimerQueue& q, KTIMER& timer, long long due_ns) {
  timer.DueTime.QuadPart = static_cast<ULONGLONG>(due_ns);
  timer.TimerListEntry.Flink = timer.TimerListEntry.Blink = &timer.TimerListEntry;
  q.due.emplace(due_ns, &timer);
}

void take_out(TimerQueue& q, KTIMER& timer) {
  q.due.erase({static_cast<long long>(timer.DueTime.QuadPart), &timer});
  timer.TimerListEntry.Flink = timer.TimerListEntry.Blink = nullptr;
}

[[noreturn]] void serve() {
  // The first thread to queue a timer starts this one, and may be a system thread at SCHED_FIFO
  // (the pthread backend sets it without SCHED_RESET_ON_FORK): the service never runs at a
  // real-time priority it inherited by accident.
  host::apply_own_priority(HostPriority{});
  TimerQueue& q = queue();
  auto lock = lock_dispatcher();
  for (;;) {
    long long now = ns_of(Clock::now());
    while (!q.due.empty() && q.due.begin()->first <= now) {
      auto [due_ns, timer] = *q.due.begin();
      take_out(q, *timer);
      // Requeue before waking anyone: a released waiter may free a one-shot timer at once, so
      // nothing of it is touched after satisfy_waiters.
      if (timer->Period > 0) {
        long long period_ns = static_cast<long long>(timer->Period) * 1'000'000;
        long long next = due_ns + period_ns;
        if (next <= now) next = now + period_ns;  // fell behind: skip the missed expiries
        insert(q, *timer, next);
      }
      std::atomic_ref<LONG>(timer->Header.SignalState).store(1, std::memory_order_relaxed);
      satisfy_waiters(lock, timer->Header, IO_NO_INCREMENT);
      lock.lock();
    }
    if (q.due.empty())
      q.changed.wait(lock);
    else
      q.changed.wait_until(lock, Clock::time_point(std::chrono::nanoseconds(q.due.begin()->first)));
  }
}

}  // namespace

bool queue_timer(KTIMER& timer, Clock::time_point due, LONG period_ms) {
  TimerQueue& q = queue();
  auto lock = lock_dispatcher();
  if (q.service_pid != getpid()) {
    q.service_pid = getpid();
    std::thread(&serve).detach();
  }
  bool was_queued = is_queued(timer);
  if (was_queued) take_out(q, timer);
  if (period_ms == 0) std::atomic_ref<LONG>(timer.Header.SignalState).store(0);
  timer.Period = period_ms;
  insert(q, timer, ns_of(due));
  q.changed.notify_one();
  return was_queued;
}

bool dequeue_timer(KTIMER& timer) {
  auto lock = lock_dispatcher();
  if (!is_queued(timer)) return false;
  take_out(queue(), timer);
  return true;
}

}  // namespace tpb::detail
