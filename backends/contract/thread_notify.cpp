#include "contract/thread_notify.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace tpb::detail {
namespace {

constexpr int kMaxRoutines = 64;

struct Slot {
  std::atomic<PCREATE_THREAD_NOTIFY_ROUTINE> routine{nullptr};
  std::atomic<bool> on_new_thread{false};
  std::atomic<int> in_flight{0};
};

Slot g_slots[kMaxRoutines];
std::atomic<int> g_registered{0};
std::mutex g_registry_mutex;  // registrations and removals, one at a time

// Calls each routine that `wants`, counting the call in flight around it so removal can wait.
// A routine loaded after its removal began is never called: the remover clears it before it
// looks at in_flight, and the caller counts itself before it loads the routine.
template <typename Wants>
void call_each(Wants wants, HANDLE process_id, HANDLE thread_id, BOOLEAN create) {
  if (g_registered.load() == 0) return;
  for (Slot& slot : g_slots) {
    slot.in_flight.fetch_add(1);
    PCREATE_THREAD_NOTIFY_ROUTINE routine = slot.routine.load();
    if (routine != nullptr && wants(slot)) routine(process_id, thread_id, create);
    slot.in_flight.fetch_sub(1);
  }
}

}  // namespace

NTSTATUS add_thread_notify(PCREATE_THREAD_NOTIFY_ROUTINE routine, NotifyContext context) {
  if (routine == nullptr) return STATUS_INVALID_PARAMETER;
  std::lock_guard lock(g_registry_mutex);
  for (Slot& slot : g_slots) {
    if (slot.routine.load() != nullptr) continue;
    slot.on_new_thread.store(context == NotifyContext::new_thread);
    slot.routine.store(routine);
    g_registered.fetch_add(1);
    return STATUS_SUCCESS;
  }
  return STATUS_INSUFFICIENT_RESOURCES;
}

NTSTATUS remove_thread_notify(PCREATE_THREAD_NOTIFY_ROUTINE routine) {
  std::lock_guard lock(g_registry_mutex);
  for (Slot& slot : g_slots) {
    if (routine == nullptr || slot.routine.load() != routine) continue;
    slot.routine.store(nullptr);
    g_registered.fetch_sub(1);
    while (slot.in_flight.load() != 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    return STATUS_SUCCESS;
  }
  return STATUS_PROCEDURE_NOT_FOUND;
}

void notify_thread_created(NotifyContext context, HANDLE process_id, HANDLE thread_id) {
  const bool on_new_thread = context == NotifyContext::new_thread;
  call_each([&](const Slot& slot) { return slot.on_new_thread.load() == on_new_thread; },
            process_id, thread_id, TRUE);
}

void notify_thread_ended(HANDLE process_id, HANDLE thread_id) {
  call_each([](const Slot&) { return true; }, process_id, thread_id, FALSE);
}

}  // namespace tpb::detail
