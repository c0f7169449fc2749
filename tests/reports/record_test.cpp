// The typed run record (tpb/record.hpp): a record assembled from fixed values serialises byte for
// byte to the checked-in golden file and loads back equal; load_record refuses each kind of bad
// file with one line naming the file and the field; the machine fingerprint changes with every
// part it covers and names what differs.
//
// To regenerate the golden file after a deliberate change of the record's shape:
//   TPB_UPDATE_GOLDEN=1 ctest -R RecordGolden   (then review and commit the diff)
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <tpb/record.hpp>
#include <tpb/report.hpp>

namespace tpb::report {
namespace {

// Every field set, optional ones both present and absent, a NaN counter and an error entry.
RunRecord fixed_record() {
  RunRecord r;
  r.context = {"2026-01-02T03:04:05+00:00",
               "ci-runner",
               "/usr/bin/tpbench",
               2,
               2500,
               false,
               {{"Data", 1, 32768, 1}, {"Unified", 3, 33554432, 2}},
               {0.5, 0.25, 0.125},
               "release"};
  BenchmarkEntry ref;
  ref.name = "creation/start_latency/backend:reference/placement:same_cpu/manual_time";
  ref.run_name = ref.name;
  ref.repetitions = 2;
  ref.iterations = 100;
  ref.real_time = 8.5;
  ref.cpu_time = 9.25;
  ref.time_unit = "us";
  ref.counters = {{"p50_ns", 8500},  {"p90_ns", 9000}, {"p99_ns", 12000},
                  {"max_ns", 20000}, {"samples", 100}, {"vs_ref", 1}};
  BenchmarkEntry second = ref;
  second.repetition_index = 1;
  second.real_time = 8.75;
  second.counters["vs_ref"] = std::numeric_limits<double>::quiet_NaN();
  BenchmarkEntry failed = ref;
  failed.name = failed.run_name = "inversion/three_thread/backend:pthread/protocol:inherit";
  failed.error_occurred = true;
  failed.error_message = "RT not permitted";
  failed.label = "skipped";
  failed.counters.clear();
  BenchmarkEntry median = ref;
  median.name = ref.run_name + "_median";
  median.run_type = "aggregate";
  median.aggregate_name = "median";
  median.aggregate_unit = "time";
  median.iterations = 2;
  median.real_time = 8.625;
  r.benchmarks = {ref, second, failed, median};

  RunContext& c = r.tpbench;
  c.version = "0.1.0";
  c.git_revision = "0123456789abcdef0123456789abcdef01234567";
  c.command_line = {"tpbench", "run", "--quick"};
  c.options = {{"pthread"}, {"creation"}, {}, {8, 24}, true, 0, "", 2, 0.05, "run.json"};
  c.cpu_model = "Example CPU @ 2.50GHz";
  c.backends = {{"pthread",
                 "one host thread per system thread",
                 {"applied", true, false, false, true, false},
                 {}},
                {"pool",
                 "per-CPU pool",
                 {"applied", true, true, true, false, true},
                 {{"wake", "park"}, {"wake", "spin"}}}};
  c.topology = {"1 package, 1 NUMA node, 1 L3, 2 cores, 2 PUs",
                1,
                1,
                1,
                2,
                2,
                false,
                {{0, 0, 0, 0, 0}, {1, 1, 0, 0, 0}},
                {2, 3},
                {{"same_cpu", true, std::vector<int>{0}, std::nullopt},
                 {"smt_sibling", false, std::nullopt, "no SMT"}}};
  c.kernel = KernelInfo{"Linux", "6.1.0-18-amd64", "#1 SMP", "x86_64"};
  c.virtualisation = {true, "kvm", std::nullopt, true, "KVMKVMKVM", "cpuid"};
  c.scheduler = {950000, 1000000};
  for (int k = 0; k <= 31; ++k)
    c.priority_map.push_back(
        {k, k >= 16 ? "fifo" : "other", k >= 16 ? 0 : 8 - k, k >= 16 ? k - 15 : 0,
         k >= 16 ? "fifo:" + std::to_string(k - 15) : "other/nice:" + std::to_string(8 - k)});
  c.rt = {false, 0, 0, "RLIMIT_RTPRIO is 0"};
  c.skipped = {{"inversion", "RT not permitted: RLIMIT_RTPRIO is 0"}};
  c.c2c = C2cMatrix{{0, 1}, {{0.0, 55.5}, {55.5, std::nullopt}}};
  c.doctor = {{"governor", "ok", "performance", std::nullopt},
              {"load", "warning", "load 1.5 on 2 CPUs", "stop other work"}};
  c.bench.perf_events = true;
  c.bench.references_p50_ns = {{"creation/start_latency/same_cpu/8", 8500}};
  c.bench.slowdown = {5, {{"creation/start_latency/same_cpu/8", 425}}};
  c.bench.perf_pipe = PerfPipeAnchor{"perf bench sched pipe -T", {4000, 4100}, 4050, "median"};
  c.bench.inversion = InversionParameters{
      2000000, 20000000, 5, {{"controller", 28}, {"high", 24}, {"medium", 20}, {"low", 16}}};
  c.bench.rt_leftovers = {{"inversion/three_thread", {1234}}};
  c.wall_seconds = {12.5, {{"creation/start_latency", 10.25}}};
  return r;
}

std::filesystem::path golden_path() {
  return std::filesystem::path(TPB_TEST_DATA_DIR) / "golden-record.json";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ScratchDir {
 public:
  ScratchDir()
      : path_(std::filesystem::temp_directory_path() /
              ("tpbench-record-test-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    auto path = path_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

 private:
  std::filesystem::path path_;
};

// The message of the RecordError that loading `text` throws, or "" when it loads.
std::string load_error(const std::string& text) {
  const ScratchDir dir;
  const auto path = dir.write("r.json", text);
  try {
    load_record(path);
  } catch (const RecordError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(path.string() + ": ", 0), 0u) << e.what();
    return e.what();
  }
  return "";
}

nlohmann::json fixed_json() {
  return nlohmann::json::parse(dump_record(fixed_record()));
}

// A record from fixed inputs serialises to exactly the checked-in golden file.
TEST(RecordGolden, SerialisesByteForByte) {
  const std::string text = dump_record(fixed_record());
  if (std::getenv("TPB_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden_path(), std::ios::binary) << text;
    GTEST_SKIP() << "golden file rewritten: " << golden_path();
  }
  EXPECT_EQ(text, read_text(golden_path())) << "the record's JSON changed; if deliberate, bump "
                                               "kSchemaVersion when meaning changed and "
                                               "regenerate (see the top of this file)";
}

// The golden file loads back to the same record, and writing that gives the same bytes.
TEST(RecordGolden, LoadsBackUnchanged) {
  const RunRecord loaded = load_record(golden_path());
  EXPECT_EQ(dump_record(loaded), read_text(golden_path()));
  EXPECT_EQ(loaded.benchmarks.size(), 4u);
  EXPECT_TRUE(std::isnan(loaded.benchmarks[1].counters.at("vs_ref")));
  EXPECT_EQ(loaded.benchmarks[3].aggregate_name, "median");
  ASSERT_TRUE(loaded.tpbench.c2c.has_value());
  EXPECT_FALSE(loaded.tpbench.c2c->matrix_ns[1][1].has_value());
  EXPECT_EQ(loaded.tpbench.priority_map.size(), 32u);
  EXPECT_EQ(loaded.tpbench.schema_version, kSchemaVersion);
}

// Each fact is written once: no key of the tpbench block repeats under its bench facts.
TEST(RecordShape, OneOwnerPerFact) {
  const auto block = fixed_json().at("tpbench");
  for (const auto& [key, value] : block.at("bench").items())
    EXPECT_FALSE(block.contains(key)) << key << " appears twice";
  EXPECT_EQ(block.at("schema_version"), kSchemaVersion);
  EXPECT_EQ(block.at("machine").at("fingerprint"),
            machine_identity(fixed_record().tpbench).fingerprint);
}

// Bad files: each is refused with its own reason, naming the field where one is at fault.
TEST(RecordLoad, RefusesEmptyTruncatedAndNonJson) {
  EXPECT_NE(load_error("").find("empty file"), std::string::npos);
  const std::string whole = dump_record(fixed_record());
  for (const std::size_t cut :
       {whole.size() / 4, whole.size() / 2, whole.size() * 3 / 4, whole.size() - 3})
    EXPECT_NE(load_error(whole.substr(0, cut)).find("truncated"), std::string::npos) << cut;
  EXPECT_NE(load_error("{\"a\": }").find("not JSON"), std::string::npos);
  EXPECT_NE(load_error("[1, 2]").find("not a tpbench record"), std::string::npos);
  const ScratchDir dir;
  EXPECT_THROW(load_record(dir.write("x", "") / "missing"), RecordError);
}

// A Google Benchmark file without the tpbench block is not taken for a record.
TEST(RecordLoad, RefusesPlainGoogleBenchmarkFile) {
  auto j = fixed_json();
  j.erase("tpbench");
  const std::string message = load_error(j.dump());
  EXPECT_NE(message.find(": tpbench: "), std::string::npos) << message;
  EXPECT_NE(message.find("Google Benchmark file"), std::string::npos) << message;
}

// A schema version this build does not know is refused, naming both versions.
TEST(RecordLoad, RefusesUnknownSchemaVersion) {
  auto j = fixed_json();
  j["tpbench"]["schema_version"] = kSchemaVersion + 1;
  const std::string message = load_error(j.dump());
  EXPECT_NE(message.find("tpbench.schema_version"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(kSchemaVersion + 1)), std::string::npos) << message;
  j["tpbench"]["schema_version"] = "2";
  EXPECT_NE(load_error(j.dump()).find("expected an integer"), std::string::npos);
}

// A field of the wrong type or a missing required field is named with its full path.
TEST(RecordLoad, NamesTheFieldOfTheWrongType) {
  auto j = fixed_json();
  j["tpbench"]["topology"]["cpus"][1]["core"] = "one";
  std::string message = load_error(j.dump());
  EXPECT_NE(message.find("tpbench.topology.cpus[1].core: expected an integer, got string"),
            std::string::npos)
      << message;

  j = fixed_json();
  j["tpbench"]["rt"].erase("permitted");
  message = load_error(j.dump());
  EXPECT_NE(message.find("tpbench.rt.permitted: missing"), std::string::npos) << message;

  j = fixed_json();
  j["benchmarks"][2]["real_time"] = "fast";
  message = load_error(j.dump());
  EXPECT_NE(message.find("benchmarks[2].real_time: expected a number"), std::string::npos)
      << message;

  j = fixed_json();
  j["tpbench"]["c2c"]["matrix_ns"][0][1] = true;
  message = load_error(j.dump());
  EXPECT_NE(message.find("tpbench.c2c.matrix_ns[0][1]"), std::string::npos) << message;
}

// A machine block that does not match the facts it is computed from is refused.
TEST(RecordLoad, RefusesEditedFingerprint) {
  auto j = fixed_json();
  j["tpbench"]["kernel"]["release"] = "6.2.0";
  const std::string message = load_error(j.dump());
  EXPECT_NE(message.find("tpbench.machine.fingerprint"), std::string::npos) << message;
}

// Every part of the fingerprint changes it, and the difference names that part with both values.
TEST(MachineFingerprint, ChangesWithEachPartAndNamesIt) {
  const RunContext base = fixed_record().tpbench;
  const MachineIdentity id = machine_identity(base);
  EXPECT_EQ(id.fingerprint.size(), 16u);
  EXPECT_EQ(machine_identity(base).fingerprint, id.fingerprint);  // deterministic
  EXPECT_TRUE(machine_differences(id, id).empty());

  struct Change {
    const char* part;
    void (*apply)(RunContext&);
  };
  const Change changes[] = {
      {"cpu_model", [](RunContext& c) { c.cpu_model = "Other CPU"; }},
      {"kernel", [](RunContext& c) { c.kernel->release = "6.2.0"; }},
      {"virtualisation", [](RunContext& c) { c.virtualisation.vm.reset(); }},
      {"topology", [](RunContext& c) { c.topology.summary = "2 packages"; }},
      {"backends", [](RunContext& c) { c.backends.pop_back(); }},
      {"priority_map", [](RunContext& c) { c.priority_map[20].host = "fifo:99"; }},
  };
  for (const Change& change : changes) {
    RunContext other = base;
    change.apply(other);
    const MachineIdentity other_id = machine_identity(other);
    EXPECT_NE(other_id.fingerprint, id.fingerprint) << change.part;
    const auto diff = machine_differences(id, other_id);
    ASSERT_EQ(diff.size(), 1u) << change.part;
    EXPECT_EQ(diff[0].rfind(std::string(change.part) + ": ", 0), 0u) << diff[0];
  }
  // Facts outside the identity (the doctor's findings, timings) do not change it.
  RunContext noisy = base;
  noisy.doctor.clear();
  noisy.wall_seconds.total = 99;
  EXPECT_EQ(machine_identity(noisy).fingerprint, id.fingerprint);
}

}  // namespace
}  // namespace tpb::report
