#include "contract/bugcheck.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "contract/current.hpp"

namespace tpb::detail {
namespace {
const char* name_of(BugCheck code) {
  switch (code) {
    case BugCheck::apc_index_mismatch:
      return "APC_INDEX_MISMATCH";
    case BugCheck::irql_not_greater_or_equal:
      return "IRQL_NOT_GREATER_OR_EQUAL";
    case BugCheck::irql_not_less_or_equal:
      return "IRQL_NOT_LESS_OR_EQUAL";
    case BugCheck::maximum_wait_objects_exceeded:
      return "MAXIMUM_WAIT_OBJECTS_EXCEEDED";
    case BugCheck::system_thread_exception_not_handled:
      return "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED";
    case BugCheck::driver_verifier_detected_violation:
      return "DRIVER_VERIFIER_DETECTED_VIOLATION";
    case BugCheck::driver_unloaded_without_cancelling_pending_operations:
      return "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS";
    case BugCheck::invalid_io_object:
      return "INVALID_IO_OBJECT";
    case BugCheck::thread_terminate_held_mutex:
      return "THREAD_TERMINATE_HELD_MUTEX";
  }
  return "BUGCHECK";
}
}  // namespace

void bug_check(BugCheck code, std::string_view what) {
  // One write, then _exit: other threads keep running until the process ends, and no destructor
  // or atexit handler may run on a machine that is, in the emulation, stopped.
  char line[512];
  int n = std::snprintf(line, sizeof line, "BUGCHECK 0x%X %s: %.*s\n", static_cast<unsigned>(code),
                        name_of(code), static_cast<int>(what.size()), what.data());
  if (n > 0) {
    ssize_t ignored =
        ::write(STDERR_FILENO, line,
                static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1);
    (void)ignored;
  }
  ::_exit(134);
}

void require_irql_at_most(unsigned char max_irql, std::string_view routine) {
  unsigned irql = current_irql();
  if (irql > max_irql)
    bug_check(BugCheck::irql_not_less_or_equal, std::string(routine) + " called at IRQL " +
                                                    std::to_string(irql) + " (allowed: at most " +
                                                    std::to_string(max_irql) + ")");
}

}  // namespace tpb::detail
