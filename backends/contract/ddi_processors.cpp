// DDI: processors and processor numbers (docs/contracts.md section 7.7). One group, group 0:
// processor number n is Linux CPU n; the active ones are the CPUs this process may use.
#include <systhread/wdm.h>

#include <sched.h>

#include <algorithm>

#include "contract/affinity.hpp"
#include "contract/current.hpp"
#include "contract/runtime_state.hpp"

using namespace tpb::detail;

namespace {

const tpb::Topology& topology() {
  return current_runtime().topology();
}

bool names_group_zero(USHORT group) {
  return group == 0 || group == ALL_PROCESSOR_GROUPS;
}

ULONG maximum_count() {
  int highest = -1;
  for (const auto& cpu : topology().cpus()) highest = std::max(highest, cpu.os_index);
  return static_cast<ULONG>(std::min(highest + 1, 64));
}

}  // namespace

extern "C" {

ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors) {
  if (ActiveProcessors != nullptr) *ActiveProcessors = allowed_mask(topology());
  return static_cast<ULONG>(topology().logical_cpus());
}

KAFFINITY KeQueryActiveProcessors(void) {
  return allowed_mask(topology());
}

ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber) {
  return names_group_zero(GroupNumber) ? static_cast<ULONG>(topology().logical_cpus()) : 0;
}

ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber) {
  return names_group_zero(GroupNumber) ? maximum_count() : 0;
}

USHORT KeQueryActiveGroupCount(void) {
  return 1;
}

USHORT KeQueryMaximumGroupCount(void) {
  return 1;
}

ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber) {
  int cpu = std::max(sched_getcpu(), 0);
  if (ProcNumber != nullptr) *ProcNumber = PROCESSOR_NUMBER{0, static_cast<UCHAR>(cpu), 0};
  return static_cast<ULONG>(cpu);
}

NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex, PPROCESSOR_NUMBER ProcNumber) {
  if (ProcNumber == nullptr || ProcIndex >= maximum_count()) return STATUS_INVALID_PARAMETER;
  *ProcNumber = PROCESSOR_NUMBER{0, static_cast<UCHAR>(ProcIndex), 0};
  return STATUS_SUCCESS;
}

ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber) {
  if (ProcNumber == nullptr || ProcNumber->Group != 0 || ProcNumber->Number >= maximum_count())
    return INVALID_PROCESSOR_INDEX;
  return ProcNumber->Number;
}

}  // extern "C"
