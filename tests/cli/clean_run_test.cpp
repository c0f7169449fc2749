// Requirement: a default quick run ends clean. As root, `tpbench run --quick` records no error
// (realtime cases leave no SCHED_FIFO thread behind, whatever ran before them). As `nobody`
// (setpriv, no capabilities), it records no error either: the realtime cases are not registered
// but listed in the record's `skipped` with the refusal's cause, and the summary says once how many
// were skipped and why. The runs are real quick runs (about 30 s each), bounded by a timeout.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;

std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tpbench-clean-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ::chmod(dir.c_str(), 0777);  // writable by nobody too
  return dir;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

std::vector<std::string> errors_in(const nlohmann::json& record) {
  std::vector<std::string> out;
  for (const auto& b : record["benchmarks"])
    if (b.value("error_occurred", false))
      out.push_back(b.value("run_name", "?") + ": " + b.value("error_message", ""));
  return out;
}

// Root: every case registered runs without an error, realtime ones included.
TEST(CleanRun, QuickRunAsRootHasNoErrors) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto dir = scratch_dir("root");
  const auto out = dir / "record.json";
  const ProcessResult r = run_process(
      {TPB_TPBENCH, "run", "--quick", "--no-progress", "--out", out.string()}, {}, 400s);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto record = read_json(out);
  ASSERT_FALSE(record.is_discarded());
  const auto errors = errors_in(record);
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: " << errors.front();
  EXPECT_EQ(r.out.find("reported an error"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

// nobody: no error; the realtime cases are skipped with the cause, counted once in the summary.
TEST(CleanRun, QuickRunAsNobodySkipsRealtimeCasesWithTheirCause) {
  if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/setpriv"))
    GTEST_SKIP() << "needs root and setpriv to become nobody";
  const auto dir = scratch_dir("nobody");
  const auto out = dir / "record.json";
  const ProcessResult r = run_process(
      {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all",
       TPB_TPBENCH, "run", "--quick", "--no-progress", "--out", out.string()},
      {}, 400s);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto record = read_json(out);
  ASSERT_FALSE(record.is_discarded());
  const auto errors = errors_in(record);
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: " << errors.front();
  int realtime_skips = 0;
  for (const auto& s : record["tpbench"]["skipped"])
    if (s["reason"].get<std::string>().find("SCHED_FIFO refused") != std::string::npos) {
      ++realtime_skips;
      EXPECT_NE(s["reason"].get<std::string>().find("fix:"), std::string::npos) << s.dump();
    }
  EXPECT_GT(realtime_skips, 0) << record["tpbench"]["skipped"].dump();
  EXPECT_NE(r.out.find(std::to_string(realtime_skips) + " cases skipped: SCHED_FIFO refused"),
            std::string::npos)
      << r.out;
  for (const auto& b : record["benchmarks"])
    EXPECT_EQ(b["run_name"].get<std::string>().find("inversion/"), std::string::npos)
        << "a realtime case was registered: " << b["run_name"];
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tpb::test
