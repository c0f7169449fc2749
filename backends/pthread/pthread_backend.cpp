#include "pthread/pthread_backend.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <new>

#include "contract/host_sched.hpp"

namespace tpb {
namespace {

// What the new thread needs after the attributes did their part: nice is per thread on Linux
// and no attribute carries it.
struct Start {
  void (*trampoline)(void*);
  void* argument;
  bool set_nice;
  int nice;
  char name[16];
};

void* thread_main(void* raw) {
  Start start = *static_cast<Start*>(raw);
  delete static_cast<Start*>(raw);
  // Named from inside: the thread is detached, so the creator's pthread_t may already be stale.
  if (start.name[0] != '\0') pthread_setname_np(pthread_self(), start.name);
  if (start.set_nice) set_thread_nice(0, start.nice);
  start.trampoline(start.argument);
  return nullptr;
}

class PthreadBackend final : public ThreadBackend {
 public:
  std::string_view name() const override { return "pthread"; }
  Capabilities capabilities() const override { return pthread_capabilities(); }

  LaunchStatus launch(const Launch& launch) override {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return LaunchStatus::no_resources;
    struct AttrGuard {
      pthread_attr_t* a;
      ~AttrGuard() { pthread_attr_destroy(a); }
    } guard{&attr};
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (launch.stack_size != 0 && pthread_attr_setstacksize(&attr, launch.stack_size) != 0)
      return LaunchStatus::invalid;
    if (!launch.cpus.empty()) {
      CpuSet set(launch.cpus);
      if (pthread_attr_setaffinity_np(&attr, set.size(), set.get()) != 0)
        return LaunchStatus::invalid;
    }
    bool set_nice = false;
    if (launch.apply_priority) {
      // Without PTHREAD_EXPLICIT_SCHED the policy below would be silently ignored.
      pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
      sched_param param{};
      if (launch.priority.policy == HostPriority::Policy::fifo) {
        param.sched_priority = launch.priority.rt_priority;
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
      } else {
        pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
        set_nice = true;
      }
      pthread_attr_setschedparam(&attr, &param);
    }
    auto* start = new (std::nothrow)
        Start{launch.trampoline, launch.argument, set_nice, launch.priority.nice, {}};
    if (start == nullptr) return LaunchStatus::no_resources;
    launch.name.copy(start->name, sizeof start->name - 1);
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, &thread_main, start);
    if (rc != 0) {
      delete start;
      return rc == EPERM ? LaunchStatus::priority_denied
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
