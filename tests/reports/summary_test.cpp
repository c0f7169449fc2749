// The terminal summary does not mislead: inversion lines rank, per protocol, by the verdict the
// protocol is expected to produce (none unbounded, inherit and ceiling bounded) before their wait;
// a line whose backend did not apply host priorities is marked and never ranks above a line that
// met its verdict; every line shows its vs_ref (against the raw reference of its protocol, or the
// benchmark's own vs_ref counter where the case has no reference line); skipped cases are counted
// once per reason (a missing right skips many cases for one cause).
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

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

BenchmarkEntry failed_inversion(const std::string& backend, const std::string& protocol) {
  BenchmarkEntry r;
  r.name = r.run_name =
      "inversion/three_thread/backend:" + backend + "/placement:same_cpu/protocol:" + protocol;
  r.error_occurred = true;
  r.error_message = "low could not take the mutex";
  return r;
}

// The summary's inversion lines of one protocol, in order: "backend verdict mark".
std::vector<std::string> inversion_lines(const std::string& table, const std::string& protocol) {
  std::vector<std::string> lines;
  std::istringstream in(table.substr(table.find("inversion (")));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && line.rfind("  ", 0) == 0) {
    std::istringstream words(line);
    std::string p, backend, verdict;
    words >> p >> backend >> verdict;
    if (p != protocol) continue;
    const auto mark = line.find("  (");
    std::string entry = backend;
    entry.append(" ").append(verdict);
    if (mark != std::string::npos) entry += line.substr(mark);
    lines.push_back(entry);
  }
  return lines;
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

// The ranking by expected verdict: per protocol, lines that met it (threads at their host
// priorities, verdict unbounded for none, bounded for inherit), then misses (mixed before the
// opposite verdict, marked with the expectation), then lines without host priorities (marked,
// whatever their verdict or wait), then failures; within each, by high's wait. The waits are
// chosen so that ranking by wait alone would give another order.
TEST(SummaryRanking, InversionRankedByExpectedVerdictThenWait) {
  const auto record = record_of({
      // "good" meets every verdict; "mixed" and "opposite" apply priorities but miss;
      // "noprio" does not apply host priorities (as tbb); "broken" fails under inherit.
      inversion("noprio", "none", 7e3, 1, 0, false),
      inversion("opposite", "none", 1e6, 1, 0, true),
      inversion("mixed", "none", 5e6, 0.4, 0.6, true),
      inversion("good", "none", 10e6, 0, 1, true),
      inversion("slower", "none", 11e6, 0, 1, true),
      failed_inversion("broken", "inherit"),
      inversion("noprio", "inherit", 14e3, 0.6, 0, false),
      inversion("opposite", "inherit", 10e6, 0, 1, true),
      inversion("mixed", "inherit", 3e6, 0.6, 0.4, true),
      inversion("good", "inherit", 1e6, 1, 0, true),
      inversion("good", "ceiling", 1e6, 1, 0, true),
      inversion("noprio", "ceiling", 2e3, 1, 0, false),
  });
  const std::string table = summary_table(record);
  EXPECT_NE(table.find("expected verdict first: none unbounded, inherit bounded, ceiling bounded"),
            std::string::npos)
      << table;
  EXPECT_EQ(inversion_lines(table, "none"),
            (std::vector<std::string>{"good unbounded", "slower unbounded",
                                      "mixed mixed  (expected unbounded)",
                                      "opposite bounded  (expected unbounded)",
                                      "noprio bounded  (host priorities not applied)"}))
      << table;
  EXPECT_EQ(
      inversion_lines(table, "inherit"),
      (std::vector<std::string>{"good bounded", "mixed mixed  (expected bounded)",
                                "opposite unbounded  (expected bounded)",
                                "noprio mixed  (host priorities not applied)", "broken failed"}))
      << table;
  EXPECT_EQ(
      inversion_lines(table, "ceiling"),
      (std::vector<std::string>{"good bounded", "noprio bounded  (host priorities not applied)"}))
      << table;
}

// A case with no reference line (as creation/ddi: its reference is measured inside the
// benchmark) shows the benchmark's vs_ref counter; a case with neither shows "-".
TEST(SummaryRanking, CaseWithoutReferenceLineShowsItsVsRefCounter) {
  const auto timed = [](const std::string& name, double p50_ns, std::optional<double> vs_ref) {
    BenchmarkEntry r;
    r.name = r.run_name = name;
    r.iterations = 5;
    r.real_time = p50_ns / 1e3;
    r.time_unit = "us";
    r.counters = {{"p50_ns", p50_ns}};
    if (vs_ref) r.counters["vs_ref"] = *vs_ref;
    return r;
  };
  const auto record = record_of({
      timed("creation/ddi/backend:pthread/ddi:ps/placement:same_cpu", 10e3, 1.25),
      timed("creation/ddi/backend:pool/ddi:ps/placement:same_cpu", 6e3, 0.75),
      timed("other/case/backend:pool/placement:same_cpu", 6e3, std::nullopt),
  });
  const std::string table = summary_table(record);
  const auto line_of = [&](const std::string& head, const std::string& backend) {
    const auto section = table.find(head + "\n");
    const auto at = table.find(backend, section);
    return section == std::string::npos || at == std::string::npos
               ? std::string()
               : table.substr(at, table.find('\n', at) - at);
  };
  EXPECT_NE(line_of("creation/ddi", "pthread").find("vs_ref   1.25"), std::string::npos) << table;
  EXPECT_NE(line_of("creation/ddi", "pool").find("vs_ref   0.75"), std::string::npos) << table;
  EXPECT_NE(line_of("other/case", "pool").find("vs_ref      -"), std::string::npos) << table;
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
