// tpbench history migrate --db FILE|URI: creates the history's tables, or brings an older schema
// to this tpbench's version. Opening a store migrates it anyway; this command does it on purpose,
// once, as a role that may create tables, so that CI roles need only read and append (README: a
// fleet's history in PostgreSQL). A newer schema is refused naming both versions (exit 2).
#include <iostream>

#include <fmt/format.h>

#include <tpb/history.hpp>

#include "history_stores.hpp"
#include "options.hpp"

namespace tpb::cli {

int run_history_migrate(const Invocation& invocation) {
  po::options_description options = option_table();
  options.add_options()  //
      ("db", po::value<std::string>()->default_value(std::string(history::kDefaultHistoryPath)),
       "FILE (SQLite) or postgresql:// URI: the store to migrate");
  po::variables_map values;
  Invocation rest = invocation;
  rest.args.erase(rest.args.begin());  // "migrate"
  if (!parse_options(rest,
                     {"history migrate", "[--db FILE|URI]",
                      "Creates the history's tables, or migrates an older schema to this "
                      "tpbench's version (a newer one is refused)."},
                     options, values))
    return kExitSuccess;
  try {
    const auto store = history::open_history_store(values["db"].as<std::string>());
    std::cout << fmt::format("{}: history schema version {}\n", store->location(),
                             store->schema_version());
  } catch (const history::HistoryError& e) {
    throw UsageError(fmt::format("--db: {}", e.what()));
  }
  return kExitSuccess;
}

}  // namespace tpb::cli
