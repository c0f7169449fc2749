// A password given in `tpbench run --db postgresql://user:PASSWORD@...` never lands in what the
// run leaves behind: the record's command line holds *** in its place (and the rest of the
// argument as given), and neither the output nor an error line shows it. Against the throwaway
// PostgreSQL server (tests/support/pg_cluster), whose role tpb_secret must give its password.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pg_test_server.hpp"
#include "process.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;

constexpr int kExitUsage = 2;
// The password pg_cluster's tests give the role tpb_secret (the same in every test binary).
constexpr const char* kPassword = "right-password";

ProcessResult tpbench(std::vector<std::string> args) {
  args.insert(args.begin(), TPB_TPBENCH);
  return run_process(args, {}, 240s);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class RedactRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tpbench-redact-run-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// A run that reaches the server with a password: the record is written and appended, and its
// command line holds *** where the password was.
TEST_F(RedactRun, RecordHoldsNoPassword) {
  const auto& server = PgTestServer::get();
  const std::string database = "tpb_redact_" + std::to_string(::getpid());
  server.fresh_database(database);
  server.admin("postgres", std::string("DO $$ BEGIN CREATE ROLE tpb_secret LOGIN PASSWORD '") +
                               kPassword + "'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  server.admin("postgres", "ALTER DATABASE \"" + database + "\" OWNER TO tpb_secret");
  const std::string tail =
      "@/" + database + "?host=" + server.socket_dir() + "&port=" + server.port();
  const auto out = dir_ / "run.json";
  const ProcessResult r = tpbench(
      {"run", "--quick", "--no-progress", "--repetitions", "1", "--min-time", "0.001", "--filter",
       "creation/start_latency/backend:reference/placement:same_cpu/priority:8", "--out",
       out.string(), "--db", std::string("postgresql://tpb_secret:") + kPassword + tail});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("history: appended to"), std::string::npos) << r.out;
  const std::string text = read_text(out);
  EXPECT_EQ(text.find(kPassword), std::string::npos);
  EXPECT_EQ(r.out.find(kPassword), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(kPassword), std::string::npos) << r.err;
  const auto command_line = nlohmann::json::parse(text).at("tpbench").at("command_line");
  ASSERT_FALSE(command_line.empty());
  EXPECT_EQ(command_line.back(), "postgresql://tpb_secret:***" + tail) << command_line.dump();
}

// A server that cannot be reached: the run is refused before measuring (exit 2, one line), the
// line does not show the password, and no record is left with it.
TEST_F(RedactRun, UnreachableServerErrorHoldsNoPassword) {
  const auto out = dir_ / "run.json";
  const ProcessResult r = tpbench({"run", "--quick", "--no-progress", "--out", out.string(), "--db",
                                   "postgresql://u:secret-word@/db?host=/nonexistent"});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.err;
  EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret-word"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("secret-word"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace tpb::test
