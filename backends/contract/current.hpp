// What the calling host thread is, for the DDI: the system thread it runs (if any), the runtime
// its calls go to, and the driver whose code it executes.
#pragma once

#include <systhread/wdm.h>

namespace tpb::detail {

class RuntimeState;
struct ThreadRecord;
struct DriverRecord;

struct HostThreadContext {
  ThreadRecord* current = nullptr;  // the system thread running here, or a foreign object
  RuntimeState* scope = nullptr;    // innermost tpb::RuntimeScope
  DriverRecord* driver = nullptr;   // driver whose DriverEntry/Unload/thread runs here
};

HostThreadContext& host_context();
// The runtime DDI calls from this thread act on.
RuntimeState& current_runtime();
// The calling thread's object in the current runtime (created for host threads on first use).
ThreadRecord& current_thread();
KIRQL current_irql();
// The process default runtime's state (Runtime::default_runtime()).
RuntimeState& default_state();

}  // namespace tpb::detail
