#include "command.hpp"

namespace tpb::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"list", "backends (name, summary, capabilities) and suites with their cases", &run_list},
      {"topology", "the machine as hwloc sees it, and the placements it offers", &run_topology},
      {"doctor", "what makes results noisy or untrustworthy here, with the fix", &run_doctor},
      {"run", "run benchmarks and write the JSON run record", &run_run},
      {"compare", "compare two run records: regressions, improvements, too noisy", &run_compare},
      {"gate", "run, compare with a baseline or the history, re-run suspects; fail on regression",
       &run_gate},
      {"history", "series and change points in the run history; `history import` adds records",
       &run_history},
      {"report", "render a run record as HTML (charts), Markdown and CSV", &run_report},
  };
  return table;
}

}  // namespace tpb::cli
