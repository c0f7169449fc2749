#include "history_io.hpp"

#include <fmt/format.h>

#include "host/command.hpp"

namespace tpb::cli {

void add_history_options(po::options_description& options) {
  options.add_options()  //
      ("db", po::value<std::string>()->default_value(std::string(history::kDefaultHistoryPath)),
       "FILE (SQLite) or postgresql:// URI: the history store")  //
      ("branch", po::value<std::string>()->default_value(""),
       "NAME: the branch runs are recorded under and read from (default: the git branch)");
}

std::unique_ptr<history::HistoryStore> open_history(const po::variables_map& values) {
  try {
    return history::open_history_store(values["db"].as<std::string>());
  } catch (const history::HistoryError& e) {
    throw UsageError(fmt::format("--db: {}", e.what()));
  }
}

std::unique_ptr<history::HistoryStore> open_existing_history(const po::variables_map& values) {
  const auto& db = values["db"].as<std::string>();
  if (std::error_code ec; !history::is_postgres_location(db) && !std::filesystem::exists(db, ec))
    throw UsageError(
        fmt::format("--db {}: no history there (tpbench run --db, gate --db or "
                    "history import create one)",
                    db));
  return open_history(values);
}

std::string current_branch(const std::string& given) {
  if (!given.empty()) return given;
  const std::string out =
      host::command_output({"git", "rev-parse", "--abbrev-ref", "HEAD"}).value_or(std::string());
  return out == "HEAD" ? std::string() : out;
}

bool append_record(history::HistoryStore& store, const report::RunRecord& record,
                   const std::string& source, const std::string& branch) {
  try {
    return store.append_run(history::run_from_record(record, source, branch));
  } catch (const history::HistoryError& e) {
    throw UsageError(e.what());
  }
}

bool append_record_file(history::HistoryStore& store, const std::filesystem::path& path,
                        const std::string& branch) {
  try {
    return append_record(store, report::load_record(path), path.string(), branch);
  } catch (const report::RecordError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace tpb::cli
