// Requirement: a SIGINT, a SIGTERM or a watchdog expiry in the middle of a real-time experiment
// leaves no thread of tpbench at a real-time priority, checked from outside the process with
// `ps -L -o tid,cls,rtprio,ni` while it still exists (TPB_TEST_HOLD_BEFORE_EXIT holds it after the
// run, record written). A signal is sent only once ps shows the case's SCHED_FIFO threads: to the
// process (kill) during the inversion suite and during creation at a real-time priority, and to one
// SCHED_FIFO role thread (tgkill); the run then exits 130 with a partial record holding only cases
// measured without an error. A watchdog expiry is forced with TPB_TEST_WATCHDOG_BUDGET_NS (a budget
// no run can meet): each case is recorded as an error carrying the watchdog's message, and the run
// goes on and ends normally. The runs are the real `tpbench run`, as root; where SCHED_FIFO is
// refused the cases skip and say why. Every wait is bounded and the child is killed whatever
// happens (Process's destructor); its real-time threads are pinned and under its own watchdog.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "scratch_dir.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;

constexpr int kExitInterrupted = 130;
const char* const kPs = "/bin/ps";

// Why this process cannot put a thread at SCHED_FIFO (the watchdog's priority, the highest), or
// empty when it can. Probed on a thread of its own that ends at once.
std::string sched_fifo_refusal() {
  int rc = 0;
  std::thread probe([&rc] {
    sched_param param{};
    param.sched_priority = sched_get_priority_max(SCHED_FIFO);
    rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  });
  probe.join();
  return rc == 0 ? std::string()
                 : "SCHED_FIFO refused here: " + std::generic_category().message(rc);
}

struct ThreadSched {
  std::string pid, tid, cls, rtprio, nice;
};

// The threads ps sees, selected by `selector` ("-p PID" or "--ppid PID").
std::vector<ThreadSched> threads_of(const std::string& selector, pid_t pid) {
  const ProcessResult r = run_process(
      {kPs, "-L", "-o", "pid=,tid=,cls=,rtprio=,ni=", selector, std::to_string(pid)}, {}, 10s);
  std::vector<ThreadSched> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    ThreadSched t;
    if (fields >> t.pid >> t.tid >> t.cls >> t.rtprio >> t.nice) out.push_back(t);
  }
  return out;
}

bool realtime(const ThreadSched& t) {
  return t.cls == "FF" || t.cls == "RR" || t.cls == "DLN";
}

std::string describe(const std::vector<ThreadSched>& threads) {
  std::string out;
  for (const auto& t : threads) out += t.tid + " " + t.cls + " " + t.rtprio + " " + t.nice + "; ";
  return out;
}

// Waits (bounded) until ps shows at least `count` SCHED_FIFO threads among this test's children
// (the run, and ps itself at SCHED_OTHER). Returns them, lowest real-time priority first (a role of
// the inversion group, not its watchdog); empty on timeout.
std::vector<ThreadSched> wait_for_fifo_threads(std::size_t count, std::chrono::seconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    std::vector<ThreadSched> fifo;
    for (const auto& t : threads_of("--ppid", ::getpid()))
      if (t.cls == "FF") fifo.push_back(t);
    if (fifo.size() >= count) {
      std::sort(fifo.begin(), fifo.end(), [](const ThreadSched& a, const ThreadSched& b) {
        return std::stoi(a.rtprio) < std::stoi(b.rtprio);
      });
      return fifo;
    }
    std::this_thread::sleep_for(5ms);
  }
  return {};
}

// Waits (bounded) for the run's "ready <pid>" file: the child finished and holds before exiting.
// Returns its pid, or -1.
pid_t wait_for_hold(Process& run, const std::filesystem::path& ready) {
  // Flushed before the file is written; reading stdout also notices a child that exits instead.
  if (!run.wait_for_stdout("record: ", 120s)) return -1;
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < end) {
    std::ifstream in(ready);
    std::string word;
    pid_t pid = -1;
    if (in >> word >> pid && word == "ready" && pid > 0) return pid;
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

// Seen from outside: the process still exists and none of its threads is at a real-time class, and
// every one is back at the test's own nice value (the priority it started from).
void expect_no_realtime_thread(pid_t pid) {
  const auto threads = threads_of("-p", pid);
  ASSERT_FALSE(threads.empty()) << "ps saw no thread of " << pid << ": the hold did not hold";
  const std::string own_nice = std::to_string(::getpriority(PRIO_PROCESS, 0));
  for (const auto& t : threads) {
    EXPECT_FALSE(realtime(t)) << "thread " << t.tid << " is " << t.cls << " " << t.rtprio
                              << "; all: " << describe(threads);
    EXPECT_EQ(t.rtprio, "-") << describe(threads);
    EXPECT_EQ(t.nice, own_nice) << "thread " << t.tid << "; all: " << describe(threads);
  }
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

// The record's entries of `suite` and their error messages ("" when none).
std::vector<std::pair<std::string, std::string>> entries_of(const nlohmann::json& record,
                                                            const std::string& suite) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& b : record["benchmarks"]) {
    const std::string name = b.value("run_name", b.value("name", ""));
    if (!name.starts_with(suite + "/")) continue;
    out.emplace_back(name, b.value("error_occurred", false) ? b.value("error_message", "?") : "");
  }
  return out;
}

// One `tpbench run` held before it exits (TPB_TEST_HOLD_BEFORE_EXIT), in a directory of its own.
class HeldRun {
 public:
  HeldRun(const std::string& tag, std::vector<std::string> extra_args, Environment env,
          int repetitions)
      : dir_(created(scratch_dir("tpbench-rt-faults") / tag)),
        out_(dir_ / "record.json"),
        ready_(dir_ / "ready"),
        run_(arguments(out_, repetitions, std::move(extra_args)),
             with_hold(std::move(env), ready_)) {}

  Process& process() { return run_; }

  // Waits for the hold, checks from outside that no thread is left at a real-time priority,
  // releases the run and waits (bounded) for it to exit; the run's output and record.
  std::pair<ProcessResult, nlohmann::json> finish() {
    const pid_t held = wait_for_hold(run_, ready_);
    EXPECT_GT(held, 0) << "the run did not reach its hold";
    if (held > 0) expect_no_realtime_thread(held);
    std::error_code ignored;
    std::filesystem::remove(ready_, ignored);
    ProcessResult r = run_.wait(30s);
    EXPECT_FALSE(r.timed_out) << r.out << r.err;
    nlohmann::json record = read_json(out_);
    EXPECT_FALSE(record.is_discarded()) << r.out << r.err;
    return {std::move(r), std::move(record)};
  }

 private:
  static std::filesystem::path created(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    return dir;
  }
  // The real command, quick preset, `repetitions` passes, then `extra` (the suite and the cases).
  static std::vector<std::string> arguments(const std::filesystem::path& out, int repetitions,
                                            std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        TPB_TPBENCH,     "run",   "--quick",   "--repetitions", std::to_string(repetitions),
        "--no-progress", "--out", out.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  static Environment with_hold(Environment env, const std::filesystem::path& ready) {
    env.emplace_back("TPB_TEST_HOLD_BEFORE_EXIT", ready.string());
    return env;
  }

  std::filesystem::path dir_, out_, ready_;
  Process run_;
};

// Where a signal is sent: to the process (kill, as Ctrl-C and `kill PID` do; the kernel hands it to
// the main thread when it can), or to one real-time role thread of the group (tgkill), so the
// handler interrupts a SCHED_FIFO thread in its semaphore wait or its spin.
enum class Target { process, realtime_thread };

// What is interrupted: the suite's arguments, and how many SCHED_FIFO threads ps must show first.
struct RealtimeCase {
  std::string suite;
  std::vector<std::string> args;
  std::size_t fifo_threads;
};
// The inversion group whole: its watchdog and the four roles, so a case has started its runs and
// not yet released the group.
const RealtimeCase kInversion{"inversion", {"--suite", "inversion"}, 5};
// Creation at KPRIORITY 24: threads created at SCHED_FIFO, short-lived, seen one at a time.
const RealtimeCase kCreationAt24{
    "creation", {"--suite", "creation", "--priority", "24", "--filter", "priority:24"}, 1};

// Sends `signal_number` once ps shows the case's SCHED_FIFO threads; false if it never did.
bool signal_during_realtime_case(Process& run, const RealtimeCase& c, int signal_number,
                                 Target target) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const std::vector<ThreadSched> fifo = wait_for_fifo_threads(c.fifo_threads, 60s);
    if (fifo.empty()) return false;
    if (target == Target::process) {
      run.signal(signal_number);
      return true;
    }
    // The thread may have ended since ps looked (ESRCH): look again.
    if (::syscall(SYS_tgkill, std::stoi(fifo.front().pid), std::stoi(fifo.front().tid),
                  signal_number) == 0)
      return true;
  }
  return false;
}

// Signal `signal_number` in the middle of a real-time case: no RT thread left, exit 130, partial.
// Twenty passes, so the suite is still under way when ps first shows the threads.
void interrupt_realtime_case(const RealtimeCase& c, int signal_number, const std::string& tag,
                             Target target = Target::process) {
  if (const std::string why = sched_fifo_refusal(); !why.empty()) GTEST_SKIP() << why;
  HeldRun run(tag, c.args, {}, 20);
  ASSERT_TRUE(signal_during_realtime_case(run.process(), c, signal_number, target))
      << "no " << c.suite << " thread at SCHED_FIFO appeared within 60 s";
  const auto [r, record] = run.finish();
  EXPECT_EQ(r.exit_code, kExitInterrupted) << r.err;
  EXPECT_TRUE(record["tpbench"].value("partial", false));
  // Cases the signal stopped are left out of the record ("interrupted" entries are not written);
  // what is written was measured: no leftover real-time thread, no watchdog abort.
  for (const auto& [name, error] : entries_of(record, c.suite)) EXPECT_EQ(error, "") << name;
}

// SIGINT (Ctrl-C) during an inversion case restores every priority before the process exits.
TEST(RtFaults, SigintDuringInversionLeavesNoRealtimeThread) {
  interrupt_realtime_case(kInversion, SIGINT, "sigint");
}

// SIGTERM during an inversion case does the same.
TEST(RtFaults, SigtermDuringInversionLeavesNoRealtimeThread) {
  interrupt_realtime_case(kInversion, SIGTERM, "sigterm");
}

// SIGINT landing on a real-time role thread of the group (not the main thread) does the same.
TEST(RtFaults, SigintToARealtimeThreadLeavesNoRealtimeThread) {
  interrupt_realtime_case(kInversion, SIGINT, "sigint-rt-thread", Target::realtime_thread);
}

// SIGTERM while creation cases at a real-time priority run: the same, for the other RT suite.
TEST(RtFaults, SigtermDuringRealtimeCreationLeavesNoRealtimeThread) {
  interrupt_realtime_case(kCreationAt24, SIGTERM, "sigterm-creation");
}

// A run that overruns its bound: the watchdog aborts and demotes the group, the case is an error
// naming the watchdog, the next case still runs, the run ends normally, no RT thread is left.
TEST(RtFaults, WatchdogExpiryAbortsTheCaseAndLeavesNoRealtimeThread) {
  if (const std::string why = sched_fifo_refusal(); !why.empty()) GTEST_SKIP() << why;
  // 1 us: shorter than any run (low alone holds the lock for 1 ms in the quick preset).
  HeldRun run("watchdog",
              {"--suite", "inversion", "--backend", "pthread", "--filter",
               "^inversion/.*backend:pthread/.*protocol:(none|inherit)/"},
              {{"TPB_TEST_WATCHDOG_BUDGET_NS", "1000"}}, 1);
  const auto [r, record] = run.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(record["tpbench"].value("partial", true));
  const auto entries = entries_of(record, "inversion");
  ASSERT_EQ(entries.size(), 2U) << r.out;  // the second case ran after the first was aborted
  for (const auto& [name, error] : entries) {
    EXPECT_NE(error.find("watchdog"), std::string::npos) << name << ": " << error;
    EXPECT_NE(error.find("overran its bound"), std::string::npos) << name << ": " << error;
    EXPECT_NE(error.find("demoted"), std::string::npos) << name << ": " << error;
  }
}

}  // namespace
}  // namespace tpb::test
