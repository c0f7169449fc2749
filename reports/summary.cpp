// The short table printed after every run, from the same results the reports rank
// (report/results.hpp): per suite and case, backends ranked by their median with vs_ref (the ratio
// to the reference measured in the same scenario), and the inversion runs by verdict first, each
// with its vs_ref too (high's wait over the raw-pthread reference's, same protocol). A case
// measured in several scenarios (placements, priorities) shows the geometric mean over the
// scenarios all its backends measured, which keeps rows and ratios comparable. An inversion line
// whose threads did not run at their host priorities is marked; skipped cases are counted once per
// reason.
#include <tpb/report.hpp>

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "results.hpp"

namespace tpb::report {

std::string summary_table(const RunRecord& record, const SummaryOptions& options) {
  const std::vector<Result> results = collect_results(record, options.variant_keys);
  std::string out;
  const std::vector<CaseRanking> rankings = rank_cases(results);
  const std::vector<InversionRow> inversion = inversion_rows(results);
  if (rankings.empty() && inversion.empty()) out += "No benchmark produced a measurement.\n";
  for (const CaseRanking& c : rankings) {
    out += fmt::format("{}/{}\n", c.suite, c.kase);
    int rank = 0;
    for (const RankingRow& row : c.rows)
      out += fmt::format(
          "  {:>2}. {:<24} {:>11}  vs_ref {:>6}{}\n", ++rank, row.backend, format_ns(row.median_ns),
          row.vs_ref ? fmt::format("{:.2f}", *row.vs_ref) : std::string("-"),
          row.scenarios > 1 ? fmt::format("  ({} scenarios)", row.scenarios) : std::string());
  }
  if (!inversion.empty()) {
    out += "inversion (high's wait, by verdict)\n";
    // A backend whose threads did not run at their host priorities says so on its line: its
    // verdict shows the backend, not the protocol.
    for (const InversionRow& row : inversion)
      out += fmt::format("  {:<8} {:<24} {:<10} {:>11}  vs_ref {:>6}{}\n", row.protocol,
                         row.backend, to_string(row.verdict),
                         row.high_wait_ns ? format_ns(*row.high_wait_ns) : std::string("-"),
                         row.vs_ref ? fmt::format("{:.2f}", *row.vs_ref) : std::string("-"),
                         row.verdict != Verdict::failed && !row.priority_applied
                             ? "  (host priorities not applied)"
                             : "");
  }
  std::size_t failed = 0;
  std::string first_error;
  for (const Result& r : results) {
    if (r.failed == 0) continue;
    ++failed;
    if (first_error.empty()) first_error = r.run_name + ": " + r.error.value_or("error");
  }
  // Cases left out, once per reason: a missing right skips many cases for one cause.
  std::vector<std::pair<std::string, std::size_t>> reasons;  // first-seen order
  for (const SkippedCase& s : record.tpbench.skipped) {
    auto it = std::find_if(reasons.begin(), reasons.end(),
                           [&](const auto& r) { return r.first == s.reason; });
    if (it == reasons.end())
      reasons.emplace_back(s.reason, 1);
    else
      ++it->second;
  }
  for (const auto& [reason, count] : reasons)
    out += fmt::format("{} case{} skipped: {}\n", count, count == 1 ? "" : "s", reason);
  constexpr std::size_t kMaxMessage = 160;
  if (first_error.size() > kMaxMessage) first_error = first_error.substr(0, kMaxMessage) + "...";
  if (failed > 0)
    out += fmt::format("{} benchmark{} reported an error; first: {}\n", failed,
                       failed == 1 ? "" : "s", first_error);
  return out;
}

}  // namespace tpb::report
