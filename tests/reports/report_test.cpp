// reports/ (tpb/report.hpp): the run record's JSON. Google Benchmark's non-finite numbers become
// null; repetitions run as passes merge into Google Benchmark's layout with its aggregates, also
// when a repetition failed (the case Google Benchmark 1.7.1 crashes on); the summary ranks
// backends by median with vs_ref; records are written whole or not at all.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include <tpb/report.hpp>

namespace tpb::report {
namespace {

nlohmann::json run(const std::string& name, double real_time, bool error = false) {
  nlohmann::json r = {{"name", name},      {"run_name", name},          {"run_type", "iteration"},
                      {"repetitions", 1},  {"repetition_index", 0},     {"threads", 1},
                      {"iterations", 10},  {"real_time", real_time},    {"cpu_time", real_time},
                      {"time_unit", "us"}, {"p50_ns", real_time * 1000}};
  if (error) {
    r["error_occurred"] = true;
    r["error_message"] = "failed";
  }
  return r;
}

nlohmann::json pass(std::vector<nlohmann::json> runs) {
  return {{"context", {{"num_cpus", 2}}}, {"benchmarks", std::move(runs)}};
}

// Bare NaN / Infinity values (Google Benchmark's output) parse, as null; names are untouched.
TEST(ReportJson, NonFiniteNumbersBecomeNull) {
  const auto j = parse_benchmark_json(
      "{\"benchmarks\": [{\"name\": \"a: NaN\", \"x\": NaN,\n\"y\": -Infinity\n}]}");
  const auto& b = j.at("benchmarks").at(0);
  EXPECT_EQ(b.at("name"), "a: NaN");
  EXPECT_TRUE(b.at("x").is_null());
  EXPECT_TRUE(b.at("y").is_null());
}

// Passes merge into per-benchmark repetitions followed by mean, median, stddev and cv.
TEST(ReportRepetitions, MergesPassesWithAggregates) {
  const auto merged = merge_repetitions(
      {pass({run("s/a", 1), run("s/b", 10)}), pass({run("s/a", 3), run("s/b", 20)}),
       pass({run("s/a", 2), run("s/b", 30)})},
      3);
  const auto& b = merged.at("benchmarks");
  ASSERT_EQ(b.size(), 2u * (3 + 4));
  EXPECT_EQ(merged.at("context").at("num_cpus"), 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(b[i].at("run_name"), "s/a");
    EXPECT_EQ(b[i].at("repetition_index"), i);
    EXPECT_EQ(b[i].at("repetitions"), 3);
  }
  EXPECT_EQ(b[3].at("name"), "s/a_mean");
  EXPECT_DOUBLE_EQ(b[3].at("real_time").get<double>(), 2.0);
  EXPECT_EQ(b[4].at("aggregate_name"), "median");
  EXPECT_DOUBLE_EQ(b[4].at("real_time").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(b[4].at("p50_ns").get<double>(), 2000.0);
  EXPECT_EQ(b[5].at("aggregate_name"), "stddev");
  EXPECT_DOUBLE_EQ(b[5].at("real_time").get<double>(), 1.0);
  EXPECT_EQ(b[6].at("aggregate_unit"), "percentage");
  EXPECT_EQ(b[7].at("run_name"), "s/b");
}

// A failed first repetition is kept and left out of the aggregates.
TEST(ReportRepetitions, FailedRepetitionLeftOutOfAggregates) {
  const auto merged = merge_repetitions(
      {pass({run("s/a", 100, true)}), pass({run("s/a", 1)}), pass({run("s/a", 3)})}, 3);
  const auto& b = merged.at("benchmarks");
  ASSERT_EQ(b.size(), 3u + 4);
  EXPECT_TRUE(b[0].at("error_occurred").get<bool>());
  EXPECT_EQ(b[3].at("iterations"), 2);
  EXPECT_DOUBLE_EQ(b[3].at("real_time").get<double>(), 2.0);
  // One good repetition: no aggregates, as Google Benchmark does.
  EXPECT_EQ(merge_repetitions({pass({run("s/a", 1, true)}), pass({run("s/a", 1)})}, 2)
                .at("benchmarks")
                .size(),
            2u);
}

// The summary ranks backends by median and shows their ratio to the reference.
TEST(ReportSummary, RanksByMedianWithVsRef) {
  RunContext context;
  const auto record = make_record(
      merge_repetitions({pass({run("creation/start/backend:reference/placement:x", 10),
                               run("creation/start/backend:pool/wake:spin/placement:x", 5),
                               run("creation/start/backend:pthread/placement:x", 20)})},
                        1),
      context);
  const std::string table = summary_table(record, {{"wake"}});
  const auto pool = table.find("pool wake:spin");
  const auto ref = table.find("reference");
  const auto pthread = table.find("pthread");
  ASSERT_NE(pool, std::string::npos) << table;
  EXPECT_LT(pool, ref) << table;
  EXPECT_LT(ref, pthread) << table;
  EXPECT_NE(table.find("2.00"), std::string::npos) << table;  // pthread vs_ref
  EXPECT_NE(table.find("0.50"), std::string::npos) << table;  // pool vs_ref
  EXPECT_TRUE(record.at("tpbench").at("git_revision").is_null());
}

// A repetition's p50_ns (per operation) ranks it, not Google Benchmark's time column (which may
// hold a whole batch); a variant key such as wait: keeps a second reference row apart.
TEST(ReportSummary, RanksByP50AndKeepsVariantRowsApart) {
  RunContext context;
  auto batch = [](const std::string& name, double real_time_us, double p50_ns) {
    nlohmann::json r = run(name, real_time_us);
    r["p50_ns"] = p50_ns;
    return r;
  };
  const auto record = make_record(
      merge_repetitions(
          {pass({batch("creation/rt/backend:reference/placement:x", 10, 10000),
                 batch("creation/rt/backend:reference/wait:signal/placement:x", 12, 13000),
                 batch("creation/rt/backend:pthread/placement:x", 900, 14000)})},
          1),
      context);
  const std::string table = summary_table(record, {{"wait"}});
  EXPECT_NE(table.find("reference wait:signal"), std::string::npos) << table;
  EXPECT_NE(table.find("1.30"), std::string::npos) << table;  // signal reference vs_ref
  EXPECT_NE(table.find("1.40"), std::string::npos) << table;  // pthread: p50, not the batch time
  EXPECT_EQ(table.find("ms"), std::string::npos) << table;
}

// Records are written through a temporary file; a directory is not a writable record path.
TEST(ReportFile, WritesWholeFilesAndChecksPaths) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tpbench-report-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto path = dir / "a" / "b" / "run.json";
  EXPECT_EQ(check_writable(path), "");
  write_json_file({{"x", 1}}, path);
  EXPECT_EQ(read_json_file(path).at("x"), 1);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(path.parent_path()))
    ++files;
  EXPECT_EQ(files, 1u);  // no temporary left behind
  EXPECT_NE(check_writable(dir), "");
  EXPECT_THROW(read_json_file(dir / "missing.json"), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tpb::report
