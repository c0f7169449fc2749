// The tpbench command on a PostgreSQL history (README: a fleet's history in PostgreSQL), run as a
// child process against the throwaway server: `history migrate` creates the schema and a newer
// one exits 2; a server that cannot be reached is one line naming it, exit 2 for `history` and 3
// for a gate that cannot read its baseline; `history export` copies SQLite -> PostgreSQL ->
// SQLite, each run once however often it runs; `history --machine all` names the benchmarks on
// which two machines disagree, and only those.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tpb/history.hpp>

#include "pg_test_server.hpp"
#include "process.hpp"
#include "scratch_dir.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;

constexpr int kExitUsage = 2;
constexpr int kExitUntrusted = 3;

ProcessResult tpbench(std::vector<std::string> args) {
  args.insert(args.begin(), TPB_TPBENCH);
  return run_process(args, {}, 120s);
}

std::string fresh_database() {
  static int counter = 0;
  return PgTestServer::get().fresh_database("tpb_cli_" + std::to_string(::getpid()) + "_" +
                                            std::to_string(counter++));
}

// A URI to a server that is not there: the test server's socket directory, another port.
std::string unreachable_uri() {
  const auto& server = PgTestServer::get();
  return "postgresql://postgres@/tpbench?host=" + server.socket_dir() +
         "&port=" + std::to_string(std::stoi(server.port()) + 1);
}

void expect_one_line_naming_server(const ProcessResult& result) {
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("postgresql://"), std::string::npos) << result.err;
}

// Runs of one machine whose benchmarks measure `levels` (ns), with a little spread per run.
void append_runs(history::HistoryStore& store, const std::string& fingerprint,
                 const std::vector<std::pair<std::string, double>>& levels, int runs) {
  for (int r = 0; r < runs; ++r) {
    history::Run run;
    run.info = {fingerprint + "-" + std::to_string(r),
                "rev" + std::to_string(r),
                "main",
                "2026-01-01T00:00:" + std::string(r < 10 ? "0" : "") + std::to_string(r) + "Z",
                "0.1.0",
                fingerprint};
    for (const auto& [name, level] : levels) {
      history::BenchmarkResult result{name, {}};
      for (int rep = 0; rep < 3; ++rep) {
        const double value = level * (1 + 0.002 * ((r * 7 + rep * 3) % 5));
        result.repetitions.push_back({rep, value, {{"p50_ns", value}}});
      }
      run.benchmarks.push_back(result);
    }
    store.append_run(run);
  }
}

// migrate creates the schema and says which version it holds; running it again changes nothing.
TEST(PostgresCli, MigrateCreatesTheSchemaOnce) {
  const auto uri = fresh_database();
  for (int i = 0; i < 2; ++i) {
    const auto result = tpbench({"history", "migrate", "--db", uri});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(
        result.out.find("history schema version " + std::to_string(history::kHistorySchemaVersion)),
        std::string::npos)
        << result.out;
  }
}

// A database written by a newer tpbench: exit 2, one line naming the server and both versions.
TEST(PostgresCli, NewerSchemaExitsTwo) {
  const auto uri = fresh_database();
  ASSERT_EQ(tpbench({"history", "migrate", "--db", uri}).exit_code, 0);
  const auto database = uri.substr(uri.find("@/") + 2, uri.find('?') - uri.find("@/") - 2);
  PgTestServer::get().admin(database, "UPDATE tpbench_schema SET version = 9");
  const auto result = tpbench({"history", "--db", uri});
  EXPECT_EQ(result.exit_code, kExitUsage);
  expect_one_line_naming_server(result);
  EXPECT_NE(result.err.find("version 9"), std::string::npos) << result.err;
}

// No server: `history` and `history export` exit 2 with one line naming it.
TEST(PostgresCli, UnreachableServerIsOneLineExitTwo) {
  const auto& dir = scratch_dir("tpbench-pg-cli");
  history::open_history_store((dir / "h.sqlite").string());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"history", "--db", unreachable_uri()},
           {"history", "migrate", "--db", unreachable_uri()},
           {"history", "export", "--db", (dir / "h.sqlite").string(), "--to", unreachable_uri()},
       }) {
    const auto result = tpbench(args);
    EXPECT_EQ(result.exit_code, kExitUsage) << args[1] << ": " << result.err;
    expect_one_line_naming_server(result);
  }
}

// A gate whose history cannot be read cannot judge: exit 3, one line naming the server, and it
// says so before measuring anything.
TEST(PostgresCli, GateWithoutItsHistoryExitsThree) {
  const auto result = tpbench({"gate", "--db", unreachable_uri(), "--quick", "--no-progress"});
  EXPECT_EQ(result.exit_code, kExitUntrusted) << result.err;
  expect_one_line_naming_server(result);
}

// export SQLite -> PostgreSQL -> SQLite through the command: every run once however often it runs,
// and every sample bit for bit.
TEST(PostgresCli, ExportCopiesEachRunOnceBothWays) {
  const auto& dir = scratch_dir("tpbench-pg-cli");
  const auto local = (dir / "runner.sqlite").string();
  const auto laptop = (dir / "laptop.sqlite").string();
  const auto fleet = fresh_database();
  append_runs(*history::open_history_store(local), "fpA", {{"creation/x", 1000.0 / 3}}, 4);

  auto result = tpbench({"history", "export", "--db", local, "--to", fleet});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("copied 4 run(s)"), std::string::npos) << result.out;
  result = tpbench({"history", "export", "--db", local, "--to", fleet});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("copied 0 run(s)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("4 already there"), std::string::npos) << result.out;
  result = tpbench({"history", "export", "--db", fleet, "--to", laptop, "--machine", "fpA"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("copied 4 run(s)"), std::string::npos) << result.out;

  const auto original = history::open_history_store(local)->query_series({"", {}});
  const auto back = history::open_history_store(laptop)->query_series({"", {}});
  ASSERT_EQ(back.size(), original.size());
  ASSERT_EQ(back[0].points.size(), original[0].points.size());
  for (std::size_t p = 0; p < original[0].points.size(); ++p) {
    ASSERT_EQ(back[0].points[p].values.size(), original[0].points[p].values.size());
    for (std::size_t v = 0; v < original[0].points[p].values.size(); ++v)
      EXPECT_EQ(std::bit_cast<std::uint64_t>(back[0].points[p].values[v]),
                std::bit_cast<std::uint64_t>(original[0].points[p].values[v]));
  }
  // --db and --to naming one store, or a source file that is not there, is bad usage.
  EXPECT_EQ(tpbench({"history", "export", "--db", fleet, "--to", fleet}).exit_code, kExitUsage);
  const auto missing = (dir / "no-such.sqlite").string();
  EXPECT_EQ(tpbench({"history", "export", "--db", missing, "--to", fleet}).exit_code, kExitUsage);
  EXPECT_FALSE(std::filesystem::exists(missing));
}

// run --db appends to PostgreSQL and history reads it back. When the history cannot take the run
// (here a role that may read but not insert), the run still writes its record, then exits 2 with
// one line naming the server.
TEST(PostgresCli, RunAppendsAndKeepsItsRecordWhenTheHistoryRefuses) {
  const auto& dir = scratch_dir("tpbench-pg-cli");
  const auto& server = PgTestServer::get();
  const auto uri = fresh_database();
  const auto database = uri.substr(uri.find("@/") + 2, uri.find('?') - uri.find("@/") - 2);
  const std::vector<std::string> selection = {"run",
                                              "--suite",
                                              "creation",
                                              "--backend",
                                              "pthread",
                                              "--filter",
                                              "start_latency/backend:pthread/placement:same_cpu",
                                              "--repetitions",
                                              "2",
                                              "--quick",
                                              "--no-progress"};

  auto args = selection;
  args.insert(args.end(), {"--db", uri, "--out", (dir / "first.json").string()});
  auto result = tpbench(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("history: appended to postgresql://"), std::string::npos) << result.out;
  const auto shown = tpbench({"history", "--db", uri});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("start_latency/backend:pthread"), std::string::npos) << shown.out;

  const auto reader = database + "_reader";
  server.admin(database, "CREATE ROLE " + reader + " LOGIN");
  server.admin(database, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + reader);
  args = selection;
  const auto kept = dir / "second.json";
  args.insert(args.end(), {"--db", server.uri(database, reader), "--out", kept.string()});
  result = tpbench(args);
  EXPECT_EQ(result.exit_code, kExitUsage) << result.err;
  expect_one_line_naming_server(result);
  EXPECT_NE(result.err.find("permission denied"), std::string::npos) << result.err;
  EXPECT_TRUE(std::filesystem::exists(kept)) << "the measured run's record was lost";
}

// gate --db postgresql:// reads its baseline from the fleet's runs of this machine and branch and
// appends its own run there: with no earlier run it cannot judge (exit 3, saying why), and its run
// is in the fleet's history afterwards, under the branch given.
TEST(PostgresCli, GateReadsAndFeedsTheFleetHistory) {
  const auto uri = fresh_database();
  const auto result =
      tpbench({"gate", "--db", uri, "--branch", "fleet-branch", "--suite", "creation", "--backend",
               "pthread", "--filter", "start_latency/backend:pthread/placement:same_cpu",
               "--repetitions", "2", "--quick", "--no-progress"});
  EXPECT_EQ(result.exit_code, kExitUntrusted) << result.out << result.err;
  const auto runs = history::open_history_store(uri)->list_runs({"", "fleet-branch", 0});
  ASSERT_EQ(runs.size(), 1u) << result.out << result.err;
  EXPECT_FALSE(runs[0].fingerprint.empty());
}

// history --machine all shows every machine's series and names the benchmark where two machines
// disagree (one 20% slower), not the one where they agree.
TEST(PostgresCli, MachinesThatDisagreeAreNamed) {
  const auto uri = fresh_database();
  {
    auto store = history::open_history_store(uri);
    append_runs(*store, "fpA", {{"creation/agree", 1000}, {"creation/differ", 2000}}, 8);
    append_runs(*store, "fpB", {{"creation/agree", 1000}, {"creation/differ", 2400}}, 8);
  }
  const auto result = tpbench({"history", "--db", uri, "--machine", "all", "--branch", "main"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("machine fpA"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("machine fpB"), std::string::npos) << result.out;
  const auto disagree = result.out.find("machines disagree");
  ASSERT_NE(disagree, std::string::npos) << result.out;
  const auto verdicts = result.out.substr(disagree);
  EXPECT_NE(verdicts.find("creation/differ: machine fpB is 20.0% slower than machine fpA"),
            std::string::npos)
      << verdicts;
  EXPECT_EQ(verdicts.find("creation/agree"), std::string::npos) << verdicts;

  // One machine only: its series, and no comparison.
  const auto one = tpbench({"history", "--db", uri, "--machine", "fpB", "--branch", "main"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out.find("machine fpA"), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find("disagree"), std::string::npos) << one.out;
}

}  // namespace
}  // namespace tpb::test
