// tpbench history and the history on disk: `history import` stores a record once however often it
// is imported, and `history` shows every run; a step in a history is reported as a change point
// naming the first run after it; a newer schema and a bad regex exit 2; a history whose writer is
// killed (SIGKILL) in the middle of appending still passes PRAGMA integrity_check and holds every
// run committed before the kill, whole. The built tpbench runs as a child process, bounded.
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tpb/history.hpp>

#include "../cli/process.hpp"
#include "history_concurrency_runs.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;
const std::filesystem::path kData = TPB_COMPARE_DATA;

ProcessResult tpbench(std::vector<std::string> args) {
  args.insert(args.begin(), TPB_TPBENCH);
  return run_process(args, {}, 60s);
}

std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir =
      std::filesystem::temp_directory_path() /
      (std::string("tpbench-history-cli-") + info->name() + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

std::string sqlite_text(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Importing two records, then one of them again, stores two runs; history shows both.
TEST(HistoryCli, ImportOnceAndShowEveryRun) {
  const auto db = (scratch_dir() / "h.sqlite").string();
  const auto base = (kData / "base.json").string();
  const auto changed = (kData / "changed.json").string();
  auto r = tpbench({"history", "import", base, changed, "--db", db, "--branch", "main"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = tpbench({"history", "import", base, "--db", db, "--branch", "main"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("already in the history"), std::string::npos) << r.out;
  r = tpbench({"history", "--db", db, "--benchmark", "fixture/slower", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto shown = nlohmann::json::parse(r.out);
  ASSERT_EQ(shown["series"].size(), 1u);
  EXPECT_EQ(shown["series"][0]["runs"].size(), 2u);
  EXPECT_EQ(shown["series"][0]["runs"][0]["values"].size(), 10u);  // every repetition
}

// A 10% step after run 20 of 40 is reported at run 21, naming that run and its revision.
TEST(HistoryCli, StepReportedAtItsRun) {
  const auto dir = scratch_dir();
  const auto db = (dir / "h.sqlite").string();
  auto record = read_json(kData / "same.json");
  std::vector<std::string> files;
  std::uint64_t state = 5;
  for (int run = 0; run < 40; ++run) {
    auto copy = record;
    copy["context"]["date"] = "2026-11-01T" + std::string(run < 10 ? "0" : "") +
                              std::to_string(run / 2) + ":" + (run % 2 ? "30" : "00") + ":00+00:00";
    copy["tpbench"]["git_revision"] = "rev" + std::to_string(run);
    for (auto& entry : copy["benchmarks"]) {
      if (entry["run_type"] != "iteration") continue;
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const double noise = 1.0 + 0.01 * (static_cast<double>(state >> 40) / 16777216.0 - 0.5);
      entry["p50_ns"] = 10000.0 * noise * (run >= 20 ? 1.10 : 1.0);
    }
    files.push_back((dir / ("run" + std::to_string(run) + ".json")).string());
    std::ofstream(files.back()) << copy.dump();
  }
  std::vector<std::string> args = {"history", "import"};
  args.insert(args.end(), files.begin(), files.end());
  args.insert(args.end(), {"--db", db, "--branch", "main"});
  ASSERT_EQ(tpbench(args).exit_code, 0);
  const auto r = tpbench({"history", "--db", db, "--benchmark", "fixture/unchanged", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto changes = nlohmann::json::parse(r.out)["series"][0]["change_points"];
  ASSERT_EQ(changes.size(), 1u) << r.out;
  EXPECT_EQ(changes[0]["index"], 20);
  EXPECT_EQ(changes[0]["revision"], "rev20");
  EXPECT_NEAR(changes[0]["step"].get<double>(), 0.10, 0.01);
  const auto text = tpbench({"history", "--db", db, "--benchmark", "fixture/unchanged"});
  EXPECT_NE(text.out.find("change point: step +"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("at run 21 of 40"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("revision rev20"), std::string::npos) << text.out;
}

// A history written by a newer tpbench exits 2 naming both versions; a bad regex exits 2.
TEST(HistoryCli, NewerSchemaAndBadRegexExit2) {
  const auto db = (scratch_dir() / "h.sqlite").string();
  ASSERT_EQ(tpbench({"history", "import", (kData / "base.json").string(), "--db", db}).exit_code,
            0);
  auto r = tpbench({"history", "--db", db, "--benchmark", "("});
  EXPECT_EQ(r.exit_code, 2);
  sqlite_text(db, "PRAGMA user_version = 9");
  r = tpbench({"history", "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("version 9"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("version " + std::to_string(history::kHistorySchemaVersion)),
            std::string::npos)
      << r.err;
}

// Reading never creates: history on a database that is not there exits 2 naming it, and neither
// that, a bad regex nor an import of a file that is not a record leaves a database behind.
TEST(HistoryCli, BadReadsAndImportsCreateNoDatabase) {
  const auto dir = scratch_dir();
  const auto missing = (dir / "typo.sqlite").string();
  auto r = tpbench({"history", "--db", missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no history there"), std::string::npos) << r.err;
  r = tpbench({"history", "--db", missing, "--benchmark", "["});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--benchmark"), std::string::npos) << r.err;
  r = tpbench({"history", "import", (kData / "corrupt.json").string(), "--db", missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(missing));
}

// A run made with --inject-slowdown measures the gate, not the build: history import refuses it
// (exit 2, naming the option) and run --db refuses the option before measuring anything.
TEST(HistoryCli, InjectedRunsNeverEnterTheHistory) {
  const auto dir = scratch_dir();
  const auto db = (dir / "h.sqlite").string();
  auto record = read_json(kData / "base.json");
  record["tpbench"]["options"]["inject_slowdown_pct"] = 5.0;
  const auto slowed = (dir / "slowed.json").string();
  std::ofstream(slowed) << record.dump();
  auto r = tpbench({"history", "import", slowed, "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--inject-slowdown"), std::string::npos) << r.err;
  r = tpbench({"run", "--db", db, "--inject-slowdown", "5", "--suite", "creation", "--quick",
               "--out", (dir / "never.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--inject-slowdown"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "never.json"));
}

// A writer killed with SIGKILL in the middle of its appends leaves a database that passes
// integrity_check and holds every run committed before the kill, each with all its samples.
TEST(HistoryKill, KilledWriterLeavesCommittedRuns) {
  const auto dir = scratch_dir();
  const auto db = (dir / "h.sqlite").string();
  const auto go = dir / "go";
  std::ofstream(go) << "go";
  Process writer({TPB_APPEND_WORKER, db, go.string(), "0", "100000"});
  // Wait (bounded) until some runs are committed, as seen by another connection.
  std::size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    if (std::filesystem::exists(db)) try {
        seen = history::open_history_store(db)->list_runs({}).size();
      } catch (const history::HistoryError&) {
      }
  }
  ASSERT_GE(seen, 20u) << "the writer did not commit runs in time";
  writer.signal(SIGKILL);
  EXPECT_EQ(writer.wait(10s).exit_code, 128 + SIGKILL);

  EXPECT_EQ(sqlite_text(db, "PRAGMA integrity_check"), "ok");
  auto store = history::open_history_store(db);
  const auto runs = store->list_runs({});
  EXPECT_GE(runs.size(), seen);
  for (const auto& series : store->query_series({"", {}}))
    for (const auto& point : series.points)
      EXPECT_EQ(point.values.size(), static_cast<std::size_t>(kConcurrencyRepetitions))
          << point.run.run_id;
  std::size_t samples_per_run = 0;
  for (const auto& series : store->query_series({"", {}})) samples_per_run += series.points.size();
  EXPECT_EQ(samples_per_run, runs.size() * kConcurrencyBenchmarks);
}

}  // namespace
}  // namespace tpb::test
