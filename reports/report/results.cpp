#include "results.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace tpb::report {
namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::optional<double> geomean(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  double log_sum = 0;
  for (double v : values) {
    if (!(v > 0)) return std::nullopt;
    log_sum += std::log(v);
  }
  return std::exp(log_sum / static_cast<double>(values.size()));
}

double to_ns(double value, const std::string& unit) {
  if (unit == "us") return value * 1e3;
  if (unit == "ms") return value * 1e6;
  if (unit == "s") return value * 1e9;
  return value;
}

// `value` (a benchmark's median, or high's wait) over the raw reference it compares with: the raw
// samples the benchmark measured beside its own (`ref_p50_ns`), else the reference row of its
// scenario in `reference`, else the benchmark's own vs_ref counter (a case compared elsewhere).
std::optional<double> ratio_to_reference(double value, const Result& r,
                                         const std::map<std::string, double>& reference) {
  if (const auto paired = r.counter("ref_p50_ns"); paired && *paired > 0) return value / *paired;
  if (const auto ref = reference.find(r.scenario); ref != reference.end())
    return ref->second > 0 ? std::optional<double>(value / ref->second) : std::nullopt;
  return r.counter("vs_ref");
}

std::set<std::string> variant_keys(const RunRecord& record, const std::vector<std::string>& extra) {
  // "wait" tells the creation reference's two round trips apart (join, and signal).
  std::set<std::string> keys(extra.begin(), extra.end());
  keys.insert("wait");
  for (const auto& backend : record.tpbench.backends)
    for (const auto& variant : backend.variants) keys.insert(variant.key);
  return keys;
}

}  // namespace

std::optional<double> Result::counter(const std::string& key) const {
  const auto it = counters.find(key);
  if (it == counters.end() || !std::isfinite(it->second)) return std::nullopt;
  return it->second;
}

std::vector<Result> collect_results(const RunRecord& record,
                                    const std::vector<std::string>& extra_variant_keys) {
  const std::set<std::string> variants = variant_keys(record, extra_variant_keys);
  std::vector<Result> results;
  std::map<std::string, std::size_t> index;
  std::map<std::string, std::map<std::string, std::vector<double>>> counters;
  std::map<std::string, std::vector<double>> values;
  for (const auto& entry : record.benchmarks) {
    if (entry.run_type != "iteration") continue;
    auto [it, inserted] = index.try_emplace(entry.run_name, results.size());
    if (inserted) {
      Result r;
      r.run_name = entry.run_name;
      r.name = parse_benchmark_name(entry.run_name);
      std::string variant_text;
      for (const auto& [key, value] : r.name.segments) {
        if (key == "backend") {
          r.backend = value;
        } else if (variants.count(key)) {
          variant_text.append(" ").append(key).append(":").append(value);
        } else if (!is_runner_segment(key)) {
          r.scenario.append(r.scenario.empty() ? "" : "/").append(key).append(":").append(value);
        }
      }
      if (r.backend.empty()) r.backend = "-";
      r.backend += variant_text;
      results.push_back(std::move(r));
    }
    Result& r = results[it->second];
    if (entry.error_occurred) {
      ++r.failed;
      if (!r.error) r.error = entry.error_message.value_or("error");
      continue;
    }
    ++r.repetitions;
    if (!r.label && entry.label && !entry.label->empty()) r.label = entry.label;
    for (const auto& [key, value] : entry.counters)
      if (std::isfinite(value)) counters[entry.run_name][key].push_back(value);
    if (const auto p50 = entry.counters.find("p50_ns");
        p50 != entry.counters.end() && std::isfinite(p50->second))
      values[entry.run_name].push_back(p50->second);
    else
      values[entry.run_name].push_back(to_ns(entry.real_time, entry.time_unit));
  }
  for (Result& r : results) {
    for (const auto& [key, list] : counters[r.run_name]) r.counters[key] = median(list);
    if (const auto v = values.find(r.run_name); v != values.end() && !v->second.empty())
      r.value_ns = median(v->second);
  }
  return results;
}

std::vector<CaseRanking> rank_cases(const std::vector<Result>& results) {
  // suite/case -> backend -> results (one per scenario)
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::vector<const Result*>>>
      cases;
  std::vector<std::pair<std::string, std::string>> order;
  for (const Result& r : results) {
    if (r.name.suite == "inversion" || !r.value_ns) continue;
    const auto key = std::make_pair(r.name.suite, r.name.kase);
    if (!cases.count(key)) order.push_back(key);
    cases[key][r.backend].push_back(&r);
  }
  std::vector<CaseRanking> out;
  for (const auto& key : order) {
    const auto& backends = cases[key];
    std::optional<std::set<std::string>> common;
    for (const auto& [backend, list] : backends) {
      std::set<std::string> mine;
      for (const Result* r : list) mine.insert(r->scenario);
      if (!common) {
        common = std::move(mine);
      } else {
        std::set<std::string> both;
        for (const auto& s : *common)
          if (mine.count(s)) both.insert(s);
        common = std::move(both);
      }
    }
    // vs_ref (ratio_to_reference): the reference rows by scenario.
    std::map<std::string, double> reference;
    if (const auto ref = backends.find("reference"); ref != backends.end())
      for (const Result* r : ref->second) reference[r->scenario] = *r->value_ns;
    CaseRanking ranking{key.first, key.second, {}};
    for (const auto& [backend, list] : backends) {
      std::vector<double> medians, ratios, p90, p99, max;
      for (const Result* r : list) {
        if (!common->empty() && !common->count(r->scenario)) continue;
        medians.push_back(*r->value_ns);
        if (const auto ratio = ratio_to_reference(*r->value_ns, *r, reference))
          ratios.push_back(*ratio);
        if (auto v = r->counter("p90_ns")) p90.push_back(*v);
        if (auto v = r->counter("p99_ns")) p99.push_back(*v);
        if (auto v = r->counter("max_ns")) max.push_back(*v);
      }
      const auto m = geomean(medians);
      if (!m) continue;
      RankingRow row{backend,      *m,           1,           std::nullopt, medians.size(),
                     std::nullopt, std::nullopt, std::nullopt};
      if (ratios.size() == medians.size()) row.vs_ref = geomean(ratios);
      if (p90.size() == medians.size()) row.p90_ns = geomean(p90);
      if (p99.size() == medians.size()) row.p99_ns = geomean(p99);
      if (max.size() == medians.size()) row.max_ns = geomean(max);
      ranking.rows.push_back(row);
    }
    std::stable_sort(
        ranking.rows.begin(), ranking.rows.end(),
        [](const RankingRow& a, const RankingRow& b) { return a.median_ns < b.median_ns; });
    if (!ranking.rows.empty())
      for (auto& row : ranking.rows) row.vs_best = row.median_ns / ranking.rows.front().median_ns;
    out.push_back(std::move(ranking));
  }
  return out;
}

std::string to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::bounded:
      return "bounded";
    case Verdict::mixed:
      return "mixed";
    case Verdict::unbounded:
      return "unbounded";
    case Verdict::failed:
      break;
  }
  return "failed";
}

std::optional<Verdict> expected_verdict(const std::string& protocol) {
  if (protocol == "none") return Verdict::unbounded;
  if (protocol == "inherit" || protocol == "ceiling") return Verdict::bounded;
  return std::nullopt;
}

std::string to_string(Standing standing) {
  switch (standing) {
    case Standing::met:
      return "met";
    case Standing::missed:
      return "missed";
    case Standing::unjudged:
      return "unjudged";
    case Standing::failed:
      break;
  }
  return "failed";
}

std::string standing_note(const InversionRow& row) {
  switch (row.standing) {
    case Standing::missed: {
      const auto expected = expected_verdict(row.protocol);
      return expected ? "expected " + to_string(*expected) : "no verdict expected of this protocol";
    }
    case Standing::unjudged:
      return "host priorities not applied";
    case Standing::met:
    case Standing::failed:
      break;
  }
  return {};
}

std::string standing_text(const InversionRow& row) {
  const std::string note = standing_note(row);
  return note.empty() ? to_string(row.standing) : to_string(row.standing) + " (" + note + ")";
}

std::vector<InversionRow> inversion_rows(const std::vector<Result>& results) {
  std::vector<InversionRow> rows;
  std::vector<std::string> protocols;
  // vs_ref as rank_cases computes it (ratio_to_reference): over the reference's wait in the same
  // scenario (protocol and placement).
  std::map<std::string, double> reference;
  for (const Result& r : results)
    if (r.name.suite == "inversion" && r.backend == "reference" && r.repetitions > 0)
      if (const auto wait = r.counter("high_wait_p50_ns")) reference[r.scenario] = *wait;
  for (const Result& r : results) {
    if (r.name.suite != "inversion") continue;
    InversionRow row;
    row.protocol = r.name.value("protocol");
    row.backend = r.backend;
    row.placement = r.name.value("placement");
    row.high_wait_ns = r.counter("high_wait_p50_ns");
    row.critical_section_ns = r.counter("critical_section_ns");
    row.medium_spin_ns = r.counter("medium_spin_ns");
    row.priority_applied = r.counter("priority_applied").value_or(0) > 0.5;
    if (r.repetitions == 0 || !row.high_wait_ns) {
      row.verdict = Verdict::failed;
      row.detail = r.error.value_or("no measurement");
    } else {
      // Medians over repetitions: a fraction 1 means every clean run of most repetitions agreed.
      const double bounded = r.counter("bounded").value_or(0);
      const double unbounded = r.counter("unbounded").value_or(0);
      row.verdict = bounded >= 1     ? Verdict::bounded
                    : unbounded >= 1 ? Verdict::unbounded
                                     : Verdict::mixed;
      row.vs_ref = ratio_to_reference(*row.high_wait_ns, r, reference);
      row.standing = !row.priority_applied                           ? Standing::unjudged
                     : row.verdict == expected_verdict(row.protocol) ? Standing::met
                                                                     : Standing::missed;
      row.detail = r.label.value_or("");
      if (r.failed > 0)
        row.detail += fmt::format("{}{} of {} repetitions failed", row.detail.empty() ? "" : "; ",
                                  r.failed, r.failed + r.repetitions);
    }
    if (std::find(protocols.begin(), protocols.end(), row.protocol) == protocols.end())
      protocols.push_back(row.protocol);
    rows.push_back(std::move(row));
  }
  auto protocol_rank = [&](const std::string& p) {
    return std::find(protocols.begin(), protocols.end(), p) - protocols.begin();
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const InversionRow& a, const InversionRow& b) {
    if (a.protocol != b.protocol) return protocol_rank(a.protocol) < protocol_rank(b.protocol);
    if (a.standing != b.standing) return a.standing < b.standing;
    // Among misses, a mixed verdict is nearer the expected one than the opposite verdict.
    if (a.standing == Standing::missed &&
        (a.verdict == Verdict::mixed) != (b.verdict == Verdict::mixed))
      return a.verdict == Verdict::mixed;
    return a.high_wait_ns.value_or(INFINITY) < b.high_wait_ns.value_or(INFINITY);
  });
  return rows;
}

std::string format_ns(double ns) {
  if (!std::isfinite(ns)) return "-";
  if (ns < 1e3) return fmt::format("{:.1f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.2f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

}  // namespace tpb::report
