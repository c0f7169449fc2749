// tpbench topology and run --dry-run: `topology --xml FILE` and `--synthetic DESC` print, as JSON,
// the plan the library computes for that topology (every placement with its CPUs, the c2c pairs,
// sampled above 64 PUs) and refuse bad inputs with exit 2; under a restricted affinity (taskset)
// the host's plan, a dry run and a run's record use only the allowed CPUs and list each skipped
// case once; a dry run measures nothing and writes no record; `run --help` lists exactly the
// placements `--placement` accepts. The built tpbench (TPB_TPBENCH) runs as a child with bounded
// waits.
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tpb/topology.hpp>

#include "process.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;

constexpr int kExitUsage = 2;
constexpr const char* kTaskset = "/usr/bin/taskset";

ProcessResult tpbench(std::vector<std::string> args, const std::string& only_cpu = {}) {
  args.insert(args.begin(), TPB_TPBENCH);
  if (!only_cpu.empty()) args.insert(args.begin(), {kTaskset, "-c", only_cpu});
  return run_process(args, {}, 60s);
}

std::string data_path(const std::string& file) {
  return std::string(TPB_TOPOLOGY_DATA) + "/" + file;
}

std::vector<int> affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

// One line of a dry run: the CPUs column ("unpinned" -> empty) and the benchmark name.
struct DryRunRow {
  std::vector<int> cpus;
  std::string name;
};

struct DryRun {
  std::size_t announced = 0;
  std::vector<DryRunRow> rows;
  std::vector<std::string> skipped;
};

DryRun parse_dry_run(const std::string& out) {
  DryRun d;
  std::istringstream lines(out);
  std::smatch m;
  bool in_skipped = false;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, m, std::regex("^tpbench run --dry-run: (\\d+) benchmarks"))) {
      d.announced = std::stoul(m[1]);
    } else if (line.rfind("skipped", 0) == 0) {
      in_skipped = true;
    } else if (in_skipped && line.rfind("  ", 0) == 0) {  // not the per-reason count after it
      d.skipped.push_back(line);
    } else if (std::regex_match(line, m, std::regex("  (\\S+) +(\\S+/\\S+)"))) {
      DryRunRow row{{}, m[2]};
      if (m[1] != "unpinned") {
        std::stringstream cpus(m[1]);
        for (std::string cpu; std::getline(cpus, cpu, ',');) row.cpus.push_back(std::stoi(cpu));
      }
      d.rows.push_back(row);
    }
  }
  return d;
}

// The JSON plan is the library's plan for the same synthetic topology, row for row.
TEST(CliTopologyPlan, SyntheticJsonIsTheLibraryPlan) {
  const std::string desc = "pack:2 numa:2 l3:2 core:4 pu:2";
  const ProcessResult r = tpbench({"topology", "--synthetic", desc, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const Topology topology = Topology::from_synthetic(desc);
  EXPECT_EQ(json.at("logical_cpus"), 64);
  EXPECT_EQ(json.at("numa_nodes"), 4);
  EXPECT_TRUE(json.at("excluded_cpus").empty());
  const auto plan = topology.plan();
  ASSERT_EQ(json.at("placements").size(), plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto& row = json.at("placements")[i];
    EXPECT_EQ(row.at("placement"), plan[i].name);
    EXPECT_EQ(row.at("available"), plan[i].available);
    if (plan[i].available)
      EXPECT_EQ(row.at("cpus").get<std::vector<int>>(), plan[i].cpus) << plan[i].name;
    else
      EXPECT_EQ(row.at("skipped_reason"), plan[i].skipped_reason);
  }
  EXPECT_FALSE(json.at("c2c").at("sampled"));
  EXPECT_EQ(json.at("c2c").at("pairs").size(), 64U * 63U / 2U);
}

// An XML export above 64 PUs: c2c is sampled; disallowed PUs are listed as excluded.
TEST(CliTopologyPlan, XmlExportsSampledAndExcluded) {
  const ProcessResult big =
      tpbench({"topology", "--xml", data_path("2s-epyc-zen4-384pu.xml"), "--json"});
  ASSERT_EQ(big.exit_code, 0) << big.err;
  const auto zen4 = nlohmann::json::parse(big.out);
  EXPECT_EQ(zen4.at("logical_cpus"), 384);
  EXPECT_TRUE(zen4.at("c2c").at("sampled"));
  EXPECT_EQ(zen4.at("c2c").at("pairs").size(),
            Topology::from_xml(data_path("2s-epyc-zen4-384pu.xml")).c2c_pairs().size());

  const ProcessResult uv = tpbench({"topology", "--xml", data_path("uv2000-disallowed.xml")});
  ASSERT_EQ(uv.exit_code, 0) << uv.err;
  EXPECT_NE(uv.out.find("excluded (offline, disallowed or outside the affinity): 16-63"),
            std::string::npos)
      << uv.out;
  EXPECT_NE(uv.out.find("spread       0-15\n"), std::string::npos) << uv.out;
}

// Unreadable or contradictory inputs exit 2 with one line naming the option.
TEST(CliTopologyPlan, BadInputsExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"topology", "--xml", data_path("no-such-file.xml")},
      {"topology", "--xml", data_path("README.md")},
      {"topology", "--synthetic", "bogus:3"},
      {"topology", "--synthetic", "pack:1000 core:1000 pu:4"},
      {"topology", "--synthetic", "pack:2 pu:2", "--xml", data_path("2s-intel-smt.xml")},
  };
  for (const auto& args : cases) {
    const ProcessResult r = tpbench(args);
    EXPECT_EQ(r.exit_code, kExitUsage) << args.back();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.err.find("--xml") != std::string::npos ||
                r.err.find("--synthetic") != std::string::npos)
        << r.err;
  }
}

// Under taskset -c X the host plan offers CPU X only and says why the pairs are absent.
TEST(CliTopologyPlan, HostPlanUsesOnlyTheAffinity) {
  const std::vector<int> allowed = affinity();
  if (allowed.size() < 2 || !std::filesystem::exists(kTaskset))
    GTEST_SKIP() << "needs two CPUs and taskset";
  const int only = allowed.back();
  const ProcessResult r = tpbench({"topology", "--json"}, std::to_string(only));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json.at("cpus").size(), 1U);
  EXPECT_EQ(json.at("cpus")[0].at("os_index"), only);
  for (const auto& row : json.at("placements")) {
    if (row.at("available"))
      for (int cpu : row.at("cpus")) EXPECT_EQ(cpu, only) << row.dump();
    else
      EXPECT_EQ(row.at("skipped_reason"), "the process may use one CPU only") << row.dump();
  }
  EXPECT_TRUE(json.at("c2c").at("pairs").empty());
}

// A dry run under taskset -c X: every pinned benchmark on X, each skipped case listed once.
TEST(CliTopologyPlan, DryRunUnderTasksetStaysOnAllowedCpu) {
  const std::vector<int> allowed = affinity();
  if (allowed.size() < 2 || !std::filesystem::exists(kTaskset))
    GTEST_SKIP() << "needs two CPUs and taskset";
  const int only = allowed.back();
  const ProcessResult r = tpbench({"run", "--dry-run", "--quick"}, std::to_string(only));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const DryRun d = parse_dry_run(r.out);
  ASSERT_FALSE(d.rows.empty()) << r.out;
  for (const auto& row : d.rows)
    for (int cpu : row.cpus) EXPECT_EQ(cpu, only) << row.name;
  const std::set<std::string> distinct(d.skipped.begin(), d.skipped.end());
  EXPECT_EQ(distinct.size(), d.skipped.size()) << r.out;
  EXPECT_EQ(std::count_if(d.skipped.begin(), d.skipped.end(),
                          [](const std::string& s) {
                            return s.find("placement:other_cpu") != std::string::npos;
                          }),
            1)
      << r.out;
}

// A short real run under taskset -c X: the record's topology block plans on X only, and its
// skipped list names each case once.
TEST(CliTopologyPlan, RecordUnderTasksetPlansOnAllowedCpu) {
  const std::vector<int> allowed = affinity();
  if (allowed.size() < 2 || !std::filesystem::exists(kTaskset))
    GTEST_SKIP() << "needs two CPUs and taskset";
  const int only = allowed.back();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tpbench-taskset-record-" + std::to_string(::getpid()));
  const auto out = dir / "record.json";
  const ProcessResult r =
      tpbench({"run", "--quick", "--no-progress", "--repetitions", "1", "--min-time", "0.001",
               "--filter", "creation/start_latency/backend:reference/placement:same_cpu/priority:8",
               "--out", out.string()},
              std::to_string(only));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(out);
  const auto record = nlohmann::json::parse(in).at("tpbench");
  std::filesystem::remove_all(dir);
  const auto& topology = record.at("topology");
  ASSERT_EQ(topology.at("cpus").size(), 1U);
  EXPECT_EQ(topology.at("cpus")[0].at("os_index"), only);
  for (const auto& row : topology.at("placements")) {
    if (!row.at("available")) continue;
    for (int cpu : row.at("cpus")) EXPECT_EQ(cpu, only) << row.dump();
  }
  std::set<std::string> seen;
  for (const auto& s : record.at("skipped"))
    EXPECT_TRUE(seen.insert(s.at("what").get<std::string>()).second) << s.dump();
  EXPECT_EQ(seen.count("creation/*/placement:other_cpu"), 1U);
}

// A dry run lists what it announces, with CPUs that match the names, and writes nothing.
TEST(CliTopologyPlan, DryRunListsBenchmarksAndMeasuresNothing) {
  const auto out = std::filesystem::temp_directory_path() /
                   ("tpbench-dry-run-" + std::to_string(::getpid())) / "record.json";
  const ProcessResult r = tpbench({"run", "--dry-run", "--quick", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out.parent_path()));
  const DryRun d = parse_dry_run(r.out);
  EXPECT_EQ(d.rows.size(), d.announced);
  const std::vector<int> allowed = affinity();
  std::smatch m;
  for (const auto& row : d.rows) {
    for (int cpu : row.cpus)
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), cpu), allowed.end()) << row.name;
    if (std::regex_search(row.name, m, std::regex("/cpus:(\\d+)-(\\d+)"))) {
      EXPECT_EQ(row.cpus, std::vector<int>({std::stoi(m[1]), std::stoi(m[2])})) << row.name;
    }
    if (row.name.find("placement:same_cpu") != std::string::npos) {
      EXPECT_EQ(row.cpus.size(), 1U) << row.name;
    }
    // inherit pins only the creator, to the first CPU the process may use (so the case holds
    // still between runs); the new thread inherits that placement.
    if (row.name.find("placement:inherit") != std::string::npos) {
      EXPECT_EQ(row.cpus, std::vector<int>({allowed.front()})) << row.name;
    }
  }
}

// run --help lists exactly the placements --placement accepts; an unlisted one is refused.
TEST(CliTopologyPlan, HelpListsExactlyTheAcceptedPlacements) {
  const ProcessResult help = tpbench({"run", "--help"});
  ASSERT_EQ(help.exit_code, 0);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(help.out, m, std::regex("placements, comma-separated \\(([^)]*)\\)")))
      << help.out;
  std::vector<std::string> listed;
  std::stringstream items(std::regex_replace(std::string(m[1]), std::regex("\\s+"), ""));
  for (std::string item; std::getline(items, item, ',');) listed.push_back(item);
  EXPECT_EQ(listed, placement_names());
  for (const std::string& placement : listed) {
    const ProcessResult r = tpbench({"run", "--dry-run", "--quick", "--placement", placement});
    // A placement this machine lacks registers nothing (exit 2), but is never unknown.
    EXPECT_TRUE(r.exit_code == 0 || r.err.find("nothing to run") != std::string::npos)
        << placement << ": " << r.err;
    EXPECT_EQ(r.err.find("unknown placement"), std::string::npos) << placement;
  }
  const ProcessResult bogus = tpbench({"run", "--dry-run", "--placement", "everywhere"});
  EXPECT_EQ(bogus.exit_code, kExitUsage);
  EXPECT_NE(bogus.err.find("unknown placement 'everywhere'"), std::string::npos) << bogus.err;
}

}  // namespace
}  // namespace tpb::test
