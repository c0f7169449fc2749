// tpbench compare on fixed records (tests/data/compare): a known regression and a known
// improvement are classified as such (exit 1); an A/A pair passes (exit 0); records of different
// machines exit 3 naming what differs unless --allow-mismatch; corrupt, truncated, empty and
// aggregates-only files and a plain (non-tpbench) Google Benchmark file exit 2 naming the file,
// and a NaN repetition makes its benchmark invalid, never a silent pass; the
// outputs are byte-identical across two invocations; the JUnit XML validates against the JUnit
// schema (xmllint); Markdown stays under its size limit and says when it truncated.
// The built tpbench runs as a child process with bounded waits.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tpb/compare.hpp>

#include "../cli/process.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;
const std::filesystem::path kData = TPB_COMPARE_DATA;

ProcessResult tpbench(std::vector<std::string> args) {
  args.insert(args.begin(), TPB_TPBENCH);
  return run_process(args, {}, 60s);
}

std::string data(const char* name) {
  return (kData / name).string();
}

std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() /
             (std::string("tpbench-compare-") + info->name() + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::map<std::string, std::string> verdicts(const std::filesystem::path& json) {
  std::map<std::string, std::string> out;
  const auto report = nlohmann::json::parse(read_file(json));
  for (const auto& b : report["benchmarks"])
    out[b["name"].get<std::string>()] = b["verdict"].get<std::string>();
  return out;
}

// A 20% slowdown is a regression, a 20% speed-up an improvement, a 2% change and an unchanged
// benchmark are unchanged, a 30%-spread benchmark is too noisy; the regression exits 1.
TEST(CompareCli, KnownChangesClassified) {
  const auto dir = scratch_dir();
  const auto r = tpbench(
      {"compare", data("base.json"), data("changed.json"), "--json", (dir / "out.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto v = verdicts(dir / "out.json");
  EXPECT_EQ(v.at("fixture/slower/manual_time"), "regression");
  EXPECT_EQ(v.at("fixture/faster/manual_time"), "improvement");
  EXPECT_EQ(v.at("fixture/small_change/manual_time"), "unchanged");
  EXPECT_EQ(v.at("fixture/unchanged/manual_time"), "unchanged");
  EXPECT_EQ(v.at("fixture/noisy/manual_time"), "too noisy");
  EXPECT_NE(r.out.find("1 regression(s)"), std::string::npos) << r.out;
}

// A threshold above the change turns the regression into a pass.
TEST(CompareCli, ThresholdDecides) {
  const auto r = tpbench({"compare", data("base.json"), data("changed.json"), "--threshold", "25"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// An A/A pair (same distributions, fresh noise) passes.
TEST(CompareCli, SameDistributionsPass) {
  const auto r = tpbench({"compare", data("base.json"), data("same.json")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 regression(s)"), std::string::npos) << r.out;
}

// Records of different machines exit 3 naming the facts that differ; --allow-mismatch compares.
TEST(CompareCli, DifferentMachinesRefused) {
  const auto r = tpbench({"compare", data("base.json"), data("other_machine.json")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("kernel"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("topology"), std::string::npos) << r.err;
  EXPECT_EQ(tpbench({"compare", data("base.json"), data("other_machine.json"), "--allow-mismatch"})
                .exit_code,
            0);
}

// Unreadable inputs exit 2 with one line naming the file.
TEST(CompareCli, UnreadableInputsExit2) {
  for (const char* name :
       {"corrupt.json", "truncated.json", "empty.json", "aggregates_only.json", "missing.json"}) {
    const auto r = tpbench({"compare", data("base.json"), data(name)});
    EXPECT_EQ(r.exit_code, 2) << name << ": " << r.err;
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// Two repetitions a side can reach no verdict: exit 3 with one line on stderr saying why. A
// median just under a unit boundary is shown in the next unit ("1 ms"), never as "1e+03 us".
TEST(CompareCli, NothingJudgedSaysWhy) {
  const auto dir = scratch_dir();
  auto record = nlohmann::json::parse(read_file(kData / "base.json"));
  nlohmann::json kept = nlohmann::json::array();
  std::map<std::string, int> seen;
  for (auto& entry : record["benchmarks"]) {
    if (entry["run_type"] != "iteration") continue;
    const int index = seen[entry["run_name"].get<std::string>()]++;
    if (index >= 2) continue;
    entry["p50_ns"] = 999700.0 + index;
    kept.push_back(entry);
  }
  record["benchmarks"] = kept;
  const auto two = (dir / "two.json").string();
  std::ofstream(two) << record.dump();
  const auto r = tpbench({"compare", two, two});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("no benchmark could be judged"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.out.find("1 ms"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("e+03"), std::string::npos) << r.out;
}

// A directory is named as one, not taken for an empty file.
TEST(CompareCli, DirectoryIsNotARecord) {
  const auto r = tpbench({"compare", data("base.json"), scratch_dir().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a directory"), std::string::npos) << r.err;
}

// A Google Benchmark file without the tpbench block is not a record tpbench can judge: exit 2.
TEST(CompareCli, PlainGoogleBenchmarkRefused) {
  const auto r = tpbench({"compare", data("base.json"), data("plain_google_benchmark.json")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("plain_google_benchmark.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a tpbench record"), std::string::npos) << r.err;
}

// A NaN repetition makes that benchmark invalid (JUnit error), stated, never passed silently.
TEST(CompareCli, NanRepetitionIsInvalid) {
  const auto dir = scratch_dir();
  const auto r = tpbench(
      {"compare", data("base.json"), data("nan.json"), "--json", (dir / "out.json").string()});
  EXPECT_EQ(verdicts(dir / "out.json").at("fixture/unchanged/manual_time"), "invalid") << r.out;
  EXPECT_NE(r.out.find("1 invalid"), std::string::npos) << r.out;
}

// Bad usage: one record, a threshold out of range.
TEST(CompareCli, BadUsageExit2) {
  EXPECT_EQ(tpbench({"compare", data("base.json")}).exit_code, 2);
  EXPECT_EQ(
      tpbench({"compare", data("base.json"), data("same.json"), "--threshold", "-1"}).exit_code, 2);
  EXPECT_EQ(tpbench({"compare", data("base.json"), data("same.json"), "--alpha", "1"}).exit_code,
            2);
}

// The same inputs give byte-identical console, Markdown, JUnit and JSON outputs.
TEST(CompareCli, OutputsByteIdentical) {
  const auto dir = scratch_dir();
  std::vector<std::string> stdouts;
  for (const char* run : {"a", "b"}) {
    const auto r = tpbench({"compare", data("base.json"), data("changed.json"), "--md",
                            (dir / (std::string(run) + ".md")).string(), "--junit",
                            (dir / (std::string(run) + ".xml")).string(), "--json",
                            (dir / (std::string(run) + ".json")).string()});
    stdouts.push_back(r.out);
  }
  EXPECT_EQ(stdouts[0], stdouts[1]);
  for (const char* ext : {".md", ".xml", ".json"}) {
    const auto a = read_file(dir / (std::string("a") + ext));
    EXPECT_FALSE(a.empty()) << ext;
    EXPECT_EQ(a, read_file(dir / (std::string("b") + ext))) << ext;
  }
}

// The JUnit XML validates against the JUnit schema; one testcase per benchmark, failure =
// regression, skipped = too noisy, error = invalid. The schema does reject a malformed report.
TEST(CompareCli, JunitValidates) {
  const auto dir = scratch_dir();
  const auto xml = dir / "out.xml";
  tpbench({"compare", data("base.json"), data("nan.json"), "--junit", xml.string()});
  tpbench({"compare", data("base.json"), data("changed.json"), "--junit",
           (dir / "changed.xml").string()});
  for (const auto& file : {xml, dir / "changed.xml"}) {
    const auto check = run_process(
        {"/usr/bin/xmllint", "--noout", "--schema", data("junit.xsd"), file.string()}, {}, 30s);
    EXPECT_EQ(check.exit_code, 0) << check.err;
  }
  const auto text = read_file(dir / "changed.xml");
  EXPECT_NE(text.find("<failure"), std::string::npos);
  EXPECT_NE(text.find("<skipped"), std::string::npos);
  EXPECT_NE(read_file(xml).find("<error"), std::string::npos);

  std::ofstream(dir / "bad.xml") << "<testsuites><testsuite name=\"x\" tests=\"1\">"
                                    "<testcase classname=\"c\"/></testsuite></testsuites>\n";
  const auto bad = run_process(
      {"/usr/bin/xmllint", "--noout", "--schema", data("junit.xsd"), (dir / "bad.xml").string()},
      {}, 30s);
  EXPECT_NE(bad.exit_code, 0);
}

// Markdown above its limit keeps the rows that matter first and states the truncation.
TEST(CompareMarkdown, TruncationStated) {
  compare::Comparison comparison;
  for (int i = 0; i < 2000; ++i) {
    compare::BenchmarkVerdict b;
    b.name = "suite/case/backend:pool/n:" + std::to_string(i) + "/manual_time";
    b.verdict = i == 1999 ? compare::Verdict::kRegression : compare::Verdict::kUnchanged;
    comparison.benchmarks.push_back(b);
  }
  const auto md = compare::markdown_report(comparison);
  EXPECT_LT(md.size(), 64u * 1024u);
  EXPECT_NE(md.find("Truncated"), std::string::npos);
  EXPECT_NE(md.find("n:1999/"), std::string::npos);  // the regression is kept
  EXPECT_EQ(compare::markdown_report(comparison, 1 << 20).find("Truncated"), std::string::npos);
}

}  // namespace
}  // namespace tpb::test
