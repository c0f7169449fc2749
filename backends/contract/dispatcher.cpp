#include "contract/dispatcher.hpp"

#include <atomic>
#include <cstdint>
#include <thread>

#include "contract/objects.hpp"
#include "contract/priority_boost.hpp"
#include "host/clock.hpp"
#include "host/futex.hpp"

namespace tpb::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Never destroyed: timers and host threads may still signal while the process exits.
std::mutex& dispatcher_mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}

std::atomic_ref<LONG> state_of(DISPATCHER_HEADER& h) {
  return std::atomic_ref<LONG>(h.SignalState);
}

// One blocked wait: the waiter sleeps on `done` until a signal has satisfied it (status and
// increment written first) or its deadline passes.
struct Waiter;
struct WaitBlock {
  LIST_ENTRY link;  // in the object's WaitListHead; must stay the first member
  DISPATCHER_HEADER* object;
  Waiter* waiter;
  ULONG index;
};
struct Waiter {
  std::atomic<std::uint32_t> done{0};
  ThreadRecord* thread;
  WAIT_TYPE type;
  ULONG count;
  WaitBlock* blocks;
  NTSTATUS status = STATUS_TIMEOUT;
  KPRIORITY increment = 0;
  bool satisfied = false;           // set under the lock, before `done`
  Waiter* next_released = nullptr;  // satisfy_waiters' list of waiters to wake
};

// Sleeps while word == 0, until woken or the deadline; spurious returns are fine.
void sleep_on(std::atomic<std::uint32_t>& word, const Deadline& deadline) {
  if (deadline.forever)
    host::futex_wait(word, std::uint32_t{0});
  else
    host::futex_wait_for(word, std::uint32_t{0}, deadline.at - Clock::now());
}

// ---- Wait lists (dispatcher lock held) --------------------------------------------------------

void ensure_list(DISPATCHER_HEADER& h) {
  if (h.WaitListHead.Flink == nullptr)
    h.WaitListHead.Flink = h.WaitListHead.Blink = &h.WaitListHead;
}

void append(DISPATCHER_HEADER& h, WaitBlock& block) {
  ensure_list(h);
  LIST_ENTRY* head = &h.WaitListHead;
  block.link.Flink = head;
  block.link.Blink = head->Blink;
  head->Blink->Flink = &block.link;
  head->Blink = &block.link;
}

void unlink(WaitBlock& block) {
  block.link.Blink->Flink = block.link.Flink;
  block.link.Flink->Blink = block.link.Blink;
  block.link.Flink = block.link.Blink = nullptr;
}

void unlink_all(Waiter& waiter) {
  for (ULONG i = 0; i < waiter.count; ++i)
    if (waiter.blocks[i].link.Flink != nullptr) unlink(waiter.blocks[i]);
}

// ---- What each type means (dispatcher lock held) ----------------------------------------------

KMUTANT& mutant(DISPATCHER_HEADER& h) {
  return *reinterpret_cast<KMUTANT*>(&h);
}

PKTHREAD as_kthread(ThreadRecord* thread) {
  return reinterpret_cast<PKTHREAD>(thread);
}

bool can_take(DISPATCHER_HEADER& h, ThreadRecord* thread) {
  LONG state = state_of(h).load(std::memory_order_relaxed);
  if (h.Type == MutantObject) return state > 0 || mutant(h).OwnerThread == as_kthread(thread);
  return state > 0;
}

// Takes a signalled object for `thread`: what a satisfied wait does to it.
void take(DISPATCHER_HEADER& h, ThreadRecord* thread) {
  auto state = state_of(h);
  switch (h.Type) {
    case EventSynchronizationObject:
    case TimerSynchronizationObject:
      state.store(0, std::memory_order_relaxed);
      break;
    case SemaphoreObject:
      state.store(state.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
      break;
    case MutantObject:
      if (state.load(std::memory_order_relaxed) == 1) {
        mutant(h).OwnerThread = as_kthread(thread);
        ++thread->owned_mutexes;
        ++thread->apc_disable;  // an owned kernel mutex disables normal kernel APCs
      }
      state.store(state.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
      break;
    default:  // notification events and timers, threads, processes stay signalled
      break;
  }
}

// The status a wait that can be satisfied now gets, after taking what it waits for; or
// STATUS_TIMEOUT, taking nothing.
NTSTATUS try_satisfy(ULONG count, DISPATCHER_HEADER* const* headers, WAIT_TYPE type,
                     ThreadRecord* thread) {
  if (type == WaitAny) {
    for (ULONG i = 0; i < count; ++i) {
      if (can_take(*headers[i], thread)) {
        take(*headers[i], thread);
        return STATUS_WAIT_0 + static_cast<NTSTATUS>(i);
      }
    }
    return STATUS_TIMEOUT;
  }
  for (ULONG i = 0; i < count; ++i)
    if (!can_take(*headers[i], thread)) return STATUS_TIMEOUT;
  for (ULONG i = 0; i < count; ++i) take(*headers[i], thread);
  return STATUS_SUCCESS;
}

// Satisfies the waiter; it is woken once the signalled object is no longer touched.
void release_waiter(Waiter& waiter, NTSTATUS status, KPRIORITY increment, Waiter*& released) {
  unlink_all(waiter);
  waiter.status = status;
  waiter.increment = increment;
  waiter.satisfied = true;
  waiter.next_released = released;
  released = &waiter;
}

// Called after the lock is released, so a woken waiter never finds it held (on one CPU it would
// run, block on the lock and switch back). A woken waiter may return, and free the object it
// waited on, as soon as it sees `done`: the caller is done with the object, and nothing of a
// waiter is read after its `done` is set (a wake of a word that is gone wakes nobody who minds).
void wake_released(Waiter* released) {
  while (released != nullptr) {
    Waiter* next = released->next_released;
    released->done.store(1, std::memory_order_release);
    host::futex_wake(released->done, 1);
    released = next;
  }
}

NTSTATUS wait_locked(std::unique_lock<std::mutex>& lock, ULONG count,
                     DISPATCHER_HEADER* const* headers, WAIT_TYPE type, ThreadRecord& self,
                     const Deadline& deadline) {
  NTSTATUS status = try_satisfy(count, headers, type, &self);
  if (status != STATUS_TIMEOUT || deadline.expired()) return status;
  WaitBlock blocks[MAXIMUM_WAIT_OBJECTS];
  Waiter waiter;
  waiter.thread = &self;
  waiter.type = type;
  waiter.count = count;
  waiter.blocks = blocks;
  for (ULONG i = 0; i < count; ++i) {
    blocks[i] = WaitBlock{{nullptr, nullptr}, headers[i], &waiter, i};
    append(*headers[i], blocks[i]);
  }
  lock.unlock();
  for (;;) {
    if (waiter.done.load(std::memory_order_acquire) != 0) break;
    if (deadline.expired()) {
      lock.lock();
      const bool satisfied = waiter.satisfied;
      if (!satisfied) unlink_all(waiter);
      lock.unlock();
      if (!satisfied) return STATUS_TIMEOUT;
      // Satisfied just now: its signaller sets `done` right after releasing the lock.
      while (waiter.done.load(std::memory_order_acquire) == 0) std::this_thread::yield();
      break;
    }
    sleep_on(waiter.done, deadline);
  }
  if (waiter.increment > 0) boost_after_wait(self, waiter.increment);
  return waiter.status;
}

constexpr long long kSystemTimeToUnixEpoch = 116444736000000000LL;  // 1601 -> 1970, 100 ns units

}  // namespace

// ---- Time limits -----------------------------------------------------------------------------

Clock::time_point due_instant(LONGLONG due_time) {
  auto now = Clock::now();
  if (due_time <= 0) return now + std::chrono::nanoseconds(-due_time * 100);
  long long now_system = kSystemTimeToUnixEpoch + host::realtime_ns() / 100;
  long long left = due_time - now_system;
  return now + std::chrono::nanoseconds(left > 0 ? left * 100 : 0);
}

Deadline Deadline::from(const LARGE_INTEGER* timeout) {
  Deadline d;
  if (timeout == nullptr) return d;
  d.forever = false;
  d.at = due_instant(timeout->QuadPart);
  return d;
}

void sleep_until(const Deadline& deadline) {
  if (!deadline.forever) std::this_thread::sleep_until(deadline.at);
}

// ---- Objects ---------------------------------------------------------------------------------

bool is_waitable_type(UCHAR type) {
  switch (type) {
    case EventNotificationObject:
    case EventSynchronizationObject:
    case MutantObject:
    case ::ProcessObject:
    case SemaphoreObject:
    case ::ThreadObject:
    case TimerNotificationObject:
    case TimerSynchronizationObject:
      return true;
    default:
      return false;
  }
}

void init_header(DISPATCHER_HEADER& header, UCHAR type, LONG signal_state) {
  header.Type = type;
  header.Signalling = 0;
  header.Size = 0;
  header.Reserved1 = 0;
  header.WaitListHead.Flink = header.WaitListHead.Blink = &header.WaitListHead;
  state_of(header).store(signal_state);
}

std::unique_lock<std::mutex> lock_dispatcher() {
  return std::unique_lock<std::mutex>(dispatcher_mutex());
}

namespace {

// satisfy_waiters without the wake: returns the waiters to pass to wake_released.
Waiter* satisfy_collect(DISPATCHER_HEADER& header, KPRIORITY increment) {
  ensure_list(header);
  Waiter* released = nullptr;
  LIST_ENTRY* head = &header.WaitListHead;
  for (LIST_ENTRY* entry = head->Flink; entry != head;) {
    auto* block = reinterpret_cast<WaitBlock*>(entry);
    entry = entry->Flink;
    Waiter& waiter = *block->waiter;
    if (!can_take(header, waiter.thread)) {
      // A mutex owned by another thread serves nobody behind; other objects are simply spent.
      break;
    }
    if (waiter.type == WaitAny) {
      take(header, waiter.thread);
      release_waiter(waiter, STATUS_WAIT_0 + static_cast<NTSTATUS>(block->index), increment,
                     released);
      // The next entry may be another of its blocks (the same object given twice), unlinked
      // now: re-read from the head.
      entry = head->Flink;
      continue;
    }
    DISPATCHER_HEADER* objects[MAXIMUM_WAIT_OBJECTS];
    for (ULONG i = 0; i < waiter.count; ++i) objects[i] = waiter.blocks[i].object;
    if (try_satisfy(waiter.count, objects, WaitAll, waiter.thread) == STATUS_SUCCESS) {
      // Its blocks on other objects may be the next entry here: re-read from the head.
      release_waiter(waiter, STATUS_SUCCESS, increment, released);
      entry = head->Flink;
    }
  }
  return released;
}

}  // namespace

void satisfy_waiters(std::unique_lock<std::mutex>& lock, DISPATCHER_HEADER& header,
                     KPRIORITY increment) {
  Waiter* released = satisfy_collect(header, increment);
  lock.unlock();
  wake_released(released);
}

void signal_forever(DISPATCHER_HEADER& header) {
  auto lock = lock_dispatcher();
  state_of(header).store(1, std::memory_order_relaxed);
  satisfy_waiters(lock, header, IO_NO_INCREMENT);
}

LONG set_event(DISPATCHER_HEADER& event, KPRIORITY increment) {
  auto lock = lock_dispatcher();
  LONG previous = state_of(event).load(std::memory_order_relaxed);
  if (previous == 0) {
    state_of(event).store(1, std::memory_order_relaxed);
    satisfy_waiters(lock, event, increment);
  }
  return previous;
}

LONG pulse_event(DISPATCHER_HEADER& event, KPRIORITY increment) {
  auto lock = lock_dispatcher();
  LONG previous = state_of(event).load(std::memory_order_relaxed);
  Waiter* released = nullptr;
  if (previous == 0) {
    state_of(event).store(1, std::memory_order_relaxed);
    released = satisfy_collect(event, increment);
  }
  state_of(event).store(0, std::memory_order_relaxed);
  lock.unlock();
  wake_released(released);
  return previous;
}

LONG reset_event(DISPATCHER_HEADER& event) {
  auto lock = lock_dispatcher();
  return state_of(event).exchange(0, std::memory_order_relaxed);
}

bool release_semaphore(KSEMAPHORE& semaphore, LONG adjustment, KPRIORITY increment,
                       LONG& previous) {
  auto lock = lock_dispatcher();
  previous = state_of(semaphore.Header).load(std::memory_order_relaxed);
  if (adjustment < 1 || previous > semaphore.Limit - adjustment) return false;
  state_of(semaphore.Header).store(previous + adjustment, std::memory_order_relaxed);
  satisfy_waiters(lock, semaphore.Header, increment);
  return true;
}

bool release_mutex(KMUTANT& mutex, ThreadRecord& self, LONG& previous) {
  auto lock = lock_dispatcher();
  previous = state_of(mutex.Header).load(std::memory_order_relaxed);
  if (mutex.OwnerThread != as_kthread(&self) || previous > 0) return false;
  state_of(mutex.Header).store(previous + 1, std::memory_order_relaxed);
  if (previous + 1 == 1) {
    mutex.OwnerThread = nullptr;
    --self.owned_mutexes;
    --self.apc_disable;
    satisfy_waiters(lock, mutex.Header, MUTANT_INCREMENT);
  }
  return true;
}

// ---- Waiting ---------------------------------------------------------------------------------

NTSTATUS wait_for(DISPATCHER_HEADER& header, ThreadRecord& self, const Deadline& deadline) {
  DISPATCHER_HEADER* headers[1] = {&header};
  auto lock = lock_dispatcher();
  return wait_locked(lock, 1, headers, WaitAny, self, deadline);
}

NTSTATUS wait_for_multiple(ULONG count, DISPATCHER_HEADER* const* headers, WAIT_TYPE type,
                           ThreadRecord& self, const Deadline& deadline) {
  auto lock = lock_dispatcher();
  return wait_locked(lock, count, headers, type, self, deadline);
}

}  // namespace tpb::detail
