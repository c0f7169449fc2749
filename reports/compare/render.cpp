// A comparison as a console table, Markdown, JUnit XML and JSON. Only fmt's locale-independent
// formatting is used, so the same comparison gives the same bytes on any machine.
#include <cmath>
#include <iterator>

#include <fmt/format.h>
#include <tpb/compare.hpp>

#include "markup.hpp"

namespace tpb::compare {
namespace {

using report::xml_escape;

std::string percent(double relative) {
  if (std::isinf(relative)) return relative > 0 ? "+inf" : "-inf";
  return fmt::format("{:+.1f}%", relative * 100);
}

std::string interval(const Shift& change) {
  if (std::isinf(change.low) || std::isinf(change.high)) return "(unbounded)";
  return fmt::format("[{}, {}]", percent(change.low), percent(change.high));
}

std::string nanoseconds(double ns) {
  if (!std::isfinite(ns) || ns == 0) return "-";
  // The unit is chosen after rounding to three digits: 999.7 us is 1 ms, never "1e+03 us".
  constexpr const char* kUnits[] = {"ns", "us", "ms", "s"};
  std::size_t unit = 0;
  for (double v = std::abs(ns); unit + 1 < std::size(kUnits) && v >= 999.5; v /= 1e3) ++unit;
  return fmt::format("{:.3g} {}", ns / std::pow(1e3, static_cast<double>(unit)), kUnits[unit]);
}

bool judged(const BenchmarkVerdict& b) {
  return b.verdict != Verdict::kTooNoisy && b.verdict != Verdict::kInvalid;
}

std::string summary_line(const Comparison& c) {
  return fmt::format(
      "{} benchmarks: {} regression(s), {} improvement(s), {} unchanged, {} too noisy, {} "
      "invalid (threshold {:.1f}%, alpha {} family-wise, Holm)",
      c.benchmarks.size(), c.count(Verdict::kRegression), c.count(Verdict::kImprovement),
      c.count(Verdict::kUnchanged), c.count(Verdict::kTooNoisy), c.count(Verdict::kInvalid),
      c.options.threshold * 100, c.options.alpha);
}

// Verdicts that need attention first, then by name (the input order).
std::vector<const BenchmarkVerdict*> by_importance(const Comparison& c) {
  std::vector<const BenchmarkVerdict*> rows;
  for (const auto order : {Verdict::kRegression, Verdict::kInvalid, Verdict::kTooNoisy,
                           Verdict::kImprovement, Verdict::kUnchanged})
    for (const auto& b : c.benchmarks)
      if (b.verdict == order) rows.push_back(&b);
  return rows;
}

nlohmann::json finite_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

std::string console_table(const Comparison& c) {
  std::size_t width = 9;
  for (const auto& b : c.benchmarks) width = std::max(width, b.name.size());
  std::string out = fmt::format("{:<{}}  {:>10}  {:>10}  {:>8}  {:>18}  {:>8}  {}\n", "benchmark",
                                width, "base", "new", "change", "interval", "Holm p", "verdict");
  for (const auto* b : by_importance(c)) {
    out += fmt::format(
        "{:<{}}  {:>10}  {:>10}  {:>8}  {:>18}  {:>8}  {}", b->name, width,
        nanoseconds(b->base_median), nanoseconds(b->new_median),
        judged(*b) || b->verdict == Verdict::kTooNoisy ? percent(b->change.estimate) : "-",
        judged(*b) ? interval(b->change) : "-",
        judged(*b) ? fmt::format("{:.2g}", b->p_adjusted) : "-", verdict_name(b->verdict));
    if (!judged(*b)) out += ": " + b->reason;
    out += '\n';
  }
  out += summary_line(c) + '\n';
  return out;
}

std::string markdown_report(const Comparison& c, std::size_t max_bytes) {
  const std::string head = fmt::format(
      "## tpbench compare\n\n{}\n\n"
      "| verdict | benchmark | base | new | change | interval | Holm p | note |\n"
      "|---|---|---:|---:|---:|---|---:|---|\n",
      summary_line(c));
  const auto rows = by_importance(c);
  std::string body;
  std::size_t shown = 0;
  // Room kept for the truncation line.
  const std::size_t budget = max_bytes > head.size() + 200 ? max_bytes - head.size() - 200 : 0;
  for (const auto* b : rows) {
    std::string name = b->name;
    for (char& ch : name)
      if (ch == '|') ch = '/';
    const std::string row = fmt::format(
        "| {} | `{}` | {} | {} | {} | {} | {} | {} |\n", verdict_name(b->verdict), name,
        nanoseconds(b->base_median), nanoseconds(b->new_median),
        b->verdict == Verdict::kInvalid ? "-" : percent(b->change.estimate),
        judged(*b) ? interval(b->change) : "-",
        judged(*b) ? fmt::format("{:.2g}", b->p_adjusted) : "-", judged(*b) ? "" : b->reason);
    if (body.size() + row.size() > budget) break;
    body += row;
    ++shown;
  }
  std::string out = head + body;
  if (shown < rows.size())
    out += fmt::format(
        "\n*Truncated to stay under {} bytes: {} of {} rows shown (regressions, invalid and "
        "too-noisy rows first); the JSON or JUnit output has every row.*\n",
        max_bytes, shown, rows.size());
  return out;
}

std::string junit_report(const Comparison& c) {
  std::string cases;
  for (const auto& b : c.benchmarks) {
    cases += fmt::format("    <testcase classname=\"tpbench.compare\" name=\"{}\" time=\"0\"",
                         xml_escape(b.name));
    const std::string message = xml_escape(b.reason);
    switch (b.verdict) {
      case Verdict::kRegression:
        cases += fmt::format(
            ">\n      <failure message=\"{}\" type=\"regression\"/>\n"
            "    </testcase>\n",
            message);
        break;
      case Verdict::kTooNoisy:
        cases += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", message);
        break;
      case Verdict::kInvalid:
        cases += fmt::format(
            ">\n      <error message=\"{}\" type=\"invalid\"/>\n"
            "    </testcase>\n",
            message);
        break;
      default:
        cases += "/>\n";
    }
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites>\n"
      "  <testsuite name=\"tpbench.compare\" tests=\"{}\" failures=\"{}\" errors=\"{}\" "
      "skipped=\"{}\" time=\"0\">\n{}  </testsuite>\n</testsuites>\n",
      c.benchmarks.size(), c.count(Verdict::kRegression), c.count(Verdict::kInvalid),
      c.count(Verdict::kTooNoisy), cases);
}

nlohmann::json json_report(const Comparison& c) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& b : c.benchmarks) {
    rows.push_back({
        {"name", b.name},
        {"verdict", verdict_name(b.verdict)},
        {"reason", b.reason},
        {"metric", b.metric},
        {"lower_is_better", b.direction == Direction::kLowerIsBetter},
        {"base_repetitions", b.base_count},
        {"new_repetitions", b.new_count},
        {"base_median", finite_or_null(b.base_median)},
        {"new_median", finite_or_null(b.new_median)},
        {"change", finite_or_null(b.change.estimate)},
        {"change_low", finite_or_null(b.change.low)},
        {"change_high", finite_or_null(b.change.high)},
        {"p_value", b.p_value},
        {"p_holm", b.p_adjusted},
    });
  }
  return {
      {"threshold", c.options.threshold},
      {"alpha", c.options.alpha},
      {"correction", "holm"},
      {"counts",
       {{"regression", c.count(Verdict::kRegression)},
        {"improvement", c.count(Verdict::kImprovement)},
        {"unchanged", c.count(Verdict::kUnchanged)},
        {"too_noisy", c.count(Verdict::kTooNoisy)},
        {"invalid", c.count(Verdict::kInvalid)}}},
      {"benchmarks", rows},
  };
}

}  // namespace tpb::compare
