// tpbench report RUN.json [--html FILE] [--md FILE] [--csv FILE]: renders a run record with the
// reporters of reports/ (one per format, reporters() lists them). Without a format option every
// format is written beside the record (run.json -> run.html, run.md, run.csv).
#include "report_command.hpp"

#include <iostream>

#include <fmt/format.h>

#include <tpb/record.hpp>
#include <tpb/report.hpp>

#include "command.hpp"
#include "options.hpp"

namespace tpb::cli {
namespace {

// Boost.Program_options is told of no positional argument (options.cpp makes a stray word an
// error), so the record's path is taken out first: the one word that is neither an option nor
// an option's value.
std::filesystem::path take_record_path(Invocation& invocation) {
  std::vector<std::string> rest;
  std::vector<std::string> words;
  for (std::size_t i = 0; i < invocation.args.size(); ++i) {
    const std::string& arg = invocation.args[i];
    if (arg.rfind('-', 0) == 0 && arg != "-") {
      rest.push_back(arg);
      const bool takes_value = arg.find('=') == std::string::npos && arg != "--help" && arg != "-h";
      if (takes_value && i + 1 < invocation.args.size()) rest.push_back(invocation.args[++i]);
    } else {
      words.push_back(arg);
    }
  }
  invocation.args = rest;
  if (words.size() > 1)
    throw UsageError(fmt::format("takes one run record, got {} ('{}', '{}'...)", words.size(),
                                 words[0], words[1]));
  return words.empty() ? std::filesystem::path() : std::filesystem::path(words.front());
}

}  // namespace

std::filesystem::path beside(const std::filesystem::path& record, const std::string& format) {
  for (const auto& entry : report::reporters())
    if (entry.name == format) {
      std::filesystem::path out = record;
      out.replace_extension(entry.extension);
      return out;
    }
  throw std::invalid_argument("unknown report format " + format);
}

void write_reports(const std::filesystem::path& record_path,
                   const std::vector<ReportTarget>& targets, std::ostream& out) {
  std::error_code ec;
  for (const auto& target : targets) {
    if (std::filesystem::equivalent(target.path, record_path, ec))
      throw UsageError(
          fmt::format("--{} {}: is the run record itself", target.format, target.path.string()));
    if (const std::string problem = report::check_writable(target.path); !problem.empty())
      throw UsageError(fmt::format("--{} {}: {}", target.format, target.path.string(), problem));
  }
  report::RunRecord record;
  try {
    record = report::load_record(record_path);
  } catch (const report::RecordError& e) {
    throw UsageError(e.what());
  }
  report::ReportSettings settings;
  settings.source = record_path.filename().string();
  if (const char* gnuplot = std::getenv("TPB_GNUPLOT"); gnuplot && *gnuplot)
    settings.gnuplot = gnuplot;
  for (const auto& target : targets) {
    for (const auto& entry : report::reporters()) {
      if (entry.name != target.format) continue;
      const std::string text = entry.make()->render(record, settings);
      try {
        report::write_text_file(text, target.path);
      } catch (const std::exception& e) {
        throw UsageError(e.what());
      }
      out << fmt::format("{}: {}\n", entry.name, target.path.string());
    }
  }
}

int run_report(const Invocation& original) {
  Invocation invocation = original;
  const std::filesystem::path record = take_record_path(invocation);
  po::options_description options = option_table();
  for (const auto& entry : report::reporters())
    options.add_options()(
        std::string(entry.name).c_str(), po::value<std::string>(),
        fmt::format("write the {} report to FILE: {}", entry.name, entry.summary).c_str());
  po::variables_map values;
  if (!parse_options(invocation,
                     {"report", "RUN.json [--html FILE] [--md FILE] [--csv FILE]",
                      "Renders a run record written by tpbench run. Without a format option, "
                      "writes every format beside the record (RUN.html, RUN.md, RUN.csv). The "
                      "HTML's charts are drawn by gnuplot (gnuplot-nox; TPB_GNUPLOT names "
                      "another program); without it, the page says so where each chart goes."},
                     options, values))
    return kExitSuccess;
  if (record.empty()) throw UsageError("which run record? usage: tpbench report RUN.json");

  std::vector<ReportTarget> targets;
  for (const auto& entry : report::reporters()) {
    const std::string name(entry.name);
    if (values.count(name)) {
      const std::string path = values[name].as<std::string>();
      if (path.empty()) throw UsageError(fmt::format("--{}: empty path", name));
      targets.push_back({name, path});
    }
  }
  if (targets.empty())
    for (const auto& entry : report::reporters())
      targets.push_back({std::string(entry.name), beside(record, std::string(entry.name))});
  write_reports(record, targets, std::cout);
  return kExitSuccess;
}

}  // namespace tpb::cli
