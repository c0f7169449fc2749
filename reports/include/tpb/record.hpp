// tpb/record.hpp - the run record as typed values, its JSON form and its loader.
//
// A record is Google Benchmark's JSON ("context" and "benchmarks": every repetition plus the
// aggregates, so Google Benchmark's own tools such as compare.py read it) with one more top-level
// object, "tpbench", that says where and how the run was made. docs/run-record.md describes every
// field beside docs/run-record.schema.json.
//
// One owner per fact: each fact lives in exactly one member below and one place in the JSON. The
// machine block is the one derived part: its parts are canonical strings computed from the
// facts that identify a machine (machine_identity()), hashed into the fingerprint that `compare`
// checks; they are written so a reader can see what was hashed, never read back as facts.
//
// Facts the tpbench command could not learn are nullopt (null in JSON), never guessed. Times are
// in Google Benchmark's time_unit; every tpbench counter ending in _ns is nanoseconds.
//
// Thread-safety: plain values and free functions; nothing is shared.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpb::report {

// Bumped whenever a field of the tpbench block changes meaning, moves or is removed. 2: one
// owner per fact (the bench library's copies are gone), typed bench facts, the machine block.
inline constexpr int kSchemaVersion = 2;

// ---- Google Benchmark's part -------------------------------------------------------------------

struct CacheInfo {
  std::string type;  // "Data", "Instruction", "Unified"
  int level = 0;
  std::int64_t size = 0;  // bytes
  int num_sharing = 0;
};

// Google Benchmark's "context" object (its SystemInfo and CPUInfo), as its JSONReporter writes it.
struct BenchmarkContext {
  std::string date;
  std::string host_name;
  std::string executable;
  int num_cpus = 0;
  double mhz_per_cpu = 0;
  bool cpu_scaling_enabled = false;
  std::vector<CacheInfo> caches;
  std::vector<double> load_avg;
  std::string library_build_type;
};

// One entry of "benchmarks": a repetition (run_type "iteration") or an aggregate over the
// repetitions (run_type "aggregate": mean, median, stddev, cv).
struct BenchmarkEntry {
  std::string name;
  std::int64_t family_index = 0;
  std::int64_t per_family_instance_index = 0;
  std::string run_name;
  std::string run_type = "iteration";
  int repetitions = 1;
  int repetition_index = 0;  // iterations only
  int threads = 1;
  std::optional<std::string> aggregate_name;  // aggregates only
  std::optional<std::string> aggregate_unit;  // "time" or "percentage"; aggregates only
  std::int64_t iterations = 0;
  double real_time = 0;
  double cpu_time = 0;
  std::string time_unit = "ns";
  std::optional<std::string> label;
  bool error_occurred = false;
  std::optional<std::string> error_message;
  // User counters, written flat beside the fields above as Google Benchmark does: p50_ns, p90_ns,
  // p99_ns, max_ns, mean_ns (per operation, ns), samples, vs_ref (ratio to the reference's
  // median), and each experiment's own. A non-finite value is NaN here and null in JSON.
  std::map<std::string, double> counters;
};

// The error message of a benchmark that never measured because the run was stopped (Ctrl-C). Such
// entries are not written to a record: with real_time 0 they would read as a -100% change.
inline constexpr std::string_view kNotMeasuredError = "interrupted";

// ---- the tpbench block
// ---------------------------------------------------------------------------

// The command's options as the run applied them.
struct RecordedOptions {
  std::vector<std::string> backends;  // empty: all
  std::vector<std::string> suites;    // empty: all
  std::vector<std::string> placements;
  std::vector<int> priorities;  // KPRIORITY
  bool quick = false;
  double inject_slowdown_pct = 0;
  std::string filter;
  int repetitions = 0;
  double min_time_s = 0;
  std::string out;
};

struct BackendCapabilities {
  std::string priority;  // "applied", "arena-level", "none"
  bool affinity = false;
  bool unpinned_window = false;
  bool per_cpu_limit = false;
  bool termination = false;
  bool reuses_host_threads = false;
};

struct BackendVariant {
  std::string key;    // name segment, e.g. "wake"
  std::string value;  // e.g. "spin"
};

// One registry row.
struct BackendInfo {
  std::string name;
  std::string summary;
  BackendCapabilities capabilities;
  std::vector<BackendVariant> variants;
};

struct CpuInfo {
  int os_index = 0;
  int core = 0;
  int l3 = 0;
  int numa = 0;
  int package = 0;
};

struct PlacementInfo {
  std::string placement;  // same_cpu, other_cpu, smt_sibling, same_l3, ...
  bool available = false;
  std::optional<std::vector<int>> cpus;       // the two CPUs, when available
  std::optional<std::string> skipped_reason;  // when not available
};

// hwloc's view of the host.
struct TopologyInfo {
  std::string summary;  // "1 package, 1 NUMA node, 1 L3, 2 cores, 2 PUs"
  int packages = 0;
  int numa_nodes = 0;
  int l3_groups = 0;
  int cores = 0;
  int logical_cpus = 0;
  bool smt = false;
  std::vector<CpuInfo> cpus;       // the CPUs this process may use
  std::vector<int> excluded_cpus;  // os_index of CPUs present but not usable (offline, taskset)
  std::vector<PlacementInfo> placements;
};

struct KernelInfo {  // uname(2)
  std::string sysname;
  std::string release;
  std::string version;
  std::string machine;
};

struct VirtualisationInfo {
  bool virtualised = false;
  std::optional<std::string> vm;         // "kvm", "vmware", ...
  std::optional<std::string> container;  // "docker", "lxc", ...
  bool hypervisor_flag = false;          // CPUID.1:ECX bit 31
  std::optional<std::string> hypervisor_vendor;
  std::string method;  // how it was learned
};

struct SchedulerSettings {  // /proc/sys/kernel; null when unreadable
  std::optional<std::int64_t> sched_rt_runtime_us;
  std::optional<std::int64_t> sched_rt_period_us;
};

// KPRIORITY -> host scheduling, one row per KPRIORITY 0..31.
struct PriorityMapping {
  int kpriority = 0;
  std::string policy;  // "other" or "fifo"
  int nice = 0;
  int rt_priority = 0;
  std::string host;  // "other/nice:0", "fifo:1"
};

// What this process was allowed to apply.
struct RtPermission {
  bool permitted = false;  // SCHED_FIFO could be set
  int max_rt_priority = 0;
  int min_nice = 0;
  std::string detail;  // why, in words
};

// A case, placement or experiment the run left out, and why.
struct SkippedCase {
  std::string what;  // a benchmark name or a name prefix
  std::string reason;
};

// Core-to-core one-way latency medians, ns. matrix_ns[i][j] is cpus[i] <-> cpus[j]; the diagonal
// is 0 and an unmeasured pair is nullopt.
struct C2cMatrix {
  std::vector<int> cpus;
  std::vector<std::vector<std::optional<double>>> matrix_ns;
};

struct DoctorFinding {
  std::string check;     // "governor", "virtualisation", ...
  std::string severity;  // "ok", "info", "warning"
  std::string observed;
  std::optional<std::string> fix;
};

// The busy delay added to creation and wake paths (--inject-slowdown).
struct Slowdown {
  double pct = 0;
  std::map<std::string, std::int64_t> calibrated_ns;  // reference key -> delay per operation
};

// `perf bench sched pipe -T`, the outside anchor of the same-CPU pipe round trip.
struct PerfPipeAnchor {
  std::string command;
  std::vector<double> runs_round_trip_ns;
  double round_trip_ns = 0;  // median of the runs; 0 when perf was unavailable
  std::string note;
};

// The inversion experiment's fixed parameters.
struct InversionParameters {
  std::int64_t critical_section_ns = 0;
  std::int64_t medium_spin_ns = 0;
  int runs = 0;
  std::map<std::string, int> kpriority;  // role (controller, high, medium, low) -> KPRIORITY
};

// RT threads an earlier case left behind, found (and demoted) before an RT case started.
struct RtLeftover {
  std::string found_before;  // the case about to start
  std::vector<std::int64_t> tids;
};

// What the bench library measured or decided while registering and running, beyond the
// benchmarks themselves. It returns these as values (bench::run_facts()).
struct BenchFacts {
  bool perf_events = false;  // per-thread switch counters came from perf_event_open
  std::map<std::string, double> references_p50_ns;  // reference key -> median, ns
  Slowdown slowdown;
  std::optional<PerfPipeAnchor> perf_pipe;
  std::optional<InversionParameters> inversion;
  std::vector<RtLeftover> rt_leftovers;
};

// The facts that identify a machine, as canonical strings, and their hash. Records with different
// fingerprints were made on machines that are not comparable; machine_differences() names why.
struct MachineIdentity {
  std::string fingerprint;  // FNV-1a 64 over the parts, 16 lowercase hex digits
  // In this order: cpu_model, kernel (release), virtualisation, topology, backends, priority_map.
  std::vector<std::pair<std::string, std::string>> parts;
};

struct WallSeconds {
  double total = 0;
  std::map<std::string, double> by_case;  // "suite/case" -> seconds
};

// How far one benchmark's repetitions disagree: over the per-repetition medians (its p50_ns
// counter where it has one, else its time, in ns), repetitions without an error only.
struct Dispersion {
  int repetitions = 0;   // measured repetitions the figures cover
  double median_ns = 0;  // median of the repetition medians
  double min_ns = 0;     // smallest repetition median
  double max_ns = 0;     // largest repetition median
  double cv = 0;         // sample standard deviation over mean (0 with one repetition)
};

// The "tpbench" block.
struct RunContext {
  int schema_version = kSchemaVersion;
  std::string version;                      // tpbench's version
  std::optional<std::string> git_revision;  // of the source tree tpbench was built from
  std::vector<std::string> command_line;
  bool partial = false;  // interrupted: only what was measured before the stop
  RecordedOptions options;
  std::optional<std::string> cpu_model;  // /proc/cpuinfo "model name"
  std::vector<BackendInfo> backends;     // the registry, in table order
  TopologyInfo topology;
  std::optional<KernelInfo> kernel;
  VirtualisationInfo virtualisation;
  SchedulerSettings scheduler;
  std::vector<PriorityMapping> priority_map;
  RtPermission rt;
  std::vector<SkippedCase> skipped;
  std::optional<C2cMatrix> c2c;  // when the c2c suite ran
  std::vector<DoctorFinding> doctor;
  BenchFacts bench;
  WallSeconds wall_seconds;
  // run name -> dispersion across its repetitions; absent in records older than the field.
  std::optional<std::map<std::string, Dispersion>> dispersion;
};

// Google Benchmark's JSON reporter output: one pass, or the passes merged.
struct BenchmarkOutput {
  BenchmarkContext context;
  std::vector<BenchmarkEntry> benchmarks;
};

struct RunRecord {
  BenchmarkContext context;
  std::vector<BenchmarkEntry> benchmarks;
  RunContext tpbench;
};

// ---- the machine fingerprint
// ---------------------------------------------------------------------

// The machine's identity derived from `context` (written as tpbench.machine).
MachineIdentity machine_identity(const RunContext& context);

// The parts that differ between two identities, one line each: "kernel: 6.1.0-1 vs 6.1.0-2".
// Empty when the fingerprints agree.
std::vector<std::string> machine_differences(const MachineIdentity& a, const MachineIdentity& b);

// ---- JSON
// ----------------------------------------------------------------------------------------
// Conversions for nlohmann_json (found by argument-dependent lookup), so any part can be written
// or read alone (`tpbench topology --json` writes a TopologyInfo). from_json throws
// RecordFieldError naming the field, relative to the object converted.

void to_json(nlohmann::json& j, const CacheInfo& v);
void from_json(const nlohmann::json& j, CacheInfo& v);
void to_json(nlohmann::json& j, const RecordedOptions& v);
void from_json(const nlohmann::json& j, RecordedOptions& v);
void to_json(nlohmann::json& j, const BackendCapabilities& v);
void from_json(const nlohmann::json& j, BackendCapabilities& v);
void to_json(nlohmann::json& j, const BackendVariant& v);
void from_json(const nlohmann::json& j, BackendVariant& v);
void to_json(nlohmann::json& j, const BackendInfo& v);
void from_json(const nlohmann::json& j, BackendInfo& v);
void to_json(nlohmann::json& j, const CpuInfo& v);
void from_json(const nlohmann::json& j, CpuInfo& v);
void to_json(nlohmann::json& j, const PlacementInfo& v);
void from_json(const nlohmann::json& j, PlacementInfo& v);
void to_json(nlohmann::json& j, const TopologyInfo& v);
void from_json(const nlohmann::json& j, TopologyInfo& v);
void to_json(nlohmann::json& j, const KernelInfo& v);
void from_json(const nlohmann::json& j, KernelInfo& v);
void to_json(nlohmann::json& j, const VirtualisationInfo& v);
void from_json(const nlohmann::json& j, VirtualisationInfo& v);
void to_json(nlohmann::json& j, const SchedulerSettings& v);
void from_json(const nlohmann::json& j, SchedulerSettings& v);
void to_json(nlohmann::json& j, const PriorityMapping& v);
void from_json(const nlohmann::json& j, PriorityMapping& v);
void to_json(nlohmann::json& j, const RtPermission& v);
void from_json(const nlohmann::json& j, RtPermission& v);
void to_json(nlohmann::json& j, const SkippedCase& v);
void from_json(const nlohmann::json& j, SkippedCase& v);
void to_json(nlohmann::json& j, const C2cMatrix& v);
void from_json(const nlohmann::json& j, C2cMatrix& v);
void to_json(nlohmann::json& j, const DoctorFinding& v);
void from_json(const nlohmann::json& j, DoctorFinding& v);
void to_json(nlohmann::json& j, const Slowdown& v);
void from_json(const nlohmann::json& j, Slowdown& v);
void to_json(nlohmann::json& j, const PerfPipeAnchor& v);
void from_json(const nlohmann::json& j, PerfPipeAnchor& v);
void to_json(nlohmann::json& j, const InversionParameters& v);
void from_json(const nlohmann::json& j, InversionParameters& v);
void to_json(nlohmann::json& j, const RtLeftover& v);
void from_json(const nlohmann::json& j, RtLeftover& v);
void to_json(nlohmann::json& j, const BenchFacts& v);
void from_json(const nlohmann::json& j, BenchFacts& v);
void to_json(nlohmann::json& j, const Dispersion& v);
void from_json(const nlohmann::json& j, Dispersion& v);
void to_json(nlohmann::json& j, const WallSeconds& v);
void from_json(const nlohmann::json& j, WallSeconds& v);
void to_json(nlohmann::json& j, const BenchmarkEntry& e);
void from_json(const nlohmann::json& j, BenchmarkEntry& e);
void to_json(nlohmann::json& j, const BenchmarkContext& c);
void from_json(const nlohmann::json& j, BenchmarkContext& c);
void to_json(nlohmann::json& j, const RunContext& c);  // includes the machine block
void from_json(const nlohmann::json& j, RunContext& c);
void to_json(nlohmann::json& j, const BenchmarkOutput& o);
void from_json(const nlohmann::json& j, BenchmarkOutput& o);
void to_json(nlohmann::json& j, const RunRecord& r);
void from_json(const nlohmann::json& j, RunRecord& r);

// A field that is missing or of the wrong type, with its path ("tpbench.topology.cpus[1].core").
class RecordFieldError : public std::runtime_error {
 public:
  RecordFieldError(std::string field, const std::string& problem);
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }
  // The same error one level further out: "cpus[1].core" under "topology".
  RecordFieldError under(const std::string& parent) const;

 private:
  std::string field_;
  std::string problem_;
};

// A file that is not a readable tpbench record. what() is one line: "FILE: FIELD: PROBLEM" (or
// "FILE: PROBLEM" when no single field is at fault).
class RecordError : public std::runtime_error {
 public:
  RecordError(const std::filesystem::path& file, const std::string& field,
              const std::string& problem);
  const std::filesystem::path& file() const { return file_; }
  const std::string& field() const { return field_; }

 private:
  std::filesystem::path file_;
  std::string field_;
};

// Reads a record written by `tpbench run`. Throws RecordError when the file cannot be read, is
// empty, truncated or not JSON, has no tpbench block (a plain Google Benchmark file), carries a
// schema_version this build does not read, or has a field of the wrong type.
RunRecord load_record(const std::filesystem::path& path);

// The record as JSON text, as `tpbench run` writes it (two-space indent, keys sorted, newline).
std::string dump_record(const RunRecord& record);

}  // namespace tpb::report
