// The conformance suite's instantiation and helpers (see conformance.hpp).
//
// The suite is instantiated once per tpb::backend_registry() row, and once per variant for a row
// that has variants (the variant's apply() tunes a copy of the default BackendOptions). Rows are
// read from the registry, so a new backend is covered without touching this folder.
#include "conformance.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <thread>

// oneTBB frees an observer's proxy only once no worker still refers to it; a worker lingering in
// an arena at process exit keeps it, from thread data LeakSanitizer does not scan. Not a leak of
// ours (the same suppression as tests/backends).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:tbb::detail::r1::observe\n";
}

namespace tpb_conf {

std::vector<BackendParam> all_backend_params() {
  std::vector<BackendParam> out;
  for (const auto& entry : tpb::backend_registry()) {
    if (entry.variants.empty()) {
      out.push_back({std::string(entry.name), std::string(entry.name), tpb::BackendOptions{},
                     entry.capabilities});
      continue;
    }
    for (const auto& variant : entry.variants) {
      BackendParam p{std::string(entry.name),
                     std::string(entry.name) + "_" + std::string(variant.key) + "_" +
                         std::string(variant.value),
                     tpb::BackendOptions{}, entry.capabilities};
      variant.apply(p.options);
      out.push_back(std::move(p));
    }
  }
  return out;
}

// Default (index) names: CTest's gtest_discover_tests then names each case by the parameter's
// printed label ("Backends/Conformance.Test/pool_wake_spin"); a custom name generator would leave
// "# GetParam() = ..." in every CTest name.
INSTANTIATE_TEST_SUITE_P(Backends, Conformance, testing::ValuesIn(all_backend_params()));

void Conformance::SetUp() {
  // Pool and TBB workers are alive in the test process: death tests re-execute the binary.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
}

tpb::RuntimeOptions Conformance::options() const {
  return tpb::RuntimeOptions()
      .backend(GetParam().name)
      .backend_options(GetParam().options)
      .verifier(false);
}

void function_routine(PVOID context) {
  std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(context));
  (*fn)();
}

NTSTATUS spawn(HANDLE* handle, std::function<void()> fn, CLIENT_ID* cid) {
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  PVOID job = make_job(std::move(fn));
  NTSTATUS s =
      PsCreateSystemThread(handle, THREAD_ALL_ACCESS, &oa, nullptr, cid, &function_routine, job);
  if (!NT_SUCCESS(s)) drop_job(job);
  return s;
}

NTSTATUS io_spawn(PVOID io_object, HANDLE* handle, std::function<void()> fn) {
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  PVOID job = make_job(std::move(fn));
  NTSTATUS s = IoCreateSystemThread(io_object, handle, THREAD_ALL_ACCESS, &oa, nullptr, nullptr,
                                    &function_routine, job);
  if (!NT_SUCCESS(s)) drop_job(job);
  return s;
}

ULONG stor_spawn(PVOID extension, std::function<void()> fn, PSTOR_THREAD_PRIORITY priority,
                 PVOID* thread_context) {
  PVOID job = make_job(std::move(fn));
  ULONG s = StorPortCreateSystemThread(extension, &function_routine, job, priority, thread_context);
  if (s != STOR_STATUS_SUCCESS) drop_job(job);
  return s;
}

PKTHREAD reference_thread(HANDLE handle) {
  PVOID object = nullptr;
  NTSTATUS s =
      ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr);
  EXPECT_EQ(s, STATUS_SUCCESS) << "ObReferenceObjectByHandle";
  return NT_SUCCESS(s) ? static_cast<PKTHREAD>(object) : nullptr;
}

NTSTATUS basic_info(HANDLE handle, THREAD_BASIC_INFORMATION& out) {
  ULONG length = 0;
  return ZwQueryInformationThread(handle, ThreadBasicInformation, &out, sizeof out, &length);
}

void join_and_close(HANDLE handle) {
  EXPECT_EQ(wait_handle(handle), STATUS_SUCCESS) << "thread did not end in time";
  EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);
}

tpb::HostPriority read_own_host_priority() {
  tpb::HostPriority p;
  const pid_t tid = static_cast<pid_t>(gettid_now());
  int policy = (sched_getscheduler(tid) & ~SCHED_RESET_ON_FORK);
  if (policy == SCHED_FIFO || policy == SCHED_RR) {
    sched_param param{};
    sched_getparam(tid, &param);
    p.policy = tpb::HostPriority::Policy::fifo;
    p.rt_priority = param.sched_priority;
  } else {
    p.policy = tpb::HostPriority::Policy::other;
    errno = 0;
    p.nice = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  }
  return p;
}

std::vector<int> own_affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(static_cast<pid_t>(gettid_now()), sizeof set, &set) != 0) return out;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) out.push_back(cpu);
  return out;
}

std::vector<int> allowed_cpus() {
  std::vector<int> out;
  for (const auto& cpu : tpb::Topology::host().cpus()) out.push_back(cpu.os_index);
  return out;
}

bool host_may_apply(const tpb::HostPriority& p) {
  const auto& rights = tpb::host_scheduling_rights();
  if (p.policy == tpb::HostPriority::Policy::fifo)
    return rights.rt_permitted && p.rt_priority <= rights.max_rt_priority;
  return p.nice >= rights.min_nice;
}

void expect_host_priority(const tpb::Runtime& runtime, PKTHREAD thread, KPRIORITY priority,
                          const tpb::HostPriority& observed) {
  using Outcome = tpb::HostPriorityState::Outcome;
  const auto state = runtime.host_priority(thread);
  const auto requested = tpb::host_priority_for(priority);
  const auto caps = runtime.capabilities();
  SCOPED_TRACE("KPRIORITY " + std::to_string(priority) + " requested " + tpb::to_string(requested) +
               " observed " + tpb::to_string(observed) + " effective " +
               tpb::to_string(state.effective) + " outcome " + tpb::to_string(state.outcome));
  EXPECT_EQ(state.priority, priority);
  EXPECT_EQ(state.requested, requested);
  if (state.outcome == Outcome::applied) {
    EXPECT_EQ(state.effective, requested);
    EXPECT_EQ(observed, requested) << "reported applied, but the host thread ran otherwise";
  } else if (state.outcome == Outcome::nearest) {
    EXPECT_EQ(observed, state.effective) << "reported nearest, but the host ran otherwise";
    if (caps.priority == tpb::Capabilities::Priority::applied) {
      EXPECT_FALSE(host_may_apply(requested))
          << "the process may apply this priority and the backend applies priorities";
    }
  } else if (state.outcome == Outcome::arena_level) {
    EXPECT_EQ(caps.priority, tpb::Capabilities::Priority::arena_level)
        << "arena-level outcome from a backend that does not say so";
    EXPECT_EQ(observed, state.effective) << "reported arena level, but the host ran otherwise";
    EXPECT_EQ(observed.policy, requested.policy) << "the arena is not of the thread's class";
  } else if (state.outcome == Outcome::unsupported) {
    EXPECT_NE(caps.priority, tpb::Capabilities::Priority::applied)
        << "backend says it applies priorities, runtime reports unsupported";
  } else {
    ADD_FAILURE() << "host priority still pending after the thread ran";
  }
  if (caps.priority == tpb::Capabilities::Priority::applied && host_may_apply(requested)) {
    EXPECT_EQ(state.outcome, Outcome::applied);
  }
  if (caps.priority == tpb::Capabilities::Priority::arena_level && host_may_apply(requested)) {
    // A change after the start may leave the thread in its arena: reported unsupported, honestly.
    EXPECT_TRUE(state.outcome == Outcome::arena_level || state.outcome == Outcome::unsupported);
  }
  if (caps.priority == tpb::Capabilities::Priority::none) {
    EXPECT_EQ(state.outcome, Outcome::unsupported);
  }
}

void run_bounded(const char* what, std::function<void()> fn, int ms) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  std::thread helper([fn = std::move(fn), done] {
    fn();
    done->set_value();
  });
  if (future.wait_for(std::chrono::milliseconds(ms)) != std::future_status::ready) {
    ADD_FAILURE() << what << " did not return within " << ms << " ms";
    std::fprintf(stderr, "conformance: %s hangs; aborting the test process\n", what);
    std::fflush(stderr);
    std::abort();
  }
  helper.join();
}

bool affinity_honoured(const tpb::Capabilities& caps, const std::string& backend) {
  if (caps.affinity) return true;
  // Not a silent skip: the backend reports it cannot pin, and the run says so.
  testing::Test::RecordProperty("affinity", "unsupported by " + backend);
  std::printf("[   NOTE   ] %s: capabilities.affinity == false; exact placement not checked\n",
              backend.c_str());
  return false;
}

void unload_bounded(tpb::Runtime& rt, PDRIVER_OBJECT driver) {
  run_bounded("SysThreadUnloadDriver", [&rt, driver] {
    tpb::RuntimeScope scope(rt);  // the helper thread acts on the test's runtime
    EXPECT_EQ(SysThreadUnloadDriver(driver), STATUS_SUCCESS);
  });
}

StderrCapture::StderrCapture() {
  std::fflush(stderr);
  char name[] = "/tmp/tpb_conf_stderr_XXXXXX";
  file_ = mkstemp(name);
  if (file_ < 0) return;
  unlink(name);
  saved_ = dup(2);
  dup2(file_, 2);
}

void StderrCapture::restore() {
  if (restored_ || saved_ < 0) return;
  std::fflush(stderr);
  dup2(saved_, 2);
  close(saved_);
  restored_ = true;
}

StderrCapture::~StderrCapture() {
  restore();
  if (file_ >= 0) close(file_);
}

std::string StderrCapture::text() {
  restore();
  std::string out;
  if (file_ < 0) return out;
  char buffer[4096];
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(file_, buffer, sizeof buffer, offset);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  return out;
}

bool eventually(const std::function<bool()>& pred, int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

bool asleep(long tid) {
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return false;
  char line[512] = {};
  bool sleeping = false;
  if (std::fgets(line, sizeof line, file) != nullptr) {
    // "tid (comm) S ...": the state follows the last ')', since comm may hold one.
    const char* close = std::strrchr(line, ')');
    sleeping = close != nullptr && close[1] == ' ' && (close[2] == 'S' || close[2] == 'D');
  }
  std::fclose(file);
  return sleeping;
}

bool becomes_blocked(const std::atomic<long>& tid, int ms) {
  return eventually([&] { return tid.load() != 0 && asleep(tid.load()); }, ms);
}

}  // namespace tpb_conf
