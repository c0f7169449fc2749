#include "std_thread/std_thread_backend.hpp"

#include <pthread.h>

#include <new>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb {
namespace {

// What the new thread applies to itself before the system thread starts.
struct Start {
  void (*trampoline)(void*);
  void (*completion)(void*);
  void* argument;
  std::vector<int> cpus;
  bool apply_priority;
  HostPriority priority;
  char name[16];

  void operator()() const {
    if (name[0] != '\0') pthread_setname_np(pthread_self(), name);
    // std::thread takes no attributes, so the new thread places itself; it inherited the
    // creator's affinity and priority, and changes them only where they differ.
    if (!cpus.empty()) host::ensure_own_affinity(cpus);
    // Too late to refuse on EPERM; the runtime probed the rights before launching, so run.
    if (apply_priority) host::ensure_own_priority(priority);
    trampoline(argument);
    if (completion != nullptr) completion(argument);
  }
};

class StdThreadBackend final : public ThreadBackend {
 public:
  std::string_view name() const override { return "std_thread"; }
  Capabilities capabilities() const override { return std_thread_capabilities(); }

  LaunchStatus launch(const Launch& launch) override {
    if (launch.trampoline == nullptr) return LaunchStatus::invalid;
    if (launch.stack_size > stack_size_) return LaunchStatus::no_resources;
    try {
      // A new thread inherits its creator's affinity: when that is the one asked for, neither
      // side touches it.
      std::optional<host::CpuSet> place;
      if (!launch.cpus.empty()) {
        place.emplace(launch.cpus);
        if (host::own_affinity_is(*place)) place.reset();
      }
      Start start{.trampoline = launch.trampoline,
                  .completion = launch.completion,
                  .argument = launch.argument,
                  .cpus = place ? launch.cpus : std::vector<int>{},
                  .apply_priority = launch.apply_priority,
                  .priority = launch.priority,
                  .name = {}};
      launch.name.copy(start.name, sizeof start.name - 1);
      std::thread thread(std::move(start));
      // std::thread takes no attributes: place the new thread from here at once, as glibc does
      // with an affinity attribute, so that it rarely starts on the wrong CPU and must migrate
      // itself (it still checks, in case it ran first).
      if (place) pthread_setaffinity_np(thread.native_handle(), place->size(), place->get());
      thread.detach();
    } catch (const std::system_error&) {
      // resource_unavailable_try_again in practice: no attributes are passed that could be refused.
      return LaunchStatus::no_resources;
    } catch (const std::bad_alloc&) {
      return LaunchStatus::no_resources;
    }
    return LaunchStatus::ok;
  }

 private:
  const std::size_t stack_size_ = host::default_thread_stack_size();
};

}  // namespace

Capabilities std_thread_capabilities() {
  Capabilities caps;
  caps.priority = Capabilities::Priority::applied;
  caps.affinity = true;
  caps.unpinned_window = true;
  caps.termination = true;
  return caps;
}

std::unique_ptr<ThreadBackend> make_std_thread_backend(const BackendOptions&, const Topology&) {
  return std::make_unique<StdThreadBackend>();
}

}  // namespace tpb
