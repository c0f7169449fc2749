// `tpbench report RUN.json [--html FILE] [--md FILE] [--csv FILE]`, run as a child process: without
// a format option it writes all three beside the record; a format option writes only that one;
// `tpbench run --report` writes HTML and Markdown beside its record;
// bad input (not a tpbench run, truncated, an unknown schema version, no record, an unwritable
// output path) exits 2 with one line on stderr and leaves no output file behind.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace tpb::test {
namespace {

const std::filesystem::path kRecord = TPB_TEST_DATA_DIR "/reports/run_16cpu.json";

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class ReportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(TPB_TEST_OUTPUT_DIR) / "report_command" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ProcessResult report(std::vector<std::string> args) {
    args.insert(args.begin(), {TPB_TPBENCH, "report"});
    return run_process(args, {}, std::chrono::seconds(60));
  }
  // Nothing but `keep` in the directory: no report, no scratch file.
  void expect_only(const std::vector<std::string>& keep) {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(dir_))
      found.push_back(entry.path().filename().string());
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, keep);
  }
  // Exit 2 with exactly one line on stderr naming the problem.
  static void expect_bad_input(const ProcessResult& r, const std::string& mentions) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
  }
  std::filesystem::path dir_;
};

// No format option: HTML, Markdown and CSV beside the record, their paths printed.
TEST_F(ReportCommand, WritesAllFormatsBesideTheRecord) {
  std::filesystem::copy_file(kRecord, dir_ / "run.json");
  const auto r = report({(dir_ / "run.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_only({"run.csv", "run.html", "run.json", "run.md"});
  for (const char* name : {"run.html", "run.md", "run.csv"})
    EXPECT_NE(r.out.find((dir_ / name).string()), std::string::npos) << r.out;
  EXPECT_EQ(read(dir_ / "run.html").rfind("<!DOCTYPE html>", 0), 0u);
}

// A format option writes only that format, where it says.
TEST_F(ReportCommand, FormatOptionWritesOnlyThatFormat) {
  const auto r = report({kRecord.string(), "--md", (dir_ / "summary.md").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_only({"summary.md"});
  EXPECT_NE(read(dir_ / "summary.md").find("### creation/start_latency"), std::string::npos);
}

// A JSON file that is not a tpbench run (Google Benchmark's own output) is bad input.
TEST_F(ReportCommand, NotATpbenchRunExits2) {
  write(dir_ / "gbench.json", R"({"context": {}, "benchmarks": []})");
  expect_bad_input(report({(dir_ / "gbench.json").string()}), "gbench.json");
  expect_only({"gbench.json"});
}

// A truncated record is bad input.
TEST_F(ReportCommand, TruncatedRecordExits2) {
  const std::string text = read(kRecord);
  write(dir_ / "cut.json", text.substr(0, text.size() / 2));
  expect_bad_input(report({(dir_ / "cut.json").string()}), "cut.json");
  expect_only({"cut.json"});
}

// A schema version this build does not read is bad input.
TEST_F(ReportCommand, UnknownSchemaVersionExits2) {
  auto record = nlohmann::json::parse(read(kRecord));
  record["tpbench"]["schema_version"] = 999;
  write(dir_ / "future.json", record.dump());
  expect_bad_input(report({(dir_ / "future.json").string()}), "schema_version");
  expect_only({"future.json"});
}

// An output path that cannot be written is bad input, and nothing is left behind.
TEST_F(ReportCommand, UnwritableOutputExits2AndLeavesNothing) {
  std::filesystem::create_directory(dir_ / "taken.html");  // a directory where the file would go
  expect_bad_input(report({kRecord.string(), "--html", (dir_ / "taken.html").string(), "--md",
                           (dir_ / "ok.md").string()}),
                   "taken.html");
  expect_only({"taken.html"});
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "taken.html"));
  // Below a regular file no directory can be made.
  write(dir_ / "file", "x");
  expect_bad_input(report({kRecord.string(), "--csv", (dir_ / "file" / "r.csv").string()}),
                   "r.csv");
}

// No record, two records, a missing file: bad usage.
TEST_F(ReportCommand, BadUsageExits2) {
  expect_bad_input(report({}), "RUN.json");
  expect_bad_input(report({kRecord.string(), kRecord.string()}), "one run record");
  expect_bad_input(report({(dir_ / "missing.json").string()}), "missing.json");
  expect_only({});
}

// Without gnuplot the HTML is still written, each chart's place saying why.
TEST_F(ReportCommand, WithoutGnuplotTheHtmlIsStillWritten) {
  const auto r =
      run_process({TPB_TPBENCH, "report", kRecord.string(), "--html", (dir_ / "r.html").string()},
                  {{"TPB_GNUPLOT", "/nonexistent/gnuplot"}}, std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read(dir_ / "r.html");
  EXPECT_NE(html.find("Chart not drawn: gnuplot not found"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
}

// tpbench run --report writes the HTML and Markdown beside the record and prints their paths.
TEST_F(ReportCommand, RunReportWritesHtmlAndMarkdownBesideTheRecord) {
  const auto r = run_process({TPB_TPBENCH, "run", "--quick", "--suite", "c2c", "--no-progress",
                              "--report", "--out", (dir_ / "run.json").string()},
                             {}, std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_only({"run.html", "run.json", "run.md"});
  EXPECT_NE(r.out.find("html: " + (dir_ / "run.html").string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("md: " + (dir_ / "run.md").string()), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tpb::test
