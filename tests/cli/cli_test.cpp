// tpbench command-line contract: every subcommand's --help exits 0; bad options and bad
// values exit 2 with one line on stderr naming the option; `list` shows every registry backend;
// `run` writes a record that parses, holds the tpbench block and every repetition of each selected
// benchmark; SIGINT during a run exits 130 and leaves a partial record that parses.
// The tests run the built tpbench (TPB_TPBENCH) as a child process with bounded waits; they check
// behaviour, never timings.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tpb/backend.hpp>
#include <tpb/record.hpp>
#include <tpb/topology.hpp>

#include "process.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;

constexpr int kExitUsage = 2;
constexpr int kExitUntrusted = 3;
constexpr int kExitInterrupted = 130;

ProcessResult tpbench(std::vector<std::string> args, const Environment& env = {},
                      std::chrono::milliseconds timeout = 60s) {
  args.insert(args.begin(), TPB_TPBENCH);
  return run_process(args, env, timeout);
}

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A fresh scratch directory per test.
std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() /
             (std::string("tpbench-cli-") + info->name() + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

// Bad usage: exit 2, nothing on stdout, exactly one line on stderr that mentions `needle`.
void expect_usage_error(const std::vector<std::string>& args, const std::string& needle,
                        const Environment& env = {}) {
  const ProcessResult r = tpbench(args, env);
  SCOPED_TRACE("tpbench " + ::testing::PrintToString(args));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, kExitUsage) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

// Every subcommand (and tpbench itself) answers --help with usage and exit 0.
TEST(CliHelp, EverySubcommandHasHelp) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"list", "--help"},
                                             {"topology", "--help"},
                                             {"doctor", "--help"},
                                             {"run", "--help"}}) {
    const ProcessResult r = tpbench(args);
    EXPECT_EQ(r.exit_code, 0) << args.front() << ": " << r.err;
    EXPECT_NE(r.out.find("Usage: tpbench"), std::string::npos) << r.out;
  }
}

// No command, an unknown command or an unknown option is bad usage.
TEST(CliUsage, UnknownCommandAndOptionExit2) {
  EXPECT_EQ(tpbench({}).exit_code, kExitUsage);
  expect_usage_error({"frobnicate"}, "frobnicate");
  expect_usage_error({"list", "--bogus"}, "--bogus");
  expect_usage_error({"run", "--bogus"}, "--bogus");
  expect_usage_error({"run", "creation"}, "run --help");  // a stray word is not ignored
}

// Each bad run value is refused before anything is measured, naming the option.
TEST(CliUsage, BadRunValuesExit2) {
  expect_usage_error({"run", "--repetitions=-1"}, "--repetitions");
  expect_usage_error({"run", "--repetitions", "0"}, "--repetitions");
  expect_usage_error({"run", "--repetitions", "many"}, "--repetitions");
  expect_usage_error({"run", "--min-time", "0"}, "--min-time");
  expect_usage_error({"run", "--suite", "nosuch"}, "nosuch");
  expect_usage_error({"run", "--placement", "nowhere"}, "nowhere");
  expect_usage_error({"run", "--priority", "32"}, "--priority");
  expect_usage_error({"run", "--priority", "high"}, "--priority");
  expect_usage_error({"run", "--filter", "(unclosed"}, "--filter");
  expect_usage_error({"run", "--filter", "no-benchmark-has-this-name"}, "--filter");
  expect_usage_error({"run", "--inject-slowdown=-5"}, "--inject-slowdown");
}

// An unknown backend is refused with the list of known ones, from the registry.
TEST(CliUsage, UnknownBackendListsKnownOnes) {
  const ProcessResult r = tpbench({"run", "--backend", "pthread,nosuch"});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
  for (const auto& entry : backend_registry())
    EXPECT_NE(r.err.find(std::string(entry.name)), std::string::npos) << r.err;
}

// An --out path that cannot be written (or is a directory) is refused up front.
TEST(CliUsage, UnwritableOutExit2) {
  const auto dir = scratch_dir();
  expect_usage_error({"run", "--out", dir.string()}, "--out");
  expect_usage_error({"run", "--out", "/proc/tpbench-no-such/run.json"}, "--out");
  std::filesystem::remove_all(dir);
}

// TPB_<OPTION> environment variables set options; bad ones are reported like bad options, and a
// value the environment gave names its variable.
TEST(CliEnvironment, VariablesSetOptions) {
  expect_usage_error({"run"}, "--repetitions", {{"TPB_REPETITIONS", "0"}});
  expect_usage_error({"run"}, "TPB_REPETITIONS", {{"TPB_REPETITIONS", "many"}});
  expect_usage_error({"run"}, "TPB_MIN_TIME", {{"TPB_MIN_TIME", "soon"}});
  expect_usage_error({"run"}, "nosuch", {{"TPB_BACKEND", "nosuch"}});
  const ProcessResult r = tpbench({"list"}, {{"TPB_JSON", "1"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::accept(r.out)) << r.out;
}

// list shows every backend of the registry (name and capabilities) and the suites.
TEST(CliList, ShowsEveryRegistryBackend) {
  const ProcessResult text = tpbench({"list"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const ProcessResult json = tpbench({"list", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto listed = nlohmann::json::parse(json.out);
  std::vector<std::string> names;
  for (const auto& b : listed.at("backends")) {
    names.push_back(b.at("name"));
    EXPECT_TRUE(b.at("capabilities").contains("priority"));
  }
  std::vector<std::string> expected;
  for (const auto& entry : backend_registry()) {
    expected.emplace_back(entry.name);
    EXPECT_NE(text.out.find(std::string(entry.name)), std::string::npos);
  }
  EXPECT_EQ(names, expected);
  EXPECT_FALSE(listed.at("suites").empty());
  for (const auto& s : listed.at("suites")) EXPECT_FALSE(s.at("cases").empty()) << s.dump();
}

// list shows every capability of each registry row, thread naming included, in text and JSON.
TEST(CliList, ShowsEveryCapabilityOfEachBackend) {
  const ProcessResult text = tpbench({"list"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const ProcessResult json = tpbench({"list", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto listed = nlohmann::json::parse(json.out).at("backends");
  const auto& registry = backend_registry();
  ASSERT_EQ(listed.size(), registry.size());
  for (std::size_t i = 0; i < registry.size(); ++i) {
    const Capabilities& c = registry[i].capabilities;
    const auto& shown = listed[i].at("capabilities");
    EXPECT_EQ(shown.at("names_host_threads"), c.names_host_threads) << registry[i].name;
    EXPECT_EQ(shown.at("reuses_host_threads"), c.reuses_host_threads) << registry[i].name;
    // The text gives each backend its name line, then its capability line.
    const auto name_line = text.out.find("  " + std::string(registry[i].name) + " ");
    ASSERT_NE(name_line, std::string::npos) << registry[i].name;
    const auto caps_start = text.out.find('\n', name_line) + 1;
    const std::string caps =
        text.out.substr(caps_start, text.out.find('\n', caps_start) - caps_start);
    EXPECT_EQ(caps.find("names host threads") != std::string::npos, c.names_host_threads)
        << registry[i].name << ": " << caps;
  }
}

// topology --json matches the library's view of the host.
TEST(CliTopology, JsonMatchesHost) {
  const ProcessResult r = tpbench({"topology", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto topology = nlohmann::json::parse(r.out);
  EXPECT_EQ(topology.at("logical_cpus"), Topology::host().logical_cpus());
  EXPECT_EQ(topology.at("cpus").size(), Topology::host().cpus().size());
  EXPECT_EQ(topology.at("placements").size(), Topology::host().plan().size());
}

// doctor --json lists findings; --strict exits 3 exactly when a warning stands.
TEST(CliDoctor, StrictFollowsWarnings) {
  const ProcessResult r = tpbench({"doctor", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doctor = nlohmann::json::parse(r.out);
  ASSERT_FALSE(doctor.at("findings").empty());
  for (const auto& f : doctor.at("findings")) {
    EXPECT_TRUE(f.contains("check") && f.contains("severity") && f.contains("fix")) << f.dump();
  }
  const ProcessResult strict = tpbench({"doctor", "--strict"});
  // Warnings (load, virtualisation) can come and go between the two runs: check consistency
  // with the strict run's own summary line.
  const bool warned = strict.out.find("\n0 warnings") == std::string::npos;
  EXPECT_EQ(strict.exit_code, warned ? kExitUntrusted : 0) << strict.out;
}

// Checks a record: it parses, carries the tpbench block, and has every repetition of each
// benchmark the run announced.
void expect_record(const std::filesystem::path& path, const std::string& run_stdout,
                   int repetitions, bool partial) {
  EXPECT_NO_THROW(tpb::report::load_record(path));  // the typed loader reads every field
  const auto record = read_json(path);
  ASSERT_TRUE(record.contains("context"));
  ASSERT_TRUE(record.contains("benchmarks"));
  const auto& block = record.at("tpbench");
  EXPECT_EQ(block.at("schema_version"), tpb::report::kSchemaVersion);
  EXPECT_EQ(block.at("partial"), partial);
  for (const char* key :
       {"command_line", "git_revision", "version", "backends", "topology", "kernel",
        "virtualisation", "scheduler", "priority_map", "rt", "skipped", "c2c", "doctor", "machine"})
    EXPECT_TRUE(block.contains(key)) << key;
  EXPECT_EQ(block.at("priority_map").size(), 32u);
  if (partial) return;
  std::map<std::string, int> repetitions_of;
  for (const auto& b : record.at("benchmarks"))
    if (b.at("run_type") == "iteration") ++repetitions_of[b.at("run_name")];
  std::smatch announced;
  ASSERT_TRUE(
      std::regex_search(run_stdout, announced, std::regex("tpbench run: (\\d+) benchmarks")))
      << run_stdout;
  EXPECT_EQ(repetitions_of.size(), std::stoul(announced[1]));
  for (const auto& [name, count] : repetitions_of) EXPECT_EQ(count, repetitions) << name;
}

// A dry run where every selected case is skipped (root without CAP_SYS_NICE and RLIMIT_RTPRIO 0:
// every inversion case needs SCHED_FIFO) is an answer, not an error: it lists each case with its
// reason, counts them once per reason ("N cases skipped: <reason>") and exits 0, writing nothing.
// The same selection run for real has nothing to measure: exit 2, one line naming the reason.
TEST(CliDryRun, EverythingSkippedListsWhyAndSucceeds) {
  const char* setpriv = "/usr/bin/setpriv";
  const char* prlimit = "/usr/bin/prlimit";
  if (::geteuid() != 0 || !std::filesystem::exists(setpriv) || !std::filesystem::exists(prlimit))
    GTEST_SKIP() << "needs root, setpriv and prlimit to run without the right to SCHED_FIFO";
  const std::vector<std::string> no_rt = {
      setpriv,    "--inh-caps=-sys_nice", "--bounding-set=-sys_nice", prlimit, "--rtprio=0", "--",
      TPB_TPBENCH};
  const auto dir = scratch_dir();
  const auto out = dir / "record.json";
  std::vector<std::string> dry = no_rt;
  dry.insert(dry.end(), {"run", "--dry-run", "--suite", "inversion", "--out", out.string()});
  const ProcessResult r = run_process(dry, {}, 60s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_NE(r.out.find("--dry-run: 0 benchmarks"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\nskipped \\((\\d+)\\):\n"))) << r.out;
  const std::size_t announced = std::stoul(m[1]);
  std::map<std::string, std::size_t> listed;   // reason -> cases listed with it
  std::map<std::string, std::size_t> counted;  // reason -> "N cases skipped: reason"
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, m, std::regex("  (inversion/\\S+): (.+)"))) {
      ++listed[m[2]];
    } else if (std::regex_match(line, m, std::regex("(\\d+) cases? skipped: (.+)"))) {
      EXPECT_TRUE(counted.emplace(m[2], std::stoul(m[1])).second) << "counted twice: " << line;
    }
  }
  std::size_t total = 0;
  for (const auto& [reason, n] : listed) total += n;
  EXPECT_EQ(total, announced) << r.out;
  EXPECT_GT(announced, 0U) << r.out;
  EXPECT_EQ(counted, listed) << r.out;
  EXPECT_TRUE(std::any_of(listed.begin(), listed.end(), [](const auto& l) {
    return l.first.find("SCHED_FIFO") != std::string::npos;
  })) << r.out;

  std::vector<std::string> real = no_rt;
  real.insert(real.end(), {"run", "--no-progress", "--suite", "inversion", "--out", out.string()});
  const ProcessResult refused = run_process(real, {}, 60s);
  EXPECT_EQ(refused.exit_code, kExitUsage) << refused.out << refused.err;
  EXPECT_EQ(line_count(refused.err), 1U) << refused.err;
  EXPECT_NE(refused.err.find("nothing to run"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("cases skipped: SCHED_FIFO"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  std::filesystem::remove_all(dir);
}

// A small --quick selection writes a complete record.
TEST(CliRun, QuickSubsetWritesRecord) {
  const auto dir = scratch_dir();
  const auto out = dir / "nested" / "run.json";
  const ProcessResult r =
      tpbench({"run", "--quick", "--no-progress", "--suite", "creation", "--backend", "pthread",
               "--filter", "start_latency", "--out", out.string()},
              {}, 120s);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(out.string()), std::string::npos) << r.out;
  expect_record(out, r.out, 3, false);
  std::filesystem::remove_all(dir);
}

// The whole --quick preset (the CI gate's input) completes and writes a complete record.
TEST(CliRun, FullQuickRunWritesRecord) {
  const auto dir = scratch_dir();
  const auto out = dir / "quick.json";
  const ProcessResult r =
      tpbench({"run", "--quick", "--no-progress", "--out", out.string()}, {}, 240s);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_record(out, r.out, 3, false);
  std::filesystem::remove_all(dir);
}

// SIGINT while measuring: exit 130 and a partial record that parses.
TEST(CliRun, InterruptWritesPartialRecord) {
  const auto dir = scratch_dir();
  const auto out = dir / "interrupted.json";
  Process run({TPB_TPBENCH, "run", "--no-progress", "--out", out.string()});
  ASSERT_TRUE(run.wait_for_stdout("tpbench run:", 30s));
  std::this_thread::sleep_for(1500ms);  // into the measurements
  run.signal(SIGINT);
  const ProcessResult r = run.wait(60s);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, kExitInterrupted) << r.err;
  ASSERT_TRUE(std::filesystem::exists(out)) << r.out << r.err;
  expect_record(out, r.out, 0, true);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tpb::test
