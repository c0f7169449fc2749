#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace tpb::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> merged_environment(const Environment& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : extra) vars[name] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) {
    std::string entry = name;
    entry += '=';
    entry += value;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

Process::Process(const std::vector<std::string>& argv, const Environment& env) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  c_args.reserve(args.size() + 1);
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  std::vector<std::string> vars = merged_environment(env);
  std::vector<char*> c_vars;
  c_vars.reserve(vars.size() + 1);
  for (auto& v : vars) c_vars.push_back(v.data());
  c_vars.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, c_args[0], &actions, nullptr, c_args.data(), c_vars.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (rc != 0)
    throw std::runtime_error("posix_spawn " + argv[0] + ": " +
                             std::error_code(rc, std::generic_category()).message());
}

Process::~Process() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool Process::pump(std::chrono::milliseconds slice) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (out_fd_ < 0 && err_fd_ < 0) return false;
  if (::poll(fds, 2, static_cast<int>(slice.count())) <= 0) return true;
  int* fd_of[2] = {&out_fd_, &err_fd_};
  std::string* text_of[2] = {&result_.out, &result_.err};
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buffer[4096];
    const ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
    if (n > 0) {
      text_of[i]->append(buffer, static_cast<std::size_t>(n));
    } else {
      ::close(*fd_of[i]);
      *fd_of[i] = -1;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

bool Process::reap(bool block) {
  if (exited_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r != pid_) return false;
  exited_ = true;
  result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

bool Process::wait_for_stdout(std::string_view text, std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (result_.out.find(text) != std::string::npos) return true;
    if (!pump(std::chrono::milliseconds(50)) && reap(false)) break;
  }
  return result_.out.find(text) != std::string::npos;
}

void Process::signal(int signal_number) {
  if (!exited_) ::kill(pid_, signal_number);
}

ProcessResult Process::wait(std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    const bool open = pump(std::chrono::milliseconds(50));
    if (reap(false) && !open) break;
    if (!open && exited_) break;
  }
  if (!reap(false)) {
    result_.timed_out = true;
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  // Whatever is still buffered; bounded, in case a grandchild holds a pipe open.
  const auto drain_end = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < drain_end && pump(std::chrono::milliseconds(10))) {
  }
  return result_;
}

ProcessResult run_process(const std::vector<std::string>& argv, const Environment& env,
                          std::chrono::milliseconds timeout) {
  Process process(argv, env);
  return process.wait(timeout);
}

}  // namespace tpb::test
