// The terminal summary does not mislead: an inversion line whose backend did not apply host
// priorities is marked, every inversion line shows its vs_ref against the raw reference of its
// protocol, and skipped cases are counted once per reason (a missing right skips many
// cases for one cause).
#include <gtest/gtest.h>

#include <tpb/report.hpp>

namespace tpb::report {
namespace {

BenchmarkEntry inversion(const std::string& backend, const std::string& protocol, double wait_ns,
                         double bounded, double unbounded, bool applied) {
  BenchmarkEntry r;
  r.name = r.run_name =
      "inversion/three_thread/backend:" + backend + "/placement:same_cpu/protocol:" + protocol;
  r.iterations = 5;
  r.real_time = wait_ns / 1e3;
  r.time_unit = "us";
  r.counters = {{"p50_ns", wait_ns},
                {"high_wait_p50_ns", wait_ns},
                {"bounded", bounded},
                {"unbounded", unbounded},
                {"priority_applied", applied ? 1.0 : 0.0}};
  return r;
}

RunRecord record_of(std::vector<BenchmarkEntry> entries) {
  BenchmarkOutput out;
  out.benchmarks = std::move(entries);
  return make_record(merge_repetitions({out}, 1), RunContext{});
}

// A backend whose threads did not run at their host priorities is marked on its inversion line.
TEST(SummaryRanking, InversionLineWithoutHostPrioritiesIsMarked) {
  const auto record = record_of({
      inversion("pthread", "inherit", 2e6, 1, 0, true),
      inversion("tbb", "inherit", 1e5, 1, 0, false),
  });
  const std::string table = summary_table(record);
  const auto tbb = table.find("tbb");
  ASSERT_NE(tbb, std::string::npos) << table;
  const auto line_end = table.find('\n', tbb);
  EXPECT_NE(table.substr(tbb, line_end - tbb).find("host priorities not applied"),
            std::string::npos)
      << table;
  const auto pthread = table.find("pthread");
  EXPECT_EQ(table.substr(pthread, table.find('\n', pthread) - pthread)
                .find("host priorities not applied"),
            std::string::npos)
      << table;
}

// Every inversion line shows vs_ref: high's wait over the raw reference's in the same protocol
// (the reference's own line 1.00); a protocol without a reference shows "-".
TEST(SummaryRanking, InversionLinesShowVsRefAgainstTheReference) {
  const auto record = record_of({
      inversion("reference", "none", 10e6, 0, 1, true),
      inversion("pthread", "none", 12e6, 0, 1, true),
      inversion("reference", "inherit", 1e6, 1, 0, true),
      inversion("pthread", "inherit", 1.5e6, 1, 0, true),
      inversion("pool", "ceiling", 1e6, 1, 0, true),
  });
  const std::string table = summary_table(record);
  const auto line_with = [&](const std::string& protocol, const std::string& backend) {
    std::size_t at = 0;
    while ((at = table.find("  " + protocol + " ", at)) != std::string::npos) {
      std::string line = table.substr(at, table.find('\n', at) - at);
      if (line.find(" " + backend + " ") != std::string::npos) return line;
      ++at;
    }
    return std::string();
  };
  EXPECT_NE(line_with("none", "reference").find("vs_ref   1.00"), std::string::npos) << table;
  EXPECT_NE(line_with("none", "pthread").find("vs_ref   1.20"), std::string::npos) << table;
  EXPECT_NE(line_with("inherit", "reference").find("vs_ref   1.00"), std::string::npos) << table;
  EXPECT_NE(line_with("inherit", "pthread").find("vs_ref   1.50"), std::string::npos) << table;
  EXPECT_NE(line_with("ceiling", "pool").find("vs_ref      -"), std::string::npos) << table;
}

// Skipped cases: one line per reason, with the count.
TEST(SummaryRanking, SkippedCasesCountedOncePerReason) {
  RunRecord record = record_of({});
  record.tpbench.skipped = {{"creation/*/priority:16", "SCHED_FIFO refused: x"},
                            {"creation/*/priority:24", "SCHED_FIFO refused: x"},
                            {"ctxswitch/*/placement:smt_sibling", "no SMT"}};
  const std::string table = summary_table(record);
  EXPECT_NE(table.find("2 cases skipped: SCHED_FIFO refused: x"), std::string::npos) << table;
  EXPECT_NE(table.find("1 case skipped: no SMT"), std::string::npos) << table;
}

}  // namespace
}  // namespace tpb::report
