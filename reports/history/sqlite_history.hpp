// The SQLite history store: one file, WAL journal, prepared statements only, the schema version in
// `PRAGMA user_version`. Every guarantee of tpb/history.hpp holds; appends from several processes
// are serialised by SQLite's write lock (a busy store is waited for up to 10 s).
#pragma once

#include <filesystem>
#include <memory>

#include <tpb/history.hpp>

namespace tpb::history {

// Opens or creates the SQLite history at `path` and migrates it. Throws HistoryError.
std::unique_ptr<HistoryStore> open_sqlite_history(const std::filesystem::path& path);

}  // namespace tpb::history
