// tpbench history export --db A --to B: copies runs between history stores (a runner's SQLite
// pushed to the fleet's PostgreSQL, the fleet's series pulled to a laptop). Each run keeps its
// run id, so exporting again copies nothing more and an interrupted export is finished by running
// it again. A store that cannot be opened or written is one line naming it, exit 2.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include <tpb/history.hpp>

#include "history_stores.hpp"
#include "options.hpp"

namespace tpb::cli {
namespace {

std::unique_ptr<history::HistoryStore> open_store(const std::string& option,
                                                  const std::string& location) {
  try {
    return history::open_history_store(location);
  } catch (const history::HistoryError& e) {
    throw UsageError(fmt::format("--{}: {}", option, e.what()));
  }
}

}  // namespace

int run_history_export(const Invocation& invocation) {
  po::options_description options = option_table();
  options.add_options()  //
      ("db", po::value<std::string>()->default_value(std::string(history::kDefaultHistoryPath)),
       "FILE (SQLite) or postgresql:// URI: the store to copy from")                         //
      ("to", po::value<std::string>(), "FILE or postgresql:// URI: the store to copy into")  //
      ("machine", po::value<std::string>()->default_value("all"),
       "FINGERPRINT: only that machine's runs (default all)")  //
      ("branch", po::value<std::string>()->default_value(""), "NAME: only that branch's runs");
  po::variables_map values;
  Invocation rest = invocation;
  rest.args.erase(rest.args.begin());  // "export"
  if (!parse_options(
          rest,
          {"history export", "--db FILE|URI --to FILE|URI [--machine FINGERPRINT] [--branch NAME]",
           "Copies the runs of one history store into another (SQLite or "
           "PostgreSQL, either way). A run the target holds already (same run id) is "
           "left as it is, so exporting twice copies nothing more."},
          options, values))
    return kExitSuccess;
  if (!values.count("to")) throw UsageError("export: --to FILE|URI names the store to copy into");
  const auto from_location = values["db"].as<std::string>();
  const auto to_location = values["to"].as<std::string>();
  if (from_location == to_location)
    throw UsageError(fmt::format("export: --db and --to both name {}", from_location));

  // Opening a SQLite path creates the file: a source that is not there is a typo, not an empty
  // history.
  if (!history::is_postgres_location(from_location) && !std::filesystem::exists(from_location))
    throw UsageError(fmt::format("--db {}: no such history file", from_location));
  auto from = open_store("db", from_location);
  auto to = open_store("to", to_location);
  history::RunFilter filter;
  if (const auto machine = values["machine"].as<std::string>(); machine != "all")
    filter.fingerprint = machine;
  filter.branch = values["branch"].as<std::string>();
  history::ExportCounts counts;
  try {
    counts = history::export_runs(*from, *to, filter);
  } catch (const history::HistoryError& e) {
    throw UsageError(e.what());
  }
  std::cout << fmt::format("copied {} run(s) from {} to {}; {} already there\n", counts.copied,
                           from->location(), to->location(), counts.already_there);
  return kExitSuccess;
}

}  // namespace tpb::cli
