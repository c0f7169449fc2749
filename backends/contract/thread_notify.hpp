// Thread-notify routines (PsSetCreateThreadNotifyRoutine[Ex]; docs/contracts.md section 7.8):
// process-wide, at most 64, called for every system thread of every runtime. Removal waits until
// no call of the routine is in flight.
#pragma once

#include <systhread/wdm.h>

namespace tpb::detail {

// Where a creation call runs.
enum class NotifyContext { creator, new_thread };

NTSTATUS add_thread_notify(PCREATE_THREAD_NOTIFY_ROUTINE routine, NotifyContext context);
NTSTATUS remove_thread_notify(PCREATE_THREAD_NOTIFY_ROUTINE routine);

// Calls the creation routines registered for `context` (Create TRUE). Cheap when none is.
void notify_thread_created(NotifyContext context, HANDLE process_id, HANDLE thread_id);
// Calls every routine with Create FALSE, on the ending thread.
void notify_thread_ended(HANDLE process_id, HANDLE thread_id);

}  // namespace tpb::detail
