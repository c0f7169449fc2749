// What run, gate and history share about the history store: the --db and --branch options, the
// store they name (errors as exit 2), and appending a record.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <tpb/history.hpp>
#include <tpb/record.hpp>

#include "options.hpp"

namespace tpb::cli {

// --db FILE|URI (default reports/history.sqlite) and --branch NAME (default: the git branch of
// the working directory, else empty).
void add_history_options(po::options_description& options);

// Opens the store --db names, creating a SQLite file that is not there. Throws UsageError naming
// it (a newer schema names both versions).
std::unique_ptr<history::HistoryStore> open_history(const po::variables_map& values);
// The same for commands that only read: a SQLite file that is not there is a UsageError, not an
// empty history created on the spot (a mistyped --db would read as "no runs").
std::unique_ptr<history::HistoryStore> open_existing_history(const po::variables_map& values);

// The branch to record: `given` (--branch) when not empty, else `git rev-parse --abbrev-ref HEAD`
// of the working directory, else empty.
std::string current_branch(const std::string& given);

// Appends a record (already read) or a record file; false when that run was already stored.
// Throws UsageError naming the file when it cannot be read or is not a tpbench record.
bool append_record(history::HistoryStore& store, const report::RunRecord& record,
                   const std::string& source, const std::string& branch);
bool append_record_file(history::HistoryStore& store, const std::filesystem::path& path,
                        const std::string& branch);

}  // namespace tpb::cli
