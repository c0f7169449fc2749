// The SQLite history store: the store contract suite instantiated over fresh SQLite files, plus
// what only SQLite has: the file is in WAL mode, versioned by PRAGMA user_version (a newer
// version is refused naming both), and a postgresql:// location is routed away from SQLite.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include <tpb/history.hpp>

#include "history_store_suite.hpp"

namespace tpb::test {
namespace {

std::filesystem::path scratch_dir() {
  static const auto dir = [] {
    auto path =
        std::filesystem::temp_directory_path() / ("tpbench-history-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

std::string fresh_sqlite() {
  static std::atomic<int> counter{0};
  return (scratch_dir() / ("store-" + std::to_string(counter++) + ".sqlite")).string();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, HistoryStoreTest,
                         ::testing::Values(HistoryStoreParam{"sqlite", &fresh_sqlite}),
                         history_param_name);

// Reads a single integer with the SQLite API directly, behind the store's back.
long long pragma(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
  long long value = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

// The history is a WAL-mode file whose user_version is the schema version.
TEST(SqliteHistory, WalModeAndVersioned) {
  const auto path = fresh_sqlite();
  history::open_history_store(path);
  EXPECT_EQ(pragma(path, "PRAGMA user_version"), history::kHistorySchemaVersion);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// A history written by a newer tpbench is refused, naming both versions.
TEST(SqliteHistory, NewerSchemaRefusedNamingBothVersions) {
  const auto path = fresh_sqlite();
  history::open_history_store(path);
  pragma(path, "PRAGMA user_version = 7");
  try {
    history::open_history_store(path);
    FAIL() << "a newer schema was accepted";
  } catch (const history::HistorySchemaTooNew& e) {
    EXPECT_EQ(e.found(), 7);
    EXPECT_EQ(e.supported(), history::kHistorySchemaVersion);
    const std::string what = e.what();
    EXPECT_NE(what.find("version 7"), std::string::npos) << what;
    EXPECT_NE(what.find("version " + std::to_string(history::kHistorySchemaVersion)),
              std::string::npos)
        << what;
  }
}

// A file that is not a SQLite database is a HistoryError, not a crash.
TEST(SqliteHistory, NotADatabaseIsAnError) {
  const auto path = fresh_sqlite();
  {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a database, just some text long enough to be read as a header....\n",
               f);
    std::fclose(f);
  }
  EXPECT_THROW(history::open_history_store(path), history::HistoryError);
}

// A postgresql:// location is never opened as a SQLite file.
TEST(SqliteHistory, PostgresLocationIsNotAFile) {
  EXPECT_TRUE(history::is_postgres_location("postgresql://localhost/tpb"));
  EXPECT_TRUE(history::is_postgres_location("postgres://localhost/tpb"));
  EXPECT_FALSE(history::is_postgres_location("reports/history.sqlite"));
}

}  // namespace
}  // namespace tpb::test
