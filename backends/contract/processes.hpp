// Processes of one runtime: the system process (PsInitialSystemProcess, the default owner of
// system threads, behaviour 17), the host process (the owner of host threads that call the DDI),
// and emulated processes a test creates to check behaviours 9, 10 and 12.
#pragma once

#include <systhread/wdm.h>

#include "contract/objects.hpp"

namespace tpb::detail {

class RuntimeState;

class Processes {
 public:
  // `system_base`: the system process's base priority (docs/contracts.md 6, question 3).
  Processes(RuntimeState& runtime, KPRIORITY system_base);
  ~Processes();
  Processes(const Processes&) = delete;
  Processes& operator=(const Processes&) = delete;

  ProcessRecord* system() const { return system_; }
  ProcessRecord* host() const { return host_; }

  // The process a creation call names, referenced: NULL is the system process (behaviour 17),
  // NtCurrentProcess() the caller's (behaviour 12), else a process handle.
  // STATUS_INVALID_HANDLE (behaviour 9) or STATUS_OBJECT_TYPE_MISMATCH otherwise.
  NTSTATUS resolve(HANDLE handle, ProcessRecord*& out);
  // nullptr when out of memory.
  ProcessRecord* create();
  // Only emulated processes end; once terminating, creating a thread in it fails (behaviour 10),
  // and it is signaled when its last thread ends. STATUS_ACCESS_DENIED for the system and host
  // processes.
  NTSTATUS terminate(ProcessRecord& process, NTSTATUS status);
  // A thread of `process` is launched, ends, or was counted but never launched.
  void thread_added(ProcessRecord& process);
  void thread_ended(ProcessRecord& process);
  void thread_withdrawn(ProcessRecord& process);

 private:
  RuntimeState& runtime_;
  ProcessRecord* system_ = nullptr;
  ProcessRecord* host_ = nullptr;
};

}  // namespace tpb::detail
