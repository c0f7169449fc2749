// compare, gate and history on real runs of the built tpbench (a small, fixed selection with
// enough repetitions to judge): a run with --inject-slowdown 50 compares as a regression against
// an unchanged one (exit 1), and the gate confirms it (exit 1); a run compared with itself passes
// (exit 0); a gate whose 3-repetition baseline could never show a regression exits 3; `run --db`
// twice, then `history`, shows both runs; a --db that cannot be opened is
// refused before anything is measured (exit 2). Child processes with bounded waits.
#include <unistd.h>

#include <filesystem>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../cli/process.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;

ProcessResult tpbench(std::vector<std::string> args) {
  args.insert(args.begin(), TPB_TPBENCH);
  return run_process(args, {}, 120s);
}

// The selection: thread start latency of one backend and its raw reference, same CPU.
std::vector<std::string> selection(const std::string& repetitions = "10") {
  return {"--suite",       "creation",
          "--backend",     "pthread",
          "--filter",      "start_latency/backend:(pthread|reference)/placement:same_cpu",
          "--repetitions", repetitions,
          "--quick",       "--no-progress"};
}

std::vector<std::string> with(std::vector<std::string> args, std::vector<std::string> more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir =
      std::filesystem::temp_directory_path() /
      (std::string("tpbench-compare-run-") + info->name() + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string run_to(const std::filesystem::path& out, std::vector<std::string> extra = {}) {
  auto args = with({"run"}, selection());
  args = with(args, {"--out", out.string()});
  args = with(args, std::move(extra));
  const auto r = tpbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out.string();
}

// An injected 50% slowdown is a regression for compare and for the gate; a run compared with
// itself passes.
TEST(CompareRun, InjectedSlowdownIsARegression) {
  const auto dir = scratch_dir();
  const auto base = run_to(dir / "base.json");
  const auto slow = run_to(dir / "slow.json", {"--inject-slowdown", "50"});
  auto r = tpbench({"compare", base, slow});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("regression"), std::string::npos) << r.out;

  r = tpbench({"compare", base, base});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  r = tpbench(with(with({"gate", "--baseline", base}, selection()), {"--inject-slowdown", "50"}));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
}

// A 3-repetition baseline against 10 new ones (no re-runs to add more) cannot reach Holm's bound
// over the selection's benchmarks: the gate says so and exits 3 (untrustworthy), never 0.
TEST(CompareRun, GateWithAnUnreachableBaselineIsUntrustworthy) {
  const auto dir = scratch_dir();
  auto base_args = with({"run"}, selection("3"));
  base_args = with(base_args, {"--out", (dir / "base3.json").string()});
  auto r = tpbench(base_args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = tpbench(with(with({"gate", "--baseline", (dir / "base3.json").string()}, selection()),
                   {"--reruns", "0"}));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("no regression could be found"), std::string::npos) << r.err;
}

// Two runs with --db, then history: both runs are shown, in order.
TEST(CompareRun, RunDbTwiceThenHistoryShowsBoth) {
  const auto dir = scratch_dir();
  const auto db = (dir / "history.sqlite").string();
  run_to(dir / "a.json", {"--db", db, "--branch", "main"});
  run_to(dir / "b.json", {"--db", db, "--branch", "main"});
  const auto r = tpbench({"history", "--db", db, "--json", "--branch", "main"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto shown = nlohmann::json::parse(r.out);
  ASSERT_FALSE(shown["series"].empty());
  for (const auto& series : shown["series"]) EXPECT_EQ(series["runs"].size(), 2u) << series;
}

// A history that cannot be opened is refused before measuring, naming the option.
TEST(CompareRun, BadDbRefusedBeforeMeasuring) {
  const auto dir = scratch_dir();
  const auto r =
      tpbench(with(with({"run"}, selection()),
                   {"--db", "/proc/no-such-dir/h.sqlite", "--out", (dir / "never.json").string()}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "never.json"));
}

}  // namespace
}  // namespace tpb::test
