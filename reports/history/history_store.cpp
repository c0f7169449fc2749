// The one place that maps a `--db` argument to a store implementation.
#include <tpb/history.hpp>

#include <fmt/format.h>

#include "postgres_history.hpp"
#include "sqlite_history.hpp"

namespace tpb::history {

HistorySchemaTooNew::HistorySchemaTooNew(const std::string& store, int found, int supported)
    : HistoryError(fmt::format("{}: history schema version {} is newer than this tpbench "
                               "supports (version {}); use a newer tpbench",
                               store, found, supported)),
      found_(found),
      supported_(supported) {}

bool is_postgres_location(std::string_view db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::unique_ptr<HistoryStore> open_history_store(const std::string& db) {
  if (db.empty()) throw HistoryError("--db: empty history location");
  if (is_postgres_location(db)) return open_postgres_history(db);
  return open_sqlite_history(db);
}

}  // namespace tpb::history
