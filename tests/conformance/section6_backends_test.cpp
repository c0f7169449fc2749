// Section 6 held on every backend: docs/contracts.md section 7.9, behaviours 113-116. A worker
// that cannot restore itself is replaced, Ps/Io creation has no per-CPU limit unless configured,
// every thread stays inside the CPUs the process may use, and the verifier never calls a thread
// whose end was signalled "still running". Each case runs in a child process (dropped
// privileges, a narrowed CPU set, or many exits) and is bounded.
#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

// Drops root for good (uid and gid 65534): the process may no longer lower a nice value.
bool drop_to_nobody() {
  return setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0;
}

}  // namespace

// 113: as a user who may not lower nice, four system threads in turn set priority 1 and return;
// every later creation succeeds at priority 8 (a pool replaces the worker it cannot restore), and
// where the backend applies priorities the new thread runs at priority 8's host level
TEST_P(Conformance, UnrestorableWorkerIsReplacedNotLost) {
  const auto opts = options();
  const bool applied = caps().priority == tpb::Capabilities::Priority::applied;
  EXPECT_EXIT(
      {
        if (!drop_to_nobody()) std::_Exit(10);
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        const tpb::HostPriority level8 = read_own_host_priority();
        for (int i = 0; i < 4; ++i) {
          HANDLE h = nullptr;
          if (spawn(&h, [] { KeSetPriorityThread(KeGetCurrentThread(), 1); }) != STATUS_SUCCESS)
            std::_Exit(20 + i);
          if (wait_handle(h) != STATUS_SUCCESS || ZwClose(h) != STATUS_SUCCESS) std::_Exit(30);
        }
        for (int i = 0; i < 12; ++i) {
          KPRIORITY priority = 0;
          tpb::HostPriority host;
          HANDLE h = nullptr;
          NTSTATUS s = spawn(&h, [&] {
            priority = KeQueryPriorityThread(KeGetCurrentThread());
            host = read_own_host_priority();
          });
          if (s != STATUS_SUCCESS) {
            std::fprintf(stderr, "creation %d after the four: 0x%lX\n", 5 + i,
                         static_cast<unsigned long>(static_cast<ULONG>(s)));
            std::_Exit(40);
          }
          if (wait_handle(h) != STATUS_SUCCESS || ZwClose(h) != STATUS_SUCCESS) std::_Exit(41);
          if (priority != 8) std::_Exit(42);
          if (applied && !(host == level8)) {
            std::fprintf(stderr, "creation %d runs at %s, not %s\n", 5 + i,
                         tpb::to_string(host).c_str(), tpb::to_string(level8).c_str());
            std::_Exit(43);
          }
        }
        std::fprintf(stderr, "all created at 8\n");
        std::_Exit(0);
      },
      testing::ExitedWithCode(0), "all created at 8");
}

// 114: one thread creates five system threads that all stay alive -> all five succeed (no per-CPU
// limit unless configured); with a configured limit of 2 on one CPU the third is refused
TEST_P(Conformance, NoPerCpuLimitByDefault) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  std::vector<HANDLE> handles;
  for (int i = 0; i < 5; ++i) {
    HANDLE h = nullptr;
    EXPECT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS) << "creation " << i + 1;
    if (h != nullptr) handles.push_back(h);
  }
  gate.open();
  for (HANDLE h : handles) join_and_close(h);

  const int cpu = allowed_cpus().front();
  tpb::Runtime limited(options().per_cpu_limit(2).placement(tpb::ThreadPlacement::on_cpu(cpu)));
  tpb::RuntimeScope limited_scope(limited);
  Gate hold;
  HANDLE kept[2] = {};
  for (HANDLE& h : kept) ASSERT_EQ(spawn(&h, [&] { hold.wait(); }), STATUS_SUCCESS);
  HANDLE third = nullptr;
  EXPECT_EQ(spawn(&third, [] {}), STATUS_INSUFFICIENT_RESOURCES);
  hold.open();
  for (HANDLE h : kept) join_and_close(h);
}

// 115: a process restricted to one CPU (as taskset does): every thread, with `inherit`, runs on
// that CPU only, on every reuse of a worker; with `spread`, on that CPU too
TEST_P(Conformance, ThreadsStayInsideAllowedCpus) {
  const auto opts = options();
  EXPECT_EXIT(
      {
        // Narrowed before anything reads the topology, as taskset does before the program starts.
        const int cpu = own_affinity().back();
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof one, &one) != 0) std::_Exit(10);
        for (auto placement : {tpb::ThreadPlacement::inherit(), tpb::ThreadPlacement::spread()}) {
          tpb::Runtime rt(tpb::RuntimeOptions(opts).placement(placement));
          tpb::RuntimeScope scope(rt);
          for (int i = 0; i < 6; ++i) {
            std::vector<int> seen;
            HANDLE h = nullptr;
            if (spawn(&h, [&] { seen = own_affinity(); }) != STATUS_SUCCESS) std::_Exit(20);
            join_and_close(h);
            if (seen != std::vector<int>{cpu}) {
              std::string list;
              for (int c : seen) list += std::to_string(c) + " ";
              std::fprintf(
                  stderr, "%s thread %d ran on { %s}, not {%d}\n",
                  placement.kind == tpb::ThreadPlacement::Kind::spread ? "spread" : "inherit",
                  i + 1, list.c_str(), cpu);
              std::_Exit(30 + i);
            }
          }
        }
        std::fprintf(stderr, "inside the allowed CPUs\n");
        std::_Exit(0);
      },
      testing::ExitedWithCode(0), "inside the allowed CPUs");
}

// The scenario of behaviour 116, `runs` times, each in a forked process whose stderr is read:
// prints how many runs the verifier reported a thread still running in, and how many failed.
void exit_after_waiting(const std::string& backend, int runs) {
  // In the death test's child, before it starts any thread.
  setenv("SYSTHREAD_VERIFIER", "1", 1);  // NOLINT(concurrency-mt-unsafe)
  int reported = 0;
  int failed = 0;
  for (int run = 0; run < runs; ++run) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) std::_Exit(10);
    pid_t child = fork();
    if (child == 0) {
      dup2(pipe_fds[1], 2);
      close(pipe_fds[0]);
      if (SysThreadSelectBackend(backend.c_str()) != STATUS_SUCCESS) std::_Exit(3);
      HANDLE h = nullptr;
      if (PsCreateSystemThread(
              &h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, [](PVOID) {}, nullptr) !=
          STATUS_SUCCESS)
        std::_Exit(4);
      LARGE_INTEGER timeout = relative_ms(kWaitMs);
      if (ZwWaitForSingleObject(h, FALSE, &timeout) != STATUS_SUCCESS) std::_Exit(5);
      if (ZwClose(h) != STATUS_SUCCESS) std::_Exit(6);
      // atexit runs the verifier's process-exit report; the thread it waited for has ended.
      std::exit(0);  // NOLINT(concurrency-mt-unsafe)
    }
    close(pipe_fds[1]);
    std::string text;
    char buffer[512];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
      text.append(buffer, static_cast<std::size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      ++failed;
    if (text.find("still running at process exit") != std::string::npos) ++reported;
  }
  std::fprintf(stderr, "reported %d of %d, %d failed\n", reported, runs, failed);
  std::_Exit(0);
}

// Sanitized processes start and exit an order of magnitude slower: fewer runs there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kExitRuns = 100;
#else
constexpr int kExitRuns = 1000;
#endif

// 116: with SYSTHREAD_VERIFIER=1, a program that creates one thread, waits for it, closes its
// handle and exits -> never "still running at process exit" (1,000 exits, each a forked process)
TEST_P(Conformance, VerifierNeverReportsEndedThreadAtExit) {
  const std::string backend = GetParam().name;
  const std::string expected = "reported 0 of " + std::to_string(kExitRuns) + ", 0 failed";
  EXPECT_EXIT(exit_after_waiting(backend, kExitRuns), testing::ExitedWithCode(0), expected);
}

}  // namespace tpb_conf
