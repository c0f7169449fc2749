// The emulated bug check: Windows stops the machine; we stop the process, with one line naming
// the code, and exit status 134 (docs/contracts.md 6, "Violations").
#pragma once

#include <cstdint>
#include <string_view>

namespace tpb::detail {

enum class BugCheck : std::uint32_t {
  apc_index_mismatch = 0x1,
  irql_not_greater_or_equal = 0x9,
  irql_not_less_or_equal = 0xA,
  maximum_wait_objects_exceeded = 0xC,
  system_thread_exception_not_handled = 0x7E,
  driver_verifier_detected_violation = 0xC4,
  driver_unloaded_without_cancelling_pending_operations = 0xCE,
  invalid_io_object = 0x148,
  thread_terminate_held_mutex = 0x4000008A,
};

[[noreturn]] void bug_check(BugCheck code, std::string_view what);

// Bug check 0xA unless the calling thread's IRQL is at most `max_irql`.
void require_irql_at_most(unsigned char max_irql, std::string_view routine);

}  // namespace tpb::detail
