// DDI: StorPort adapter threads (docs/contracts.md 1.9 and section 6, question 8).
#include <systhread/storport.h>

#include <cstring>
#include <string>

#include "contract/affinity.hpp"
#include "contract/bugcheck.hpp"
#include "contract/current.hpp"
#include "contract/runtime_state.hpp"
#include "host/cpus.hpp"
#include "host/sched.hpp"

using namespace tpb::detail;

namespace {

// A C caller may pass any int where the enum is expected: read it as one, never as the enum.
template <class Source>
int level_of(const Source& source) {
  static_assert(sizeof(Source) == sizeof(int));
  int level;
  std::memcpy(&level, &source, sizeof level);
  return level;
}

bool valid_priority(int level) {
  return level >= StorThreadPriorityBackground && level <= StorThreadPriorityRealTime;
}

KPRIORITY kpriority_of(int level) {
  static constexpr KPRIORITY kMap[] = {7, 8, 12, 13, 14, 15, 18};
  return kMap[level];
}

ULONG stor_status_of(NTSTATUS status) {
  switch (status) {
    case STATUS_SUCCESS:
      return STOR_STATUS_SUCCESS;
    case STATUS_INVALID_PARAMETER:
      return STOR_STATUS_INVALID_PARAMETER;
    case STATUS_PRIVILEGE_NOT_HELD:
      return STOR_STATUS_ACCESS_DENIED;
    default:
      return STOR_STATUS_UNSUCCESSFUL;  // limits and exhaustion (section 6)
  }
}

// The host tid of the thread a ThreadContext names (NULL: the caller), or -1 for a bad context.
long target_tid(AdapterRecord& adapter, void* context) {
  if (context == nullptr) return 0;
  std::lock_guard lock(adapter.mutex);
  ThreadRecord* thread = AdapterTable::thread_of(adapter, context);
  if (thread == nullptr) return -1;
  std::lock_guard sched(thread->sched_mutex);
  return thread->started ? thread->host_tid : -1;
}

}  // namespace

extern "C" {

ULONG StorPortCreateSystemThread(PVOID HwDeviceExtension, PSTOR_THREAD_START_ROUTINE StartRoutine,
                                 PVOID StartContext, PSTOR_THREAD_PRIORITY Priority,
                                 PVOID* ThreadContext) {
  require_irql_at_most(APC_LEVEL, "StorPortCreateSystemThread");
  RuntimeState& runtime = current_runtime();
  AdapterRecord* adapter = runtime.adapters().find(HwDeviceExtension);
  if (adapter == nullptr || StartRoutine == nullptr) return STOR_STATUS_INVALID_PARAMETER;
  int level = Priority != nullptr ? level_of(*Priority) : StorThreadPriorityNormal;
  if (!valid_priority(level)) return STOR_STATUS_INVALID_PARAMETER;
  CreateRequest request;
  request.routine = StartRoutine;
  request.context = StartContext;
  request.adapter = adapter;
  request.priority = kpriority_of(level);
  std::uint64_t token = 0;
  request.adapter_token_out = &token;
  NTSTATUS status = runtime.threads().create(request);
  if (NT_SUCCESS(status) && ThreadContext != nullptr)
    *ThreadContext = reinterpret_cast<PVOID>(token);
  return stor_status_of(status);
}

ULONG StorPortSetPriorityThread(PVOID HwDeviceExtension, PVOID ThreadContext,
                                STOR_THREAD_PRIORITY Priority) {
  if (current_irql() != PASSIVE_LEVEL) return STOR_STATUS_INVALID_IRQL;
  RuntimeState& runtime = current_runtime();
  AdapterRecord* adapter = runtime.adapters().find(HwDeviceExtension);
  const int level = level_of(Priority);
  if (adapter == nullptr || !valid_priority(level)) return STOR_STATUS_INVALID_PARAMETER;
  std::lock_guard lock(adapter->mutex);
  ThreadRecord* thread = AdapterTable::thread_of(*adapter, ThreadContext);
  if (thread == nullptr) return STOR_STATUS_INVALID_PARAMETER;
  runtime.priorities().set(*thread, kpriority_of(level));
  return STOR_STATUS_SUCCESS;
}

VOID StorPortTerminateSystemThread(PVOID HwDeviceExtension, PVOID ThreadContext) {
  (void)HwDeviceExtension;
  ThreadRecord& self = current_thread();
  bool own = self.system && self.adapter != nullptr &&
             (ThreadContext == nullptr ||
              reinterpret_cast<std::uint64_t>(ThreadContext) == self.adapter_token);
  if (ThreadContext == nullptr && self.system) own = true;
  if (!own) {
    self.runtime->accounting().report(
        "StorPortTerminateSystemThread given a ThreadContext that is not the caller's; ignored");
    return;
  }
  require_irql_at_most(APC_LEVEL, "StorPortTerminateSystemThread");
  throw ThreadTermination{STATUS_SUCCESS};
}

ULONG StorPortSetSystemGroupAffinityThread(PVOID HwDeviceExtension, PVOID ThreadContext,
                                           PSTOR_GROUP_AFFINITY Affinity,
                                           PSTOR_GROUP_AFFINITY PreviousAffinity) {
  if (current_irql() > DISPATCH_LEVEL) return STOR_STATUS_INVALID_IRQL;
  RuntimeState& runtime = current_runtime();
  AdapterRecord* adapter = runtime.adapters().find(HwDeviceExtension);
  if (adapter == nullptr || Affinity == nullptr || Affinity->Group != 0)
    return STOR_STATUS_INVALID_PARAMETER;
  std::vector<int> cpus = cpus_of(Affinity->Mask, runtime.topology());
  if (cpus.empty()) return STOR_STATUS_INVALID_PARAMETER;
  long tid = target_tid(*adapter, ThreadContext);
  if (tid < 0) return STOR_STATUS_INVALID_PARAMETER;
  if (PreviousAffinity != nullptr) {
    std::vector<int> now;
    tpb::host::get_thread_affinity(tid, now);
    *PreviousAffinity = STOR_GROUP_AFFINITY{mask_of(now), 0, {0, 0, 0}};
  }
  if (tid == 0) {
    ThreadRecord& self = current_thread();
    if (self.user_affinity.empty()) tpb::host::get_thread_affinity(0, self.user_affinity);
  }
  return tpb::host::set_thread_affinity(tid, cpus) == 0 ? STOR_STATUS_SUCCESS
                                                        : STOR_STATUS_UNSUCCESSFUL;
}

ULONG StorPortRevertToUserGroupAffinityThread(PVOID HwDeviceExtension, PVOID ThreadContext,
                                              PSTOR_GROUP_AFFINITY PreviousAffinity) {
  if (current_irql() > DISPATCH_LEVEL) return STOR_STATUS_INVALID_IRQL;
  RuntimeState& runtime = current_runtime();
  AdapterRecord* adapter = runtime.adapters().find(HwDeviceExtension);
  if (adapter == nullptr || PreviousAffinity == nullptr || PreviousAffinity->Group != 0)
    return STOR_STATUS_INVALID_PARAMETER;
  std::vector<int> cpus = cpus_of(PreviousAffinity->Mask, runtime.topology());
  if (cpus.empty()) return STOR_STATUS_INVALID_PARAMETER;
  long tid = target_tid(*adapter, ThreadContext);
  if (tid < 0) return STOR_STATUS_INVALID_PARAMETER;
  return tpb::host::set_thread_affinity(tid, cpus) == 0 ? STOR_STATUS_SUCCESS
                                                        : STOR_STATUS_UNSUCCESSFUL;
}

}  // extern "C"
