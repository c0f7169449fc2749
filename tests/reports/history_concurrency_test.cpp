// Many writers on one history (tpb/history.hpp: nothing lost, nothing duplicated): 20 processes
// append at once to one PostgreSQL database (migrating it together, too), and 4 at once to one
// SQLite file; each uploads runs of its own and the runs every writer uploads. Afterwards every
// run is there exactly once, its series read back whole, and `tpbench history` shows them all. The
// time spent per append is printed (a figure for the notes, never asserted).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tpb/history.hpp>

#include "history_concurrency_runs.hpp"
#include "pg_test_server.hpp"
#include "process.hpp"
#include "scratch_dir.hpp"

namespace tpb::test {
namespace {

constexpr int kRunsPerWriter = 10;

struct Totals {
  int appended = 0;
  int stored = 0;
  double seconds = 0;
};

// Starts `writers` worker processes on `db`, lets them go at once, waits for all (bounded).
Totals run_writers(const std::string& db, int writers) {
  const auto go = scratch_dir("tpbench-concurrency") / ("go-" + std::to_string(writers));
  std::filesystem::remove(go);
  std::vector<std::unique_ptr<Process>> processes;
  processes.reserve(static_cast<std::size_t>(writers));
  for (int w = 0; w < writers; ++w)
    processes.push_back(std::make_unique<Process>(std::vector<std::string>{
        TPB_APPEND_WORKER, db, go.string(), std::to_string(w), std::to_string(kRunsPerWriter)}));
  std::ofstream(go).put('\n');
  Totals totals;
  for (int w = 0; w < writers; ++w) {
    const auto result = processes[w]->wait(std::chrono::seconds(90));
    EXPECT_FALSE(result.timed_out) << "writer " << w;
    EXPECT_EQ(result.exit_code, 0) << "writer " << w << ": " << result.err;
    Totals one;
    if (std::sscanf(result.out.c_str(), "appended %d stored %d seconds %lf", &one.appended,
                    &one.stored, &one.seconds) != 3)
      ADD_FAILURE() << "writer " << w << " said: " << result.out;
    totals.appended += one.appended;
    totals.stored += one.stored;
    totals.seconds += one.seconds;
  }
  return totals;
}

// Every run once, and every series point whole.
void expect_every_run_once(const std::string& db, int writers) {
  std::set<std::string> expected;
  for (int w = 0; w < writers; ++w)
    for (int i = 0; i < kRunsPerWriter; ++i)
      expected.insert("w" + std::to_string(w) + "-" + std::to_string(i));
  for (int i = 0; i < kSharedRuns; ++i) expected.insert("shared-" + std::to_string(i));

  auto store = history::open_history_store(db);
  std::multiset<std::string> listed;
  for (const auto& run : store->list_runs({})) listed.insert(run.run_id);
  EXPECT_EQ(listed.size(), expected.size());
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), expected);

  std::size_t points = 0;
  for (const auto& series : store->query_series({"^concurrency/", {}})) {
    for (const auto& point : series.points) {
      EXPECT_EQ(point.values.size(), static_cast<std::size_t>(kConcurrencyRepetitions))
          << series.benchmark << " " << point.run.run_id;
      ++points;
    }
  }
  EXPECT_EQ(points, expected.size() * kConcurrencyBenchmarks);

  // `tpbench history` reads them all: every run in every benchmark's series.
  const auto shown = run_process({TPB_TPBENCH, "history", "--db", db, "--json", "--branch", "main"},
                                 {}, std::chrono::seconds(120));
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const auto json = nlohmann::json::parse(shown.out);
  std::set<std::string> read;
  std::size_t runs_read = 0;
  for (const auto& series : json.at("series")) {
    for (const auto& run : series.at("runs")) {
      read.insert(run.at("run_id").get<std::string>());
      ++runs_read;
    }
  }
  EXPECT_EQ(read, expected);
  EXPECT_EQ(runs_read, expected.size() * kConcurrencyBenchmarks);
}

void report(const char* store, int writers, const Totals& totals) {
  const double per_append_ms = totals.appended > 0 ? totals.seconds * 1e3 / totals.appended : 0;
  std::printf("%s: %d writers, %d appends, %d runs stored, %.2f ms per append (%d samples each)\n",
              store, writers, totals.appended, totals.stored, per_append_ms,
              kConcurrencyBenchmarks * kConcurrencyRepetitions);
}

// 20 processes append to one PostgreSQL database at once: every run is stored exactly once.
TEST(HistoryConcurrency, TwentyWritersOnOnePostgresDatabase) {
  constexpr int kWriters = 20;
  const auto& server = PgTestServer::get();
  const auto db = server.fresh_database("tpb_concurrency_" + std::to_string(::getpid()));
  const auto totals = run_writers(db, kWriters);
  EXPECT_EQ(totals.stored, kWriters * kRunsPerWriter + kSharedRuns);
  expect_every_run_once(db, kWriters);
  report("postgresql", kWriters, totals);
}

// 4 processes append to one SQLite file at once: every run is stored exactly once.
TEST(HistoryConcurrency, FourWritersOnOneSqliteFile) {
  constexpr int kWriters = 4;
  const auto db = (scratch_dir("tpbench-concurrency") / "history.sqlite").string();
  const auto totals = run_writers(db, kWriters);
  EXPECT_EQ(totals.stored, kWriters * kRunsPerWriter + kSharedRuns);
  expect_every_run_once(db, kWriters);
  report("sqlite", kWriters, totals);
}

}  // namespace
}  // namespace tpb::test
