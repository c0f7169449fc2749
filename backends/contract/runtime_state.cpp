#include "contract/runtime_state.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tpb::detail {
namespace {

std::string resolve_backend_name(const RuntimeOptions& options) {
  if (!options.backend().empty()) return options.backend();
  if (const char* env = std::getenv("SYSTHREAD_BACKEND"); env != nullptr && *env != '\0')
    return env;
  return "pthread";
}

const BackendEntry& backend_entry(const std::string& name) {
  const BackendEntry* entry = find_backend(name);
  if (entry == nullptr)
    throw std::invalid_argument("unknown backend '" + name + "' (known: " + backend_names() + ")");
  return *entry;
}

// Every option is checked before anything (a backend's workers) is built.
RuntimeOptions validated(RuntimeOptions options, const Topology& topology) {
  backend_entry(resolve_backend_name(options));
  if (options.placement().kind == ThreadPlacement::Kind::cpu &&
      topology.find(options.placement().cpu) == nullptr)
    throw std::invalid_argument("placement CPU " + std::to_string(options.placement().cpu) +
                                " is not one this process may use");
  // docs/contracts.md section 6, decision 3: both configurable, within the KPRIORITY range.
  KPRIORITY base = options.system_process_base_priority();
  if (base < 1 || base > 31)
    throw std::invalid_argument("the system process base priority must lie in 1..31");
  if (options.initial_thread_priority() < 0 || options.initial_thread_priority() > 31)
    throw std::invalid_argument("the initial thread priority must lie in 0..31");
  return options;
}

bool verifier_from(const RuntimeOptions& options) {
  if (options.verifier() >= 0) return options.verifier() == 1;
  const char* env = std::getenv("SYSTHREAD_VERIFIER");
  return env != nullptr && std::strcmp(env, "1") == 0;
}

// docs/contracts.md section 6, decision 8: the StorPort adapter limit defaults to the logical
// processor count.
unsigned adapter_limit(const RuntimeOptions& options, const Topology& topology) {
  return options.adapter_thread_limit() != 0 ? options.adapter_thread_limit()
                                             : static_cast<unsigned>(topology.logical_cpus());
}

}  // namespace

RuntimeState::RuntimeState(RuntimeOptions options)
    : options_(validated(std::move(options), Topology::host())),
      topology_(Topology::host()),
      backend_(backend_entry(resolve_backend_name(options_))
                   .create(options_.backend_options(), topology_)),
      capabilities_(backend_->capabilities()),
      accounting_(verifier_from(options_)),
      placement_(options_.placement(), options_.per_cpu_limit(), topology_),
      priorities_(options_.priority_policy(), *backend_, accounting_),
      io_(accounting_, options_.shutdown_timeout()),
      adapters_(accounting_, adapter_limit(options_, topology_)),
      processes_(*this, options_.system_process_base_priority()),
      threads_(*this) {}

RuntimeState::~RuntimeState() = default;

RuntimeStats RuntimeState::stats() const {
  RuntimeStats s;
  s.live_objects = accounting_.live_objects();
  s.open_handles = handles_.size();
  s.live_threads = threads_.live_count();
  s.threads_created = threads_.created();
  return s;
}

void RuntimeState::shut_down() {
  if (shut_down_.exchange(true)) return;
  // Verifier reports (docs/contracts.md 6, "Violations"): what the user left open.
  std::vector<KernelObject*> open = handles_.drain();
  if (!open.empty())
    accounting_.report(std::to_string(open.size()) + " handle(s) never closed at runtime shutdown");
  for (KernelObject* object : open) release(object);
  if (std::size_t drivers = io_.driver_count(); drivers != 0)
    accounting_.report(std::to_string(drivers) + " driver(s) never unloaded at runtime shutdown");
  backend_.reset();
}

}  // namespace tpb::detail
