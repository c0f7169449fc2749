// The one table of backends. Rows are explicit: static self-registration from a library is dropped
// by the linker when nothing refers to its object file.
#include <tpb/backend.hpp>

#include "pthread/pthread_backend.hpp"
#if TPB_HAVE_BACKEND_STD_THREAD
#include "std_thread/std_thread_backend.hpp"
#endif
#if TPB_HAVE_BACKEND_POOL
#include "pool/pool_backend.hpp"
#endif
#if TPB_HAVE_BACKEND_TBB
#include "tbb/tbb_backend.hpp"
#endif

namespace tpb {

const std::vector<BackendEntry>& backend_registry() {
  static const std::vector<BackendEntry> table = {
    {"pthread",
     "one pthread per system thread; affinity and priority set in its attributes",
     pthread_capabilities(),
     &make_pthread_backend,
     {}},
#if TPB_HAVE_BACKEND_STD_THREAD
    {"std_thread",
     "one std::thread per system thread; affinity and priority set from inside it",
     std_thread_capabilities(),
     &make_std_thread_backend,
     {}},
#endif
#if TPB_HAVE_BACKEND_POOL
    {"pool", "pre-spawned workers pinned per CPU; a system thread borrows an idle worker",
     pool_capabilities(), &make_pool_backend, pool_variants()},
#endif
#if TPB_HAVE_BACKEND_TBB
    {"tbb",
     "oneTBB task_arenas per NUMA node and priority class; a system thread is a task",
     tbb_capabilities(),
     &make_tbb_backend,
     {}},
#endif
  };
  return table;
}

const BackendEntry* find_backend(std::string_view name) {
  for (const auto& entry : backend_registry())
    if (entry.name == name) return &entry;
  return nullptr;
}

std::string backend_names() {
  std::string out;
  for (const auto& entry : backend_registry()) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

const char* to_string(Capabilities::Priority p) {
  switch (p) {
    case Capabilities::Priority::applied:
      return "applied";
    case Capabilities::Priority::arena_level:
      return "arena-level";
    case Capabilities::Priority::none:
      return "none";
  }
  return "?";
}

std::string to_string(const HostPriority& p) {
  if (p.policy == HostPriority::Policy::fifo) return "fifo:" + std::to_string(p.rt_priority);
  return "other/nice:" + std::to_string(p.nice);
}

}  // namespace tpb
