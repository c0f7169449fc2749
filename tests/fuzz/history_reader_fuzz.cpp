// Fuzz target: the SQLite history store opened on a corrupted database file.
// Requirement: whatever bytes the file holds, opening it (which migrates an older schema) and
// reading it every way the commands do (list runs, series, change points, whole runs) either
// works or throws HistoryError naming the store (`history`, `gate --db` exit 2); never a crash,
// another exception, a hang or a leak. Seeds are real stores written by `tpbench history import`
// with 512-byte pages, so mutations land in page headers, cells and the schema.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <tpb/history.hpp>

#include "fuzz_file.hpp"
#include "history/sqlite_history.hpp"

namespace {

void remove_store(const std::filesystem::path& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(path.string() + suffix, ignored);
}

void read_everything(tpb::history::HistoryStore& store) {
  (void)store.schema_version();
  const auto runs = store.list_runs({});
  (void)store.query_series({});
  (void)store.change_points({});
  std::size_t read = 0;
  for (const auto& run : runs) {
    if (++read > 4) break;  // bounded work per input
    (void)store.read_run(run.run_id);
  }
  (void)store.list_runs({.fingerprint = "", .branch = "main", .last_runs = 1});
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path path = tpb::fuzz::scratch_path("history.sqlite");
  remove_store(path);
  tpb::fuzz::write_file(path, data, size);
  try {
    const auto store = tpb::history::open_sqlite_history(path);
    read_everything(*store);
  } catch (const tpb::history::HistoryError& e) {
    // documented refusal (HistorySchemaTooNew included); one line
    for (const char* c = e.what(); *c != '\0'; ++c)
      if (*c == '\n') std::abort();
  }
  remove_store(path);
  return 0;
}
