#include "contract/current.hpp"

#include <utility>
#include <vector>

#include "contract/objects.hpp"
#include "contract/runtime_state.hpp"

namespace tpb::detail {
namespace {

// Thread objects made for host threads that call the DDI (main, test threads), one per runtime;
// released when the host thread ends.
struct ForeignThreads {
  std::vector<std::pair<RuntimeState*, ThreadRecord*>> entries;
  ~ForeignThreads() {
    for (auto& [runtime, thread] : entries) release(thread);
  }
  ThreadRecord& for_runtime(RuntimeState& runtime) {
    for (auto it = entries.begin(); it != entries.end();) {
      if (it->first == &runtime) return *it->second;
      if (it->first->is_shut_down()) {  // its runtime is gone: let the object go
        release(it->second);
        it = entries.erase(it);
      } else {
        ++it;
      }
    }
    ThreadRecord* thread = runtime.threads().new_foreign();
    entries.emplace_back(&runtime, thread);
    return *thread;
  }
};

thread_local HostThreadContext t_context;
thread_local ForeignThreads t_foreign;

}  // namespace

HostThreadContext& host_context() {
  return t_context;
}

RuntimeState& current_runtime() {
  if (t_context.current != nullptr && t_context.current->system) return *t_context.current->runtime;
  if (t_context.scope != nullptr) return *t_context.scope;
  return default_state();
}

ThreadRecord& current_thread() {
  if (t_context.current != nullptr && t_context.current->system) return *t_context.current;
  return t_foreign.for_runtime(current_runtime());
}

KIRQL current_irql() {
  return current_thread().irql;
}

}  // namespace tpb::detail
