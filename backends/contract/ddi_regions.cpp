// DDI: critical and guarded regions and the APC questions (docs/contracts.md section 7.2). No APC
// is ever delivered here; the counts answer KeAreApcsDisabled / KeAreAllApcsDisabled as Windows
// would.
#include <systhread/wdm.h>

#include "contract/bugcheck.hpp"
#include "contract/current.hpp"
#include "contract/objects.hpp"

using namespace tpb::detail;

namespace {

void leave(int& depth, const char* routine) {
  if (depth <= 0)
    bug_check(BugCheck::apc_index_mismatch,
              std::string(routine) + " without a matching Enter on this thread");
  --depth;
}

}  // namespace

extern "C" {

VOID KeEnterCriticalRegion(void) {
  ++current_thread().apc_disable;
}

VOID KeLeaveCriticalRegion(void) {
  leave(current_thread().apc_disable, "KeLeaveCriticalRegion");
}

VOID KeEnterGuardedRegion(void) {
  require_irql_at_most(APC_LEVEL, "KeEnterGuardedRegion");
  ++current_thread().guarded_region;
}

VOID KeLeaveGuardedRegion(void) {
  require_irql_at_most(APC_LEVEL, "KeLeaveGuardedRegion");
  leave(current_thread().guarded_region, "KeLeaveGuardedRegion");
}

BOOLEAN KeAreApcsDisabled(void) {
  const ThreadRecord& self = current_thread();
  return self.apc_disable > 0 || self.guarded_region > 0 ? TRUE : FALSE;
}

BOOLEAN KeAreAllApcsDisabled(void) {
  const ThreadRecord& self = current_thread();
  return self.guarded_region > 0 || self.irql >= APC_LEVEL ? TRUE : FALSE;
}

}  // extern "C"
