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

BenchmarkEntry run(const std::string& name, double real_time, bool error = false) {
  BenchmarkEntry r;
  r.name = name;
  r.run_name = name;
  r.iterations = 10;
  r.real_time = real_time;
  r.cpu_time = real_time;
  r.time_unit = "us";
  r.counters["p50_ns"] = real_time * 1000;
  if (error) {
    r.error_occurred = true;
    r.error_message = "failed";
  }
  return r;
}

BenchmarkOutput pass(std::vector<BenchmarkEntry> runs) {
  BenchmarkOutput out;
  out.context.num_cpus = 2;
  out.benchmarks = std::move(runs);
  return out;
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
  const auto& b = merged.benchmarks;
  ASSERT_EQ(b.size(), 2u * (3 + 4));
  EXPECT_EQ(merged.context.num_cpus, 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(b[i].run_name, "s/a");
    EXPECT_EQ(b[i].repetition_index, i);
    EXPECT_EQ(b[i].repetitions, 3);
  }
  EXPECT_EQ(b[3].name, "s/a_mean");
  EXPECT_DOUBLE_EQ(b[3].real_time, 2.0);
  EXPECT_EQ(b[4].aggregate_name, "median");
  EXPECT_DOUBLE_EQ(b[4].real_time, 2.0);
  EXPECT_DOUBLE_EQ(b[4].counters.at("p50_ns"), 2000.0);
  EXPECT_EQ(b[5].aggregate_name, "stddev");
  EXPECT_DOUBLE_EQ(b[5].real_time, 1.0);
  EXPECT_EQ(b[6].aggregate_unit, "percentage");
  EXPECT_EQ(b[7].run_name, "s/b");
}

// A failed first repetition is kept and left out of the aggregates.
TEST(ReportRepetitions, FailedRepetitionLeftOutOfAggregates) {
  const auto merged = merge_repetitions(
      {pass({run("s/a", 100, true)}), pass({run("s/a", 1)}), pass({run("s/a", 3)})}, 3);
  const auto& b = merged.benchmarks;
  ASSERT_EQ(b.size(), 3u + 4);
  EXPECT_TRUE(b[0].error_occurred);
  EXPECT_EQ(b[3].iterations, 2);
  EXPECT_DOUBLE_EQ(b[3].real_time, 2.0);
  // One good repetition: no aggregates, as Google Benchmark does.
  EXPECT_EQ(
      merge_repetitions({pass({run("s/a", 1, true)}), pass({run("s/a", 1)})}, 2).benchmarks.size(),
      2u);
}

// A repetition the run was stopped before (error kNotMeasuredError) is not written at all: only
// measured repetitions reach the record, and the aggregates cover those.
TEST(ReportRepetitions, UnmeasuredRepetitionsAreLeftOut) {
  BenchmarkEntry stopped = run("s/a", 0, true);
  stopped.error_message = std::string(kNotMeasuredError);
  BenchmarkEntry stopped_b = run("s/b", 0, true);
  stopped_b.error_message = std::string(kNotMeasuredError);
  const auto merged =
      merge_repetitions({pass({run("s/a", 1), run("s/b", 2)}), pass({run("s/a", 3), stopped_b}),
                         pass({stopped, stopped_b})},
                        3);
  std::vector<std::string> iterations;
  for (const auto& e : merged.benchmarks) {
    if (e.run_type == "iteration") iterations.push_back(e.run_name);
    EXPECT_FALSE(e.error_occurred) << e.name;
    EXPECT_GT(e.real_time, 0) << e.name;
  }
  EXPECT_EQ(iterations, (std::vector<std::string>{"s/a", "s/a", "s/b"}));
}

// The summary ranks backends by median and shows their ratio to the reference.
TEST(ReportSummary, RanksByMedianWithVsRef) {
  const auto record = make_record(
      merge_repetitions({pass({run("creation/start/backend:reference/placement:x", 10),
                               run("creation/start/backend:pool/wake:spin/placement:x", 5),
                               run("creation/start/backend:pthread/placement:x", 20)})},
                        1),
      RunContext{});
  const std::string table = summary_table(record, {{"wake"}});
  const auto pool = table.find("pool wake:spin");
  const auto ref = table.find("reference");
  const auto pthread = table.find("pthread");
  ASSERT_NE(pool, std::string::npos) << table;
  EXPECT_LT(pool, ref) << table;
  EXPECT_LT(ref, pthread) << table;
  EXPECT_NE(table.find("2.00"), std::string::npos) << table;  // pthread vs_ref
  EXPECT_NE(table.find("0.50"), std::string::npos) << table;  // pool vs_ref
  EXPECT_FALSE(record.tpbench.git_revision.has_value());
}

// A benchmark that measured its raw reference sample by sample beside its own (ref_p50_ns) is
// compared with that one, not with the reference row measured at another time in the run.
TEST(ReportSummary, VsRefPrefersTheReferenceMeasuredAlongside) {
  auto with = [](const std::string& name, double p50_ns, std::optional<double> paired) {
    BenchmarkEntry r = run(name, p50_ns / 1000);
    r.counters["p50_ns"] = p50_ns;
    if (paired) r.counters["ref_p50_ns"] = *paired;
    return r;
  };
  const auto record = make_record(
      merge_repetitions({pass({with("creation/start/backend:reference/placement:x", 10000, {}),
                               with("creation/start/backend:pthread/placement:x", 13000, 12500),
                               with("creation/start/backend:pool/placement:x", 15000, {})})},
                        1),
      RunContext{});
  const std::string table = summary_table(record, {});
  EXPECT_NE(table.find("1.04"), std::string::npos) << table;  // pthread: 13000 / 12500
  EXPECT_EQ(table.find("1.30"), std::string::npos) << table;  // not 13000 / the row's 10000
  EXPECT_NE(table.find("1.50"), std::string::npos) << table;  // pool: no paired one, the row's
}

// A repetition's p50_ns (per operation) ranks it, not Google Benchmark's time column (which may
// hold a whole batch); a variant key such as wait: keeps a second reference row apart.
TEST(ReportSummary, RanksByP50AndKeepsVariantRowsApart) {
  auto batch = [](const std::string& name, double real_time_us, double p50_ns) {
    BenchmarkEntry r = run(name, real_time_us);
    r.counters["p50_ns"] = p50_ns;
    return r;
  };
  const auto record = make_record(
      merge_repetitions(
          {pass({batch("creation/rt/backend:reference/placement:x", 10, 10000),
                 batch("creation/rt/backend:reference/wait:signal/placement:x", 12, 13000),
                 batch("creation/rt/backend:pthread/placement:x", 900, 14000)})},
          1),
      RunContext{});
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
