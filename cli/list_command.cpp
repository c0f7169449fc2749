// tpbench list: the backends of the registry table and the suites of the bench library.
#include <iostream>

#include <fmt/format.h>

#include <tpb/bench.hpp>

#include "command.hpp"
#include "describe.hpp"
#include "options.hpp"

namespace tpb::cli {
namespace {

std::string capabilities_line(const Capabilities& c) {
  std::string out = fmt::format("priority {}", to_string(c.priority));
  const auto add = [&out](bool on, const char* what) {
    if (on) out += fmt::format(", {}", what);
  };
  add(c.affinity, "affinity");
  add(c.unpinned_window, "unpinned window");
  add(c.per_cpu_limit, "per-CPU limit");
  add(c.termination, "termination");
  add(c.reuses_host_threads, "reuses host threads");
  add(c.names_host_threads, "names host threads");
  return out;
}

}  // namespace

int run_list(const Invocation& invocation) {
  po::options_description options = option_table();
  options.add_options()("json", flag(), "print JSON instead of text");
  po::variables_map values;
  if (!parse_options(invocation,
                     {"list", "[--json]",
                      "Lists the backends (name, summary, capabilities) and the "
                      "benchmark suites with their cases."},
                     options, values))
    return kExitSuccess;

  if (values["json"].as<bool>()) {
    std::cout << nlohmann::json{{"backends", backends_json()}, {"suites", suites_json()}}.dump(2)
              << '\n';
    return kExitSuccess;
  }
  std::cout << "Backends\n";
  for (const auto& entry : backend_registry()) {
    std::cout << fmt::format("  {:<12} {}\n  {:<12} {}\n", entry.name, entry.summary, "",
                             capabilities_line(entry.capabilities));
    for (const auto& v : entry.variants)
      std::cout << fmt::format("  {:<12} variant {}:{}\n", "", v.key, v.value);
  }
  std::cout << "\nSuites\n";
  for (const auto& suite : bench::suites()) {
    std::cout << fmt::format("  {:<12} {}\n", suite.name, suite.summary);
    for (const auto& c : suite.cases)
      std::cout << fmt::format("  {:<12}   {}/{}\n", "", suite.name, c);
  }
  return kExitSuccess;
}

}  // namespace tpb::cli
