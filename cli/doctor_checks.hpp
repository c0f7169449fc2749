// The doctor's checks: what on this machine makes benchmark results noisy or untrustworthy, each
// with what to do about it. `tpbench doctor` prints them; `tpbench run` embeds them in the run
// record so a reader of the JSON sees the same warnings.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tpb/record.hpp>

namespace tpb::cli {

struct Finding {
  // ok: nothing to do. info: worth knowing, rarely decisive. warning: results from this machine
  // are noisy or not comparable until it is fixed (`doctor --strict` exits 3).
  enum class Severity { ok, info, warning };
  std::string check;  // short name: "governor", "virtualisation", ...
  Severity severity = Severity::ok;
  std::string observed;  // what was found, with numbers
  std::string fix;       // what to do; empty when nothing
};
const char* to_string(Finding::Severity severity);

// Runs every check; takes about 60 ms (most of it the cross-CPU wake-up measurement).
std::vector<Finding> run_doctor_checks();

// The findings as the run record holds them; `doctor --json` writes the same shape.
std::vector<report::DoctorFinding> to_record(const std::vector<Finding>& findings);
nlohmann::json to_json(const std::vector<Finding>& findings);

}  // namespace tpb::cli
