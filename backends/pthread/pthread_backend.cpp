#include "pthread/pthread_backend.hpp"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "contract/host_sched.hpp"

namespace tpb {
namespace {

// Threads whose trampoline has returned, waiting to be joined. Joining them (instead of detaching)
// lets glibc reuse their stacks: a detached thread's stack becomes reusable only once the kernel
// has cleared its tid, which is usually after the next creation has already mapped and faulted a
// fresh 8 MiB stack. Reaping at the next launch gives the same stack reuse as create + join.
class Reaper {
 public:
  void finished(pthread_t self) {
    std::lock_guard lock(mutex_);
    if (closed_) {
      pthread_detach(self);  // the backend is gone: nobody will join
      return;
    }
    done_.push_back(self);
  }
  // Joins the finished threads that have fully exited; never blocks on one that has not.
  void reap() {
    std::lock_guard lock(mutex_);
    std::erase_if(done_, [](pthread_t t) { return pthread_tryjoin_np(t, nullptr) == 0; });
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (pthread_t t : done_) pthread_join(t, nullptr);
    done_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<pthread_t> done_;
  bool closed_ = false;
};

// What the new thread needs after the attributes did their part: nice is per thread on Linux
// and no attribute carries it.
struct Start {
  void (*trampoline)(void*);
  void (*completion)(void*);
  void* argument;
  bool set_nice;
  int nice;
  char name[16];
  std::shared_ptr<Reaper> reaper;
};

void* thread_main(void* raw) {
  std::unique_ptr<Start> start(static_cast<Start*>(raw));
  if (start->name[0] != '\0') pthread_setname_np(pthread_self(), start->name);
  if (start->set_nice) set_thread_nice(0, start->nice);
  start->trampoline(start->argument);
  if (start->completion != nullptr) start->completion(start->argument);
  start->reaper->finished(pthread_self());
  return nullptr;
}

class PthreadBackend final : public ThreadBackend {
 public:
  ~PthreadBackend() override { reaper_->close(); }

  std::string_view name() const override { return "pthread"; }
  Capabilities capabilities() const override { return pthread_capabilities(); }

  LaunchStatus launch(const Launch& launch) override {
    reaper_->reap();
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return LaunchStatus::no_resources;
    struct AttrGuard {
      pthread_attr_t* a;
      ~AttrGuard() { pthread_attr_destroy(a); }
    } guard{&attr};
    if (launch.stack_size != 0 && pthread_attr_setstacksize(&attr, launch.stack_size) != 0)
      return LaunchStatus::invalid;
    if (!launch.cpus.empty()) {
      CpuSet set(launch.cpus);
      if (pthread_attr_setaffinity_np(&attr, set.size(), set.get()) != 0)
        return LaunchStatus::invalid;
    }
    bool set_nice = false;
    if (launch.apply_priority) {
      bool fifo = launch.priority.policy == HostPriority::Policy::fifo;
      // A SCHED_OTHER thread created by a SCHED_OTHER creator starts in the right class; only
      // its nice value (per thread on Linux, in no attribute) is set, first thing in the thread.
      // Any other combination needs PTHREAD_EXPLICIT_SCHED, without which the policy would be
      // silently ignored; it costs glibc a stopped start (about 2 us here), so only then.
      if (fifo || sched_getscheduler(0) != SCHED_OTHER) {
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        sched_param param{};
        param.sched_priority = fifo ? launch.priority.rt_priority : 0;
        pthread_attr_setschedpolicy(&attr, fifo ? SCHED_FIFO : SCHED_OTHER);
        pthread_attr_setschedparam(&attr, &param);
      }
      set_nice = !fifo;
    }
    auto* start = new (std::nothrow) Start{launch.trampoline,
                                           launch.completion,
                                           launch.argument,
                                           set_nice,
                                           launch.priority.nice,
                                           {},
                                           reaper_};
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

 private:
  std::shared_ptr<Reaper> reaper_ = std::make_shared<Reaper>();
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
