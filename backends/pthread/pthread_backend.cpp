#include "pthread/pthread_backend.hpp"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <memory>
#include <new>
#include <optional>

#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb {
namespace {

// What the new thread applies to itself after the attributes did their part: nice is per thread
// on Linux and no attribute carries it; a SCHED_FIFO level is raised here when no attribute had to
// stop the thread anyway (see launch()).
struct Start {
  void (*trampoline)(void*);
  void (*completion)(void*);
  void* argument;
  bool set_nice;
  bool raise;  // apply `priority` (SCHED_FIFO) first thing
  HostPriority priority;
  char name[16];
};

void* thread_main(void* raw) {
  std::unique_ptr<Start> start(static_cast<Start*>(raw));
  if (start->name[0] != '\0') pthread_setname_np(pthread_self(), start->name);
  // Too late to refuse on EPERM; the runtime probed the rights before launching, so run.
  if (start->raise) host::apply_own_priority(start->priority);
  if (start->set_nice) host::set_thread_nice(0, start->priority.nice);
  start->trampoline(start->argument);
  if (start->completion != nullptr) start->completion(start->argument);
  return nullptr;
}

class PthreadBackend final : public ThreadBackend {
 public:
  std::string_view name() const override { return "pthread"; }
  Capabilities capabilities() const override { return pthread_capabilities(); }

  LaunchStatus launch(const Launch& launch) override {
    if (launch.trampoline == nullptr) return LaunchStatus::invalid;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return LaunchStatus::no_resources;
    struct AttrGuard {
      pthread_attr_t* a;
      ~AttrGuard() { pthread_attr_destroy(a); }
    } guard{&attr};
    // Detached: nothing joins a system thread; waiters wait on its object. (Joining finished
    // threads at the next launch, so that glibc reuses their stacks, measured no faster here.)
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (launch.stack_size != 0 && pthread_attr_setstacksize(&attr, launch.stack_size) != 0)
      return LaunchStatus::invalid;
    // An affinity in the attributes makes glibc start the thread stopped until the creator has
    // applied it (about 2 us here); a thread inherits its creator's affinity, so only a different
    // one is passed.
    bool stopped_start = false;
    if (!launch.cpus.empty()) {
      host::CpuSet set(launch.cpus);
      if (!host::own_affinity_is(set)) {
        if (pthread_attr_setaffinity_np(&attr, set.size(), set.get()) != 0)
          return LaunchStatus::invalid;
        stopped_start = true;
      }
    }
    bool set_nice = false;
    bool raise = false;
    if (launch.apply_priority) {
      // A new thread starts with its creator's class, level and nice; only what differs is
      // changed. PTHREAD_EXPLICIT_SCHED (without which a policy attribute is silently ignored)
      // also costs glibc a stopped start, so it is used only where the thread stops anyway for
      // its affinity, or where the creator's own real-time class would otherwise carry over. A
      // thread that inherits SCHED_OTHER raises itself to SCHED_FIFO first thing instead: on the
      // creator's CPU that reached the first instruction 2 us sooner (10.4 against 12.4 us here).
      const HostPriority& wanted = launch.priority;
      const bool fifo = wanted.policy == HostPriority::Policy::fifo;
      const std::optional<HostPriority> inherited = host::priority_a_new_thread_inherits();
      const bool inherits_other = inherited && inherited->policy == HostPriority::Policy::other;
      if (inherited != wanted) {
        if (inherits_other && fifo && !stopped_start) {
          raise = true;
        } else if (!inherits_other || fifo) {
          pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
          sched_param param{};
          param.sched_priority = fifo ? wanted.rt_priority : 0;
          pthread_attr_setschedpolicy(&attr, fifo ? SCHED_FIFO : SCHED_OTHER);
          pthread_attr_setschedparam(&attr, &param);
        }
        // An explicit SCHED_OTHER start leaves nice where the creator has it (glibc sets policy
        // and level only), so nice is compared with the creator's either way.
        set_nice = !fifo && (!inherited || inherited->nice != wanted.nice);
      }
    }
    auto* start = new (std::nothrow) Start{launch.trampoline,
                                           launch.completion,
                                           launch.argument,
                                           set_nice,
                                           raise,
                                           launch.priority,
                                           {}};
    if (start == nullptr) return LaunchStatus::no_resources;
    launch.name.copy(start->name, sizeof start->name - 1);
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, &thread_main, start);
    if (rc != 0) {
      delete start;
      return rc == EPERM    ? LaunchStatus::priority_denied
             : rc == EINVAL ? LaunchStatus::invalid
                            : LaunchStatus::no_resources;
    }
    return LaunchStatus::ok;
  }
};

}  // namespace

Capabilities pthread_capabilities() {
  Capabilities caps;
  caps.priority = Capabilities::Priority::applied;
  caps.affinity = true;
  return caps;
}

std::unique_ptr<ThreadBackend> make_pthread_backend(const BackendOptions&, const Topology&) {
  return std::make_unique<PthreadBackend>();
}

}  // namespace tpb
