// Hostile input to every subcommand, table-driven: absurd option values (negative, huge, NaN,
// infinite, empty, non-numeric), unreadable and unwritable paths, a history from a newer schema, a
// history locked by another writer. Each must exit 2 with exactly one line on stderr naming the
// problem, nothing that looks like a crash (no "terminate called", no "what():", no sanitizer
// report), and nothing measured. The built tpbench runs as a child process, bounded.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"
#include "scratch_dir.hpp"

namespace {

using namespace std::chrono_literals;
using tpb::test::Environment;
using tpb::test::ProcessResult;

const std::string kBase = TPB_TEST_DATA "/compare/base.json";
const std::string kNew = TPB_TEST_DATA "/compare/changed.json";
const std::string kCorrupt = TPB_TEST_DATA "/compare/corrupt.json";
const std::string kEmpty = TPB_TEST_DATA "/compare/empty.json";
const std::string kMissing = "/nonexistent-tpbench/none.json";
const std::string kUnwritable = "/proc/tpbench-no-such-dir/out";

struct Case {
  std::vector<std::string> args;
  std::string needle;  // what the one line must name
  Environment env = {};
};

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

ProcessResult tpbench(std::vector<std::string> args, const Environment& env = {},
                      std::chrono::milliseconds timeout = 60s) {
  args.insert(args.begin(), TPB_TPBENCH);
  return tpb::test::run_process(args, env, timeout);
}

void expect_refused(const Case& c) {
  const ProcessResult r = tpbench(c.args, c.env);
  SCOPED_TRACE("tpbench " + ::testing::PrintToString(c.args));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  for (const char* crash : {"terminate called", "what():", "Sanitizer", "Aborted", "BUGCHECK"})
    EXPECT_EQ(r.err.find(crash), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("repetitions of at least"), std::string::npos) << "started measuring";
}

// Every numeric and list option of `run`, absurd values: refused before anything is measured.
TEST(CliInputs, RunOptions) {
  const std::vector<Case> cases = {
      {{"run", "--repetitions", "-1"}, "--repetitions"},
      {{"run", "--repetitions", "0"}, "--repetitions"},
      {{"run", "--repetitions", "99999999999999"}, "--repetitions"},
      {{"run", "--repetitions", "nan"}, "--repetitions"},
      {{"run", "--repetitions", ""}, "--repetitions"},
      {{"run", "--repetitions", "3x"}, "--repetitions"},
      {{"run", "--min-time", "-1"}, "--min-time"},
      {{"run", "--min-time", "0"}, "--min-time"},
      {{"run", "--min-time", "nan"}, "--min-time"},
      {{"run", "--min-time", "inf"}, "--min-time"},
      {{"run", "--min-time", "1e400"}, "--min-time"},
      {{"run", "--min-time", ""}, "--min-time"},
      {{"run", "--inject-slowdown", "-5"}, "--inject-slowdown"},
      {{"run", "--inject-slowdown", "nan"}, "--inject-slowdown"},
      {{"run", "--inject-slowdown", "many"}, "--inject-slowdown"},
      {{"run", "--backend", ","}, "--backend"},
      {{"run", "--suite", " , "}, "--suite"},
      {{"run", "--min-time", "1e300"}, "--min-time"},
      {{"run", "--backend", "nosuch"}, "nosuch"},
      {{"run", "--suite", "nosuch"}, "nosuch"},
      {{"run", "--placement", "nowhere"}, "nowhere"},
      {{"run", "--priority", "-1"}, "--priority"},
      {{"run", "--priority", "32"}, "--priority"},
      {{"run", "--priority", "nan"}, "--priority"},
      {{"run", "--filter", "("}, "--filter"},
      {{"run", "--out", kUnwritable + "/run.json"}, "--out"},
      {{"run", "--out", "/"}, "--out"},
      {{"run", "stray-word"}, "arguments"},
      {{"run"}, "TPB_REPETITIONS", {{"TPB_REPETITIONS", "-1"}}},
      {{"run"}, "TPB_MIN_TIME", {{"TPB_MIN_TIME", "nan"}}},
      // Boost's error text never finished for text holding one of its placeholders (a hang).
      {{"run", "-%original_token%"}, "%original_token%"},
      {{"compare", "--%canonical_option%"}, "%canonical_option%"},
      {{"run"}, "%value%", {{"TPB_MIN_TIME", "%value%"}}},
  };
  for (const auto& c : cases) expect_refused(c);
}

// compare: thresholds and alphas out of range, unreadable records, unwritable outputs.
TEST(CliInputs, CompareOptions) {
  const std::vector<Case> cases = {
      {{"compare", kBase, kNew, "--threshold", "nan"}, "--threshold"},
      {{"compare", kBase, kNew, "--threshold", "-5"}, "--threshold"},
      {{"compare", kBase, kNew, "--threshold", "0"}, "--threshold"},
      {{"compare", kBase, kNew, "--threshold", "1e400"}, "--threshold"},
      {{"compare", kBase, kNew, "--threshold", ""}, "--threshold"},
      {{"compare", kBase, kNew, "--alpha", "0"}, "--alpha"},
      {{"compare", kBase, kNew, "--alpha", "1"}, "--alpha"},
      {{"compare", kBase, kNew, "--alpha", "nan"}, "--alpha"},
      {{"compare", kBase, kNew, "--md", kUnwritable + "/c.md"}, "--md"},
      {{"compare", kBase, kNew, "--junit", kUnwritable + "/c.xml"}, "--junit"},
      {{"compare", kBase, kNew, "--json", kUnwritable + "/c.json"}, "--json"},
      {{"compare", kBase, kMissing}, "none.json"},
      {{"compare", kBase, kCorrupt}, "corrupt.json"},
      {{"compare", kEmpty, kNew}, "empty.json"},
      {{"compare", kBase, "/"}, "/"},
      {{"compare", kBase}, "compare"},
  };
  for (const auto& c : cases) expect_refused(c);
}

// gate's own options are checked before it measures anything.
TEST(CliInputs, GateOptions) {
  const auto& dir = tpb::test::scratch_dir("tpbench-cli-inputs");
  const std::string db = (dir / "gate.sqlite").string();
  const std::vector<Case> cases = {
      {{"gate", "--db", db, "--reruns", "-1"}, "--reruns"},
      {{"gate", "--db", db, "--reruns", "11"}, "--reruns"},
      {{"gate", "--db", db, "--reruns", "x"}, "--reruns"},
      {{"gate", "--db", db, "--history-runs", "-1"}, "--history-runs"},
      {{"gate", "--db", db, "--history-runs", "0"}, "--history-runs"},
      {{"gate", "--db", db, "--history-runs", "nan"}, "--history-runs"},
      {{"gate", "--db", db, "--threshold", "nan"}, "--threshold"},
      {{"gate", "--db", db, "--alpha", "2"}, "--alpha"},
      {{"gate", "--self-test", "--pairs", "-3"}, "--pairs"},
      {{"gate", "--self-test", "--pairs", "1e9"}, "--pairs"},
      {{"gate", "--baseline", kMissing}, "none.json"},
      {{"gate", "--baseline", kCorrupt}, "corrupt.json"},
  };
  for (const auto& c : cases) expect_refused(c);
}

// history and report: bad regexes, unusable stores, unreadable and unwritable files.
TEST(CliInputs, HistoryAndReportOptions) {
  const auto& dir = tpb::test::scratch_dir("tpbench-cli-inputs");
  const std::string db = (dir / "history.sqlite").string();
  const std::vector<Case> cases = {
      {{"history", "--db", db, "--benchmark", "("}, "--benchmark"},
      {{"history", "--db", kUnwritable + "/h.sqlite"}, "--db"},
      {{"history", "--db", dir.string()}, "--db"},
      {{"history", "--db", db, "--md", kUnwritable + "/h.md"}, "--md"},
      {{"history", "import", kMissing, "--db", db}, "none.json"},
      {{"history", "import", kCorrupt, "--db", db}, "corrupt.json"},
      {{"report", kMissing}, "none.json"},
      {{"report", kCorrupt}, "corrupt.json"},
      {{"report", kBase, "--html", kUnwritable + "/r.html"}, "r.html"},
      {{"report", kBase, "--md", dir.string()}, dir.string()},
      {{"topology", "--xml", kMissing}, "--xml"},
      {{"topology", "--xml", "/proc/self/mem"}, "--xml"},
      {{"topology", "--synthetic", ""}, "--synthetic"},
      {{"topology", "--synthetic", "pack:99999999 pu:99999"}, "--synthetic"},
      {{"list", "--json=maybe"}, "--json"},
      {{"doctor", "--strict=maybe"}, "--strict"},
  };
  for (const auto& c : cases) expect_refused(c);
}

// A history from a newer schema is refused naming both versions, and left as it was.
TEST(CliInputs, NewerSchemaRefusedAndUntouched) {
  const auto& dir = tpb::test::scratch_dir("tpbench-cli-inputs");
  const auto db = dir / "newer.sqlite";
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "PRAGMA user_version = 999", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(handle);
  expect_refused({{"history", "import", kBase, "--db", db.string()}, "999"});
  expect_refused({{"history", "--db", db.string()}, "999"});
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(handle, "PRAGMA user_version", -1, &statement, nullptr);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), 999);
  sqlite3_finalize(statement);
  sqlite3_close(handle);
}

// A history another writer holds locked (an exclusive transaction never committed here): the
// import gives up after the store's busy wait with exit 2 and one line; the runs stored before
// are all still there once the lock is gone, and the import then works.
TEST(CliInputs, LockedHistoryRefusedNothingLost) {
  const auto& dir = tpb::test::scratch_dir("tpbench-cli-inputs");
  const std::string db = (dir / "locked.sqlite").string();
  ASSERT_EQ(tpbench({"history", "import", kBase, "--db", db, "--branch", "main"}).exit_code, 0);
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  const ProcessResult locked =
      tpbench({"history", "import", kNew, "--db", db, "--branch", "main"}, {}, 60s);
  ASSERT_FALSE(locked.timed_out);
  EXPECT_EQ(locked.exit_code, 2) << locked.err;
  EXPECT_EQ(line_count(locked.err), 1u) << locked.err;
  EXPECT_NE(locked.err.find("locked"), std::string::npos) << locked.err;
  ASSERT_EQ(sqlite3_exec(handle, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  const ProcessResult later = tpbench({"history", "import", kNew, "--db", db, "--branch", "main"});
  EXPECT_EQ(later.exit_code, 0) << later.err;
  const ProcessResult shown = tpbench({"history", "--db", db, "--branch", "main", "--json"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
}

}  // namespace
