// tpbench doctor: the checks of doctor_checks.cpp, as text or JSON. --strict makes any standing
// warning exit 3, so CI can refuse to trust numbers from a noisy machine.
#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "command.hpp"
#include "doctor_checks.hpp"
#include "options.hpp"

namespace tpb::cli {

int run_doctor(const Invocation& invocation) {
  po::options_description options = option_table();
  options.add_options()                               //
      ("json", flag(), "print JSON instead of text")  //
      ("strict", flag(), "exit 3 when any warning stands");
  po::variables_map values;
  if (!parse_options(invocation,
                     {"doctor", "[--json] [--strict]",
                      "Checks what makes benchmark results noisy or untrustworthy "
                      "on this machine, and says what to do about each."},
                     options, values))
    return kExitSuccess;

  const auto findings = run_doctor_checks();
  const auto warnings = std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Finding::Severity::warning;
  });
  const bool strict = values["strict"].as<bool>();
  if (values["json"].as<bool>()) {
    std::cout << nlohmann::json{{"warnings", warnings}, {"findings", to_json(findings)}}.dump(2)
              << '\n';
  } else {
    for (const auto& f : findings) {
      std::cout << fmt::format("[{:<7}] {:<15} {}\n", to_string(f.severity), f.check, f.observed);
      if (!f.fix.empty() && f.severity != Finding::Severity::ok)
        std::cout << fmt::format("{:<10}{:<16}fix: {}\n", "", "", f.fix);
    }
    std::cout << fmt::format(
        "\n{} warning{}{}\n", warnings, warnings == 1 ? "" : "s",
        strict && warnings > 0 ? ": results here cannot be trusted (--strict)" : "");
  }
  return strict && warnings > 0 ? kExitUntrusted : kExitSuccess;
}

}  // namespace tpb::cli
