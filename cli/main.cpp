// tpbench: run the system-thread backends' benchmarks and describe the machine they ran on.
// Parses the command name and dispatches through the command table (command.cpp).
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "command.hpp"
#include "host_facts.hpp"
#include "options.hpp"

namespace {

void print_usage(std::ostream& out) {
  out << "Usage: tpbench <command> [options]   (tpbench <command> --help for its options)\n\n"
         "Commands:\n";
  for (const auto& command : tpb::cli::commands())
    out << fmt::format("  {:<10} {}\n", command.name, command.summary);
  out << "\nExit codes: 0 success, 1 regression, 2 bad usage or unreadable input, "
         "3 untrustworthy results, 130 interrupted.\n";
}

// An error as one line: control characters (a newline or an escape sequence quoted from an
// argument) are shown escaped, so the message can neither span lines nor drive the terminal.
std::string one_line(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tpb::cli;
  Invocation invocation;
  invocation.argv.assign(argv, argv + argc);
  if (argc < 2) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(std::cout);
    return kExitSuccess;
  }
  if (name == "--version") {
    std::cout << fmt::format("tpbench {} (git {})\n", TPB_VERSION,
                             git_revision().value_or("unknown"));
    return kExitSuccess;
  }
  const Command* command = nullptr;
  std::string names;
  for (const auto& row : commands()) {
    if (row.name == name) command = &row;
    names += (names.empty() ? "" : ", ") + std::string(row.name);
  }
  if (!command) {
    std::cerr << "tpbench: unknown command '" << one_line(name) << "' (commands: " << names
              << ")\n";
    return kExitUsage;
  }
  invocation.args.assign(argv + 2, argv + argc);
  try {
    return command->run(invocation);
  } catch (const UsageError& e) {
    std::cerr << "tpbench " << name << ": " << one_line(e.what()) << '\n';
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "tpbench " << name << ": error: " << one_line(e.what()) << '\n';
    return kExitUsage;
  }
}
