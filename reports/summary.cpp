// The short table printed after every run, from the same results the reports rank
// (report/results.hpp): per suite and case, backends ranked by their median with vs_ref (the ratio
// to the raw reference measured beside the benchmark, `ref_p50_ns`, else to the reference measured
// in the same scenario, else the benchmark's own vs_ref counter), then
// the inversion runs. A case measured in several scenarios (placements, priorities) shows the
// geometric mean over the scenarios all its backends measured, which keeps rows and ratios
// comparable.
// Inversion lines rank, per protocol, by how they stand against the verdict the protocol is
// expected to produce (results.hpp: expected_verdict, Standing), then by high's wait. A line meets
// it when its threads ran at their host priorities and its verdict is the expected one: unbounded
// for `none` (the unprotected lock shows the inversion), bounded for `inherit` and `ceiling`. Then
// come the misses (mixed before the opposite verdict), marked "(expected V)"; then the lines whose
// threads did not run at their host priorities, marked "(host priorities not applied)", whatever
// their verdict, since it shows the backend rather than the protocol: such a line never ranks
// above one that met its verdict; failed runs last. Each line shows vs_ref (high's wait over the
// raw-pthread reference's with the same protocol). Skipped cases are counted once per reason.
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
    // The header names each protocol's expected verdict, so a reader sees what the order means.
    std::vector<std::string> protocols;
    std::string expectations;
    for (const InversionRow& row : inversion) {
      if (std::find(protocols.begin(), protocols.end(), row.protocol) != protocols.end()) continue;
      protocols.push_back(row.protocol);
      const auto expected = expected_verdict(row.protocol);
      expectations += fmt::format("{}{} {}", expectations.empty() ? "" : ", ", row.protocol,
                                  expected ? to_string(*expected) : std::string("?"));
    }
    out += fmt::format("inversion (high's wait; the expected verdict first: {})\n", expectations);
    for (const InversionRow& row : inversion)
      out += fmt::format("  {:<8} {:<24} {:<10} {:>11}  vs_ref {:>6}{}\n", row.protocol,
                         row.backend, to_string(row.verdict),
                         row.high_wait_ns ? format_ns(*row.high_wait_ns) : std::string("-"),
                         row.vs_ref ? fmt::format("{:.2f}", *row.vs_ref) : std::string("-"),
                         standing_note(row).empty() ? "" : "  (" + standing_note(row) + ")");
  }
  std::size_t failed = 0;
  std::string first_error;
  for (const Result& r : results) {
    if (r.failed == 0) continue;
    ++failed;
    if (first_error.empty()) first_error = r.run_name + ": " + r.error.value_or("error");
  }
  out += skipped_summary(record.tpbench.skipped);
  constexpr std::size_t kMaxMessage = 160;
  if (first_error.size() > kMaxMessage) first_error = first_error.substr(0, kMaxMessage) + "...";
  if (failed > 0)
    out += fmt::format("{} benchmark{} reported an error; first: {}\n", failed,
                       failed == 1 ? "" : "s", first_error);
  return out;
}

std::string skipped_summary(const std::vector<SkippedCase>& skipped) {
  // Once per reason, in first-seen order: a missing right skips many cases for one cause.
  std::vector<std::pair<std::string, std::size_t>> reasons;
  for (const SkippedCase& s : skipped) {
    auto it = std::find_if(reasons.begin(), reasons.end(),
                           [&](const auto& r) { return r.first == s.reason; });
    if (it == reasons.end())
      reasons.emplace_back(s.reason, 1);
    else
      ++it->second;
  }
  std::string out;
  for (const auto& [reason, count] : reasons)
    out += fmt::format("{} case{} skipped: {}\n", count, count == 1 ? "" : "s", reason);
  return out;
}

}  // namespace tpb::report
