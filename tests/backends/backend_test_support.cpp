#include "backend_test_support.hpp"

#include <pthread.h>
#include <sched.h>

#include <thread>

#include "host/cpus.hpp"
#include "host/sched.hpp"

// oneTBB frees an observer's proxy only once no worker still refers to it as the last observer it
// notified; a worker lingering in an arena at process exit keeps it, referenced from thread data
// that tbbmalloc maps outside what LeakSanitizer scans. Reported as a leak, it is not one of ours.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:tbb::detail::r1::observe\n";
}

namespace tpb::test {

Seen observe_self() {
  Seen seen;
  seen.tid = host::current_tid();
  seen.cpu = host::current_cpu();
  host::get_thread_affinity(0, seen.affinity);
  host::read_host_priority(0, seen.priority);
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  seen.name = name;
  return seen;
}

void run_job(void* raw) {
  auto* job = static_cast<Job*>(raw);
  ++job->runs;
  if (job->body) job->body();
  job->done->add();  // the last access: the test may destroy the job once counted
}

Launch launch_of(Job& job) {
  Launch launch;
  launch.trampoline = &run_job;
  launch.argument = &job;
  launch.priority = HostPriority{};
  launch.name = "tpb-unit";
  return launch;
}

LaunchStatus launch_when_free(ThreadBackend& backend, const Launch& launch) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  for (;;) {
    LaunchStatus status = backend.launch(launch);
    if (status != LaunchStatus::no_resources || std::chrono::steady_clock::now() > deadline)
      return status;
    std::this_thread::yield();
  }
}

bool may_lower_nice() {
  static const bool permitted = [] {
    bool ok = false;
    std::thread probe(
        [&] { ok = host::set_thread_nice(0, 5) == 0 && host::set_thread_nice(0, 0) == 0; });
    probe.join();
    return ok;
  }();
  return permitted;
}

bool rt_permitted() {
  static const bool permitted = [] {
    bool ok = false;
    std::thread probe([&] {
      sched_param param{};
      param.sched_priority = 1;
      ok = sched_setscheduler(0, SCHED_FIFO, &param) == 0;
    });
    probe.join();
    return ok;
  }();
  return permitted;
}

Topology first_cpu_topology() {
  return Topology({Topology::host().cpus().front()});
}

std::vector<BackendCase> backend_cases() {
  std::vector<BackendCase> cases;
  for (const BackendEntry& entry : backend_registry()) {
    if (entry.variants.empty()) {
      cases.push_back({std::string(entry.name), &entry, {}});
      continue;
    }
    for (const BackendVariant& variant : entry.variants) {
      BackendCase c{std::string(entry.name) + "_" + std::string(variant.value), &entry, {}};
      variant.apply(c.options);
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

void PrintTo(const BackendCase& backend, std::ostream* out) {
  *out << backend.name;
}

}  // namespace tpb::test
