// History store contract (tpb/history.hpp): a run is appended whole, once per run id; runs and
// series come back oldest first, filtered by machine fingerprint, branch and benchmark regex, with
// every repetition; the most recent N runs can be asked for; change points are stored per
// (benchmark, machine, branch) and replaced; a store reopened holds what was committed; a run reads
// back whole, and exporting between two stores copies each run once.
#include <cmath>
#include <string>

#include <tpb/history.hpp>

#include "history_store_suite.hpp"

namespace tpb::test {
namespace {

using history::open_history_store;

history::Run make_run(const std::string& id, const std::string& time, const std::string& branch,
                      const std::string& fingerprint, double base) {
  history::Run run;
  run.info = {id, "rev-" + id, branch, time, "0.1.0", fingerprint};
  run.machine_facts = R"({"cpu":"test"})";
  for (const char* name : {"creation/a", "creation/b", "wake/c"}) {
    history::BenchmarkResult result{name, {}};
    for (int rep = 0; rep < 3; ++rep)
      result.repetitions.push_back({rep, base + rep, {{"p50_ns", base + rep}, {"iterations", 10}}});
    run.benchmarks.push_back(result);
  }
  return run;
}

// A new store is at the current schema version.
TEST_P(HistoryStoreTest, NewStoreHasCurrentSchema) {
  auto store = open_history_store(GetParam().fresh_location());
  EXPECT_EQ(store->schema_version(), history::kHistorySchemaVersion);
  EXPECT_TRUE(store->list_runs({}).empty());
}

// Appending the same run id twice stores it once; the second append reports it was there.
TEST_P(HistoryStoreTest, RetriedAppendIsStoredOnce) {
  auto store = open_history_store(GetParam().fresh_location());
  const auto run = make_run("r1", "2026-01-01T00:00:00Z", "main", "fp1", 100);
  EXPECT_TRUE(store->append_run(run));
  EXPECT_FALSE(store->append_run(run));
  EXPECT_EQ(store->list_runs({}).size(), 1u);
  const auto series = store->query_series({"^creation/a$", {}});
  ASSERT_EQ(series.size(), 1u);
  ASSERT_EQ(series[0].points.size(), 1u);
  EXPECT_EQ(series[0].points[0].values.size(), 3u);
}

// Runs come back oldest first whatever the append order, with every field kept.
TEST_P(HistoryStoreTest, RunsOrderedByTimeWithTheirFields) {
  auto store = open_history_store(GetParam().fresh_location());
  store->append_run(make_run("late", "2026-01-03T00:00:00Z", "main", "fp1", 100));
  store->append_run(make_run("early", "2026-01-01T00:00:00Z", "main", "fp1", 100));
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, "early");
  EXPECT_EQ(runs[0].revision, "rev-early");
  EXPECT_EQ(runs[0].branch, "main");
  EXPECT_EQ(runs[0].time, "2026-01-01T00:00:00Z");
  EXPECT_EQ(runs[0].tpbench_version, "0.1.0");
  EXPECT_EQ(runs[0].fingerprint, "fp1");
  EXPECT_EQ(runs[1].run_id, "late");
}

// Series are filtered by regex, fingerprint and branch; values are every repetition, in order.
TEST_P(HistoryStoreTest, SeriesFilteredByRegexMachineAndBranch) {
  auto store = open_history_store(GetParam().fresh_location());
  store->append_run(make_run("a", "2026-01-01T00:00:00Z", "main", "fp1", 100));
  store->append_run(make_run("b", "2026-01-02T00:00:00Z", "main", "fp1", 200));
  store->append_run(make_run("c", "2026-01-03T00:00:00Z", "topic", "fp1", 300));
  store->append_run(make_run("d", "2026-01-04T00:00:00Z", "main", "fp2", 400));

  EXPECT_EQ(store->query_series({"^creation/", {}}).size(), 4u);  // 2 benchmarks x 2 machines
  const auto series = store->query_series({"creation/b", {"fp1", "main", 0}});
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].benchmark, "creation/b");
  EXPECT_EQ(series[0].fingerprint, "fp1");
  ASSERT_EQ(series[0].points.size(), 2u);
  EXPECT_EQ(series[0].points[0].run.run_id, "a");
  EXPECT_EQ(series[0].points[1].run.run_id, "b");
  EXPECT_EQ(series[0].points[1].values, (std::vector<double>{200, 201, 202}));
  EXPECT_TRUE(store->query_series({"^nothing$", {}}).empty());
}

// A series is oldest first whatever the append order, even with machines interleaved, and each
// point keeps its own run's values; series come in fingerprint order.
TEST_P(HistoryStoreTest, SeriesOrderedByTimeAcrossInterleavedMachines) {
  auto store = open_history_store(GetParam().fresh_location());
  store->append_run(make_run("fp2-late", "2026-01-04T00:00:00Z", "main", "fp2", 400));
  store->append_run(make_run("fp1-late", "2026-01-03T00:00:00Z", "main", "fp1", 300));
  store->append_run(make_run("fp2-early", "2026-01-02T00:00:00Z", "main", "fp2", 200));
  store->append_run(make_run("fp1-early", "2026-01-01T00:00:00Z", "main", "fp1", 100));
  const auto series = store->query_series({"^wake/c$", {}});
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].fingerprint, "fp1");
  EXPECT_EQ(series[1].fingerprint, "fp2");
  ASSERT_EQ(series[0].points.size(), 2u);
  ASSERT_EQ(series[1].points.size(), 2u);
  EXPECT_EQ(series[0].points[0].run.run_id, "fp1-early");
  EXPECT_EQ(series[0].points[0].values, (std::vector<double>{100, 101, 102}));
  EXPECT_EQ(series[0].points[1].run.run_id, "fp1-late");
  EXPECT_EQ(series[0].points[1].values, (std::vector<double>{300, 301, 302}));
  EXPECT_EQ(series[1].points[0].run.run_id, "fp2-early");
  EXPECT_EQ(series[1].points[0].values, (std::vector<double>{200, 201, 202}));
  EXPECT_EQ(series[1].points[1].run.run_id, "fp2-late");
}

// last_runs keeps only the most recent runs of the filter, still oldest first.
TEST_P(HistoryStoreTest, LastRunsAreTheMostRecent) {
  auto store = open_history_store(GetParam().fresh_location());
  for (int i = 0; i < 5; ++i)
    store->append_run(make_run("r" + std::to_string(i),
                               "2026-01-0" + std::to_string(i + 1) + "T00:00:00Z", "main", "fp1",
                               100 + i));
  const auto runs = store->list_runs({"fp1", "main", 2});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, "r3");
  EXPECT_EQ(runs[1].run_id, "r4");
  const auto series = store->query_series({"^wake/c$", {"fp1", "main", 3}});
  ASSERT_EQ(series.size(), 1u);
  ASSERT_EQ(series[0].points.size(), 3u);
  EXPECT_EQ(series[0].points[0].run.run_id, "r2");
}

// Change points are stored per benchmark, machine and branch, and a second store replaces them.
TEST_P(HistoryStoreTest, ChangePointsStoredAndReplaced) {
  auto store = open_history_store(GetParam().fresh_location());
  store->append_run(make_run("a", "2026-01-01T00:00:00Z", "main", "fp1", 100));
  store->append_run(make_run("b", "2026-01-02T00:00:00Z", "main", "fp1", 110));
  store->store_change_points("creation/a", "fp1", "main",
                             {{"creation/a", "fp1", "main", "b", 0.1, 0.001}});
  auto points = store->change_points({"creation/a", {}});
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].run_id, "b");
  EXPECT_DOUBLE_EQ(points[0].step, 0.1);
  EXPECT_DOUBLE_EQ(points[0].p_value, 0.001);
  store->store_change_points("creation/a", "fp1", "main", {});
  EXPECT_TRUE(store->change_points({"creation/a", {}}).empty());
}

// What was committed is there after the store is closed and opened again.
TEST_P(HistoryStoreTest, ReopenedStoreKeepsRuns) {
  const std::string location = GetParam().fresh_location();
  open_history_store(location)->append_run(
      make_run("a", "2026-01-01T00:00:00Z", "main", "fp1", 100));
  auto store = open_history_store(location);
  EXPECT_EQ(store->list_runs({}).size(), 1u);
}

// A repetition that is not a number fails the append, and nothing of that run is stored.
TEST_P(HistoryStoreTest, FailedAppendStoresNothing) {
  auto store = open_history_store(GetParam().fresh_location());
  auto run = make_run("a", "2026-01-01T00:00:00Z", "main", "fp1", 100);
  run.benchmarks.back().repetitions.back().value = std::nan("");
  EXPECT_THROW(store->append_run(run), history::HistoryError);
  EXPECT_TRUE(store->list_runs({}).empty());
  EXPECT_TRUE(store->query_series({"", {}}).empty());
}

// read_run gives the whole run back: its facts, its machine's facts, every repetition and counter.
TEST_P(HistoryStoreTest, ReadRunGivesBackTheWholeRun) {
  auto store = open_history_store(GetParam().fresh_location());
  const auto run = make_run("a", "2026-01-01T00:00:00Z", "main", "fp1", 100);
  ASSERT_TRUE(store->append_run(run));
  const auto back = store->read_run("a");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->info.run_id, run.info.run_id);
  EXPECT_EQ(back->info.revision, run.info.revision);
  EXPECT_EQ(back->info.branch, run.info.branch);
  EXPECT_EQ(back->info.time, run.info.time);
  EXPECT_EQ(back->info.tpbench_version, run.info.tpbench_version);
  EXPECT_EQ(back->info.fingerprint, run.info.fingerprint);
  EXPECT_EQ(back->machine_facts, run.machine_facts);
  ASSERT_EQ(back->benchmarks.size(), run.benchmarks.size());
  for (std::size_t b = 0; b < run.benchmarks.size(); ++b) {
    EXPECT_EQ(back->benchmarks[b].name, run.benchmarks[b].name);
    ASSERT_EQ(back->benchmarks[b].repetitions.size(), run.benchmarks[b].repetitions.size());
    for (std::size_t r = 0; r < run.benchmarks[b].repetitions.size(); ++r) {
      EXPECT_EQ(back->benchmarks[b].repetitions[r].index, run.benchmarks[b].repetitions[r].index);
      EXPECT_EQ(back->benchmarks[b].repetitions[r].value, run.benchmarks[b].repetitions[r].value);
      EXPECT_EQ(back->benchmarks[b].repetitions[r].counters,
                run.benchmarks[b].repetitions[r].counters);
    }
  }
  EXPECT_FALSE(store->read_run("missing").has_value());
}

// Export copies every selected run once; exporting again copies nothing more.
TEST_P(HistoryStoreTest, ExportCopiesEachRunOnce) {
  auto from = open_history_store(GetParam().fresh_location());
  auto to = open_history_store(GetParam().fresh_location());
  for (const char* id : {"a", "b", "c"})
    from->append_run(
        make_run(id, std::string("2026-01-01T00:00:0") + id[0] + "Z", "main", "fp1", 100));
  to->append_run(make_run("b", "2026-01-01T00:00:0bZ", "main", "fp1", 100));
  auto counts = history::export_runs(*from, *to);
  EXPECT_EQ(counts.copied, 2u);
  EXPECT_EQ(counts.already_there, 1u);
  counts = history::export_runs(*from, *to);
  EXPECT_EQ(counts.copied, 0u);
  EXPECT_EQ(counts.already_there, 3u);
  EXPECT_EQ(to->list_runs({}).size(), 3u);
  EXPECT_EQ(history::export_runs(*from, *to, {"fp-other", "", 0}).copied, 0u);
}

// A bad benchmark regex is an error naming it, not a crash.
TEST_P(HistoryStoreTest, BadRegexIsAnError) {
  auto store = open_history_store(GetParam().fresh_location());
  EXPECT_THROW(store->query_series({"(", {}}), history::HistoryError);
}

}  // namespace
}  // namespace tpb::test
