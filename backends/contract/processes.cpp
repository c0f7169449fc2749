#include "contract/processes.hpp"

#include <new>

#include "contract/current.hpp"
#include "contract/dispatcher.hpp"
#include "contract/runtime_state.hpp"

namespace tpb::detail {

namespace {
// Windows' PsInitialSystemProcess has id 4; tests compare ids, not this value.
constexpr std::uint64_t kSystemProcessId = 4;
// A user process's base priority (NORMAL_PRIORITY_CLASS).
constexpr KPRIORITY kProcessBasePriority = 8;
}  // namespace

Processes::Processes(RuntimeState& runtime, KPRIORITY system_base) : runtime_(runtime) {
  system_ = new ProcessRecord(&runtime, ProcessRecord::Role::system, kSystemProcessId, system_base);
  host_ = new ProcessRecord(&runtime, ProcessRecord::Role::host, runtime.next_client_id(),
                            kProcessBasePriority);
}

Processes::~Processes() {
  release(system_);
  release(host_);
}

NTSTATUS Processes::resolve(HANDLE handle, ProcessRecord*& out) {
  if (handle == nullptr) {
    out = system_;
    reference(out);
    return STATUS_SUCCESS;
  }
  if (handle == NtCurrentProcess()) {
    out = current_thread().process;
    reference(out);
    return STATUS_SUCCESS;
  }
  KernelObject* object = runtime_.handles().reference(handle, nullptr);
  if (object == nullptr) return STATUS_INVALID_HANDLE;
  if (object->kind != ObjectKind::process) {
    release(object);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  out = static_cast<ProcessRecord*>(object);
  return STATUS_SUCCESS;
}

ProcessRecord* Processes::create() {
  return new (std::nothrow) ProcessRecord(&runtime_, ProcessRecord::Role::emulated,
                                          runtime_.next_client_id(), kProcessBasePriority);
}

NTSTATUS Processes::terminate(ProcessRecord& process, NTSTATUS status) {
  if (process.role != ProcessRecord::Role::emulated) return STATUS_ACCESS_DENIED;
  process.exit_status.store(status);
  process.terminating.store(true);
  if (process.live_threads.load() == 0) signal_forever(process.header);
  return STATUS_SUCCESS;
}

void Processes::thread_added(ProcessRecord& process) {
  process.live_threads.fetch_add(1);
}

void Processes::thread_ended(ProcessRecord& process) {
  if (process.live_threads.fetch_sub(1) == 1 && process.terminating.load())
    signal_forever(process.header);
}

void Processes::thread_withdrawn(ProcessRecord& process) {
  process.live_threads.fetch_sub(1);
}

}  // namespace tpb::detail
