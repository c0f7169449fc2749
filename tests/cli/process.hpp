// A child process for the CLI tests: posix_spawn with stdout and stderr captured, extra
// environment variables, signals, and waits bounded by a timeout (a hung child is killed, never
// waited for forever).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tpb::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  bool timed_out = false;
  std::string out;
  std::string err;
};

using Environment = std::vector<std::pair<std::string, std::string>>;

class Process {
 public:
  // Starts argv[0] (a path) with `env` added to this process's environment.
  explicit Process(const std::vector<std::string>& argv, const Environment& env = {});
  ~Process();  // kills the child if it still runs
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Reads output until stdout holds `text`; false on timeout or exit.
  bool wait_for_stdout(std::string_view text, std::chrono::milliseconds timeout);
  void signal(int signal_number);
  // Waits for exit, reading output; on timeout kills the child (SIGKILL) and says so.
  ProcessResult wait(std::chrono::milliseconds timeout);

 private:
  bool pump(std::chrono::milliseconds slice);  // false once both pipes are closed
  bool reap(bool block);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  ProcessResult result_;
};

// Runs to completion (or timeout).
ProcessResult run_process(const std::vector<std::string>& argv, const Environment& env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace tpb::test
