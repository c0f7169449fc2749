// The tpbench subcommands: one table, one file per command. main.cpp looks a name up here and
// calls it; a later command (report, compare, gate, history) is one more row and one more file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tpb::cli {

// Exit codes, the same for every subcommand (they are an interface: CI gates read them).
inline constexpr int kExitSuccess = 0;        // success, or the check passed
inline constexpr int kExitRegression = 1;     // a regression was found
inline constexpr int kExitUsage = 2;          // bad usage, or an input that cannot be read
inline constexpr int kExitUntrusted = 3;      // results that cannot be trusted (noise, machines)
inline constexpr int kExitInterrupted = 130;  // SIGINT / SIGTERM

// What a command is handed: the whole command line (recorded in run records) and the arguments
// after the command name.
struct Invocation {
  std::vector<std::string> argv;
  std::vector<std::string> args;
};

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `tpbench --help`
  int (*run)(const Invocation& invocation);
};

// Every command, in the order `tpbench --help` lists them.
const std::vector<Command>& commands();

int run_list(const Invocation& invocation);
int run_topology(const Invocation& invocation);
int run_doctor(const Invocation& invocation);
int run_run(const Invocation& invocation);
int run_compare(const Invocation& invocation);
int run_gate(const Invocation& invocation);
int run_history(const Invocation& invocation);
int run_report(const Invocation& invocation);

}  // namespace tpb::cli
