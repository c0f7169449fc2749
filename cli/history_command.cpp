// tpbench history: each benchmark's series in the history store, with the change points the
// detector (tpb/compare.hpp, E-divisive means) finds in it, each named by the first run after
// the step, its revision, the step's size and the permutation test's confidence. The change
// points found are stored back. `tpbench history import RUN.json...` appends existing records.
#include <iostream>
#include <regex>

#include <fmt/format.h>

#include <tpb/compare.hpp>
#include <tpb/history.hpp>
#include <tpb/report.hpp>

#include "command.hpp"
#include "history_io.hpp"
#include "history_machines.hpp"
#include "history_stores.hpp"
#include "options.hpp"
#include "output_file.hpp"

namespace tpb::cli {
namespace {

struct SeriesReport {
  const history::Series* series;
  std::vector<double> values;  // per run, the median of its repetitions
  std::vector<compare::DetectedChange> changes;
};

std::string short_revision(const std::string& revision) {
  return revision.empty() ? "(no revision)" : revision.substr(0, 12);
}

nlohmann::json to_json(const std::vector<SeriesReport>& reports) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : reports) {
    nlohmann::json runs = nlohmann::json::array();
    for (std::size_t i = 0; i < r.series->points.size(); ++i) {
      const auto& point = r.series->points[i];
      runs.push_back({{"run_id", point.run.run_id},
                      {"revision", point.run.revision},
                      {"branch", point.run.branch},
                      {"time", point.run.time},
                      {"values", point.values},
                      {"median", r.values[i]}});
    }
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& c : r.changes) {
      const auto& run = r.series->points[c.index].run;
      changes.push_back({{"run_id", run.run_id},
                         {"revision", run.revision},
                         {"time", run.time},
                         {"index", c.index},
                         {"step", c.step},
                         {"p_value", c.p_value},
                         {"confidence", 1.0 - c.p_value}});
    }
    out.push_back({{"benchmark", r.series->benchmark},
                   {"fingerprint", r.series->fingerprint},
                   {"runs", runs},
                   {"change_points", changes}});
  }
  return {{"series", out}};
}

std::string change_line(const SeriesReport& r, const compare::DetectedChange& c) {
  const auto& run = r.series->points[c.index].run;
  return fmt::format("step {:+.1f}% at run {} of {} ({}, revision {}, {}), confidence {:.1f}%",
                     c.step * 100, c.index + 1, r.values.size(), run.run_id.substr(0, 16),
                     short_revision(run.revision), run.time, (1.0 - c.p_value) * 100);
}

std::string text_report(const std::vector<SeriesReport>& reports) {
  std::string out;
  constexpr std::size_t kShownRuns = 20;
  for (const auto& r : reports) {
    out += fmt::format("{}  [machine {}]  {} run(s)\n", r.series->benchmark, r.series->fingerprint,
                       r.values.size());
    const std::size_t first = r.values.size() > kShownRuns ? r.values.size() - kShownRuns : 0;
    if (first > 0) out += fmt::format("  ... {} earlier run(s)\n", first);
    for (std::size_t i = first; i < r.values.size(); ++i) {
      const auto& run = r.series->points[i].run;
      out += fmt::format("  {:>4}  {}  {:<12}  {:<16}  {:>12.1f} ns\n", i + 1, run.time,
                         short_revision(run.revision), run.run_id.substr(0, 16), r.values[i]);
    }
    for (const auto& c : r.changes) out += "  change point: " + change_line(r, c) + '\n';
  }
  if (reports.empty()) out += "no runs in the history match\n";
  return out;
}

std::string markdown(const std::vector<SeriesReport>& reports) {
  std::string out = "## tpbench history\n\n| benchmark | runs | change points |\n|---|---:|---|\n";
  for (const auto& r : reports) {
    std::string changes;
    for (const auto& c : r.changes) changes += (changes.empty() ? "" : "<br>") + change_line(r, c);
    out += fmt::format("| `{}` | {} | {} |\n", r.series->benchmark, r.values.size(),
                       changes.empty() ? "none" : changes);
  }
  return out;
}

int run_import(const Invocation& invocation) {
  po::options_description options = option_table();
  add_history_options(options);
  options.add_options()("records", po::value<std::vector<std::string>>()->multitoken(),
                        "RUN.json... (the arguments)");
  po::positional_options_description positional;
  positional.add("records", -1);
  po::variables_map values;
  Invocation rest = invocation;
  rest.args.erase(rest.args.begin());
  if (!parse_options(rest,
                     {"history import", "RUN.json... [--db FILE] [--branch NAME]",
                      "Adds existing run records to the history (a record already there is "
                      "stored once)."},
                     options, values, positional))
    return kExitSuccess;
  if (!values.count("records")) throw UsageError("import: name at least one RUN.json");
  // Every record is read before the store is opened, so bad input leaves no database behind.
  std::vector<std::pair<std::string, report::RunRecord>> records;
  for (const auto& path : values["records"].as<std::vector<std::string>>()) {
    try {
      records.emplace_back(path, report::load_record(path));
    } catch (const report::RecordError& e) {
      throw UsageError(e.what());
    }
  }
  auto store = open_history(values);
  const std::string branch = current_branch(values["branch"].as<std::string>());
  for (const auto& [path, record] : records) {
    const bool added = append_record(*store, record, path, branch);
    std::cout << fmt::format("{}: {}\n", path, added ? "added" : "already in the history");
  }
  return kExitSuccess;
}

}  // namespace

int run_history(const Invocation& invocation) {
  if (!invocation.args.empty() && invocation.args.front() == "import")
    return run_import(invocation);
  if (!invocation.args.empty() && invocation.args.front() == "export")
    return run_history_export(invocation);
  if (!invocation.args.empty() && invocation.args.front() == "migrate")
    return run_history_migrate(invocation);
  po::options_description options = option_table();
  add_history_options(options);
  options.add_options()  //
      ("benchmark", po::value<std::string>()->default_value(""),
       "REGEX: only benchmarks whose name matches (ECMAScript, searched)")  //
      ("machine", po::value<std::string>()->default_value("all"),
       "FINGERPRINT: only that machine's runs; all (default): every machine, and the benchmarks "
       "on which two machines disagree")              //
      ("json", flag(), "print JSON instead of text")  //
      ("md", po::value<std::string>(), "FILE: also write Markdown");
  po::variables_map values;
  if (!parse_options(invocation,
                     {"history",
                      "[--db FILE|URI] [--benchmark REGEX] [--branch NAME] "
                      "[--machine FINGERPRINT|all] [--json] [--md FILE]\n"
                      "       tpbench history import RUN.json... [--db FILE|URI] [--branch NAME]\n"
                      "       tpbench history export --db FILE|URI --to FILE|URI\n"
                      "       tpbench history migrate [--db FILE|URI]",
                      "Shows each benchmark's series in the history and the change points found "
                      "in it (E-divisive means, permutation test), naming the first run after "
                      "each step."},
                     options, values))
    return kExitSuccess;
  history::SeriesQuery query;
  query.benchmark_regex = values["benchmark"].as<std::string>();
  try {
    (void)std::regex(query.benchmark_regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw UsageError(fmt::format("--benchmark {}: not a regular expression ({})",
                                 query.benchmark_regex, e.what()));
  }
  // Every input is checked before the store is opened: a bad one leaves nothing behind.
  if (values.count("md")) check_output_file("md", values["md"].as<std::string>());
  auto store = open_existing_history(values);
  if (const auto machine = values["machine"].as<std::string>(); machine != "all")
    query.runs.fingerprint = machine;
  query.runs.branch = values["branch"].as<std::string>();
  std::vector<history::Series> series;
  try {
    series = store->query_series(query);
  } catch (const history::HistoryError& e) {
    throw UsageError(e.what());
  }
  std::vector<SeriesReport> reports;
  for (const auto& s : series) {
    SeriesReport r{&s, {}, {}};
    for (const auto& point : s.points) r.values.push_back(compare::median(point.values));
    r.changes = compare::detect_change_points(r.values);
    std::vector<history::ChangePoint> found;
    for (const auto& c : r.changes)
      found.push_back({s.benchmark, s.fingerprint, query.runs.branch, s.points[c.index].run.run_id,
                       c.step, c.p_value});
    store->store_change_points(s.benchmark, s.fingerprint, query.runs.branch, found);
    reports.push_back(std::move(r));
  }
  if (values.count("md"))
    write_output_file("md", values["md"].as<std::string>(), markdown(reports));
  const auto disagreements = machine_disagreements(series, {});
  if (values["json"].as<bool>()) {
    auto out = to_json(reports);
    out["machine_disagreements"] = nlohmann::json::array();
    for (const auto& d : disagreements)
      out["machine_disagreements"].push_back({{"benchmark", d.benchmark},
                                              {"reference", d.reference},
                                              {"machine", d.other},
                                              {"change", d.verdict.change.estimate},
                                              {"p_value", d.verdict.p_adjusted}});
    std::cout << out.dump(2) << '\n';
    return kExitSuccess;
  }
  std::cout << text_report(reports);
  if (!disagreements.empty()) {
    std::cout << "machines disagree:\n";
    for (const auto& d : disagreements) std::cout << "  " << disagreement_line(d) << '\n';
  }
  return kExitSuccess;
}

}  // namespace tpb::cli
