#include "report_text.hpp"

#include <set>

#include <fmt/format.h>

namespace tpb::report {

std::string run_line(const RunRecord& record) {
  const auto& t = record.tpbench;
  std::set<std::string> unique;
  for (const auto& e : record.benchmarks) unique.insert(e.run_name);
  const std::string revision = t.git_revision ? " (" + t.git_revision->substr(0, 7) + ")" : "";
  return fmt::format("{} on {}: tpbench {}{}, {} benchmarks x {} repetitions{}{}",
                     record.context.date, record.context.host_name, t.version, revision,
                     unique.size(), t.options.repetitions, t.options.quick ? " (quick)" : "",
                     t.partial ? "; interrupted, partial results" : "");
}

std::string machine_line(const RunRecord& record) {
  const auto& t = record.tpbench;
  std::string virt = "bare metal";
  if (t.virtualisation.virtualised) {
    virt = t.virtualisation.vm ? *t.virtualisation.vm + " VM" : std::string("virtualised");
    if (t.virtualisation.container) virt += " in " + *t.virtualisation.container;
  } else if (t.virtualisation.container) {
    virt = "container " + *t.virtualisation.container;
  }
  const std::string kernel =
      t.kernel ? t.kernel->sysname + " " + t.kernel->release : std::string("kernel unknown");
  return fmt::format("{}{}; {}; {}; {}", t.cpu_model ? *t.cpu_model + ", " : "", t.topology.summary,
                     kernel, virt,
                     t.rt.permitted ? "SCHED_FIFO permitted" : "SCHED_FIFO not permitted");
}

std::vector<std::string> warning_lines(const RunRecord& record,
                                       const std::vector<Result>& results) {
  std::vector<std::string> out;
  if (record.tpbench.partial) out.push_back("the run was interrupted: partial results");
  for (const auto& f : record.tpbench.doctor)
    if (f.severity == "warning")
      out.push_back(fmt::format("doctor, {}: {}{}", f.check, f.observed,
                                f.fix ? " (fix: " + *f.fix + ")" : ""));
  constexpr std::size_t kMaxMessage = 240;  // the record keeps the whole message
  for (const Result& r : results) {
    if (r.failed == 0) continue;
    std::string error = r.error.value_or("error");
    if (error.size() > kMaxMessage) error = error.substr(0, kMaxMessage) + "...";
    out.push_back(fmt::format("{} failed in {} of {} repetitions: {}", r.run_name, r.failed,
                              r.failed + r.repetitions, error));
  }
  return out;
}

}  // namespace tpb::report
