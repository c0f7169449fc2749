// Fuzz target: the command line as `tpbench run` parses it (the shared parse_options of every
// subcommand, Boost.Program_options, the TPB_<OPTION> environment fallback and run's value checks:
// backends, suites, placements, priorities, repetitions, min-time, paths), without measuring.
// Requirement: any argument vector and environment either parses or throws UsageError (one line,
// exit 2 in main); never a crash, another exception, a hang or a leak.
// Every input runs with --dry-run appended (nothing is created on disk).
// Input: arguments separated by NUL bytes; an argument "TPB_NAME=value" is put in the environment
// for that input instead (and removed after).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "command.hpp"
#include "options.hpp"
#include "run_options.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // --help prints the option table; keep the fuzzer's output readable.
  if (std::freopen("/dev/null", "w", stdout) == nullptr) std::abort();
  return 0;
}

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> words(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\0')
      words.emplace_back();
    else
      words.back() += static_cast<char>(data[i]);
  }
  if (words.size() > 64) return -1;  // reject: not a command line anyone types

  tpb::cli::Invocation invocation;
  invocation.argv = {"tpbench", "run"};
  std::vector<std::string> environment;
  for (const auto& word : words) {
    const auto equals = word.find('=');
    if (word.rfind("TPB_", 0) == 0 && equals != std::string::npos && equals > 4) {
      const std::string name = word.substr(0, equals);
      // NOLINTNEXTLINE(concurrency-mt-unsafe): libFuzzer calls this target from one thread
      ::setenv(name.c_str(), word.c_str() + equals + 1, 1);
      environment.push_back(name);
    } else {
      invocation.args.push_back(word);
    }
  }
  // Checking --out creates its directory; a dry run checks everything else and writes nothing,
  // so the fuzzer never litters the file system (a second --dry-run given is a UsageError).
  invocation.args.emplace_back("--dry-run");
  invocation.argv.insert(invocation.argv.end(), invocation.args.begin(), invocation.args.end());
  try {
    (void)tpb::cli::parse_run_options(invocation);
  } catch (const tpb::cli::UsageError& e) {
    // One line, unless it quotes an argument that holds a newline (main escapes those).
    bool newline_given = false;
    for (const auto& word : words) newline_given |= word.find('\n') != std::string::npos;
    for (const char* c = e.what(); *c != '\0' && !newline_given; ++c)
      if (*c == '\n') std::abort();
  }
  for (const auto& name : environment) ::unsetenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
  return 0;
}
