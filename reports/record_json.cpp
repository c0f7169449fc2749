// The record's JSON form. Every struct lists its fields once (fields()); writing and reading are
// generic over that list, so a field cannot be written under one name and read under another.
// Reading is strict about types and names the field at fault, with its path, in every error.
#include <tpb/record.hpp>

#include <cmath>
#include <limits>
#include <set>
#include <type_traits>

namespace tpb::report {
namespace {

using nlohmann::json;

// ---- each struct's fields, once
// -------------------------------------------------------------------

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, CacheInfo>
void fields(S& s, F&& f) {
  f("type", s.type);
  f("level", s.level);
  f("size", s.size);
  f("num_sharing", s.num_sharing);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, RecordedOptions>
void fields(S& s, F&& f) {
  f("backends", s.backends);
  f("suites", s.suites);
  f("placements", s.placements);
  f("priorities", s.priorities);
  f("quick", s.quick);
  f("inject_slowdown_pct", s.inject_slowdown_pct);
  f("filter", s.filter);
  f("repetitions", s.repetitions);
  f("min_time_s", s.min_time_s);
  f("out", s.out);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, BackendCapabilities>
void fields(S& s, F&& f) {
  f("priority", s.priority);
  f("affinity", s.affinity);
  f("unpinned_window", s.unpinned_window);
  f("per_cpu_limit", s.per_cpu_limit);
  f("termination", s.termination);
  f("reuses_host_threads", s.reuses_host_threads);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, BackendVariant>
void fields(S& s, F&& f) {
  f("key", s.key);
  f("value", s.value);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, BackendInfo>
void fields(S& s, F&& f) {
  f("name", s.name);
  f("summary", s.summary);
  f("capabilities", s.capabilities);
  f("variants", s.variants);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, CpuInfo>
void fields(S& s, F&& f) {
  f("os_index", s.os_index);
  f("core", s.core);
  f("l3", s.l3);
  f("numa", s.numa);
  f("package", s.package);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, PlacementInfo>
void fields(S& s, F&& f) {
  f("placement", s.placement);
  f("available", s.available);
  f("cpus", s.cpus);
  f("skipped_reason", s.skipped_reason);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, TopologyInfo>
void fields(S& s, F&& f) {
  f("summary", s.summary);
  f("packages", s.packages);
  f("numa_nodes", s.numa_nodes);
  f("l3_groups", s.l3_groups);
  f("cores", s.cores);
  f("logical_cpus", s.logical_cpus);
  f("smt", s.smt);
  f("cpus", s.cpus);
  f("excluded_cpus", s.excluded_cpus);
  f("placements", s.placements);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, KernelInfo>
void fields(S& s, F&& f) {
  f("sysname", s.sysname);
  f("release", s.release);
  f("version", s.version);
  f("machine", s.machine);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, VirtualisationInfo>
void fields(S& s, F&& f) {
  f("virtualised", s.virtualised);
  f("vm", s.vm);
  f("container", s.container);
  f("hypervisor_flag", s.hypervisor_flag);
  f("hypervisor_vendor", s.hypervisor_vendor);
  f("method", s.method);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, SchedulerSettings>
void fields(S& s, F&& f) {
  f("sched_rt_runtime_us", s.sched_rt_runtime_us);
  f("sched_rt_period_us", s.sched_rt_period_us);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, PriorityMapping>
void fields(S& s, F&& f) {
  f("kpriority", s.kpriority);
  f("policy", s.policy);
  f("nice", s.nice);
  f("rt_priority", s.rt_priority);
  f("host", s.host);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, RtPermission>
void fields(S& s, F&& f) {
  f("permitted", s.permitted);
  f("max_rt_priority", s.max_rt_priority);
  f("min_nice", s.min_nice);
  f("detail", s.detail);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, SkippedCase>
void fields(S& s, F&& f) {
  f("what", s.what);
  f("reason", s.reason);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, C2cMatrix>
void fields(S& s, F&& f) {
  f("cpus", s.cpus);
  f("matrix_ns", s.matrix_ns);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, DoctorFinding>
void fields(S& s, F&& f) {
  f("check", s.check);
  f("severity", s.severity);
  f("observed", s.observed);
  f("fix", s.fix);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, Slowdown>
void fields(S& s, F&& f) {
  f("pct", s.pct);
  f("calibrated_ns", s.calibrated_ns);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, PerfPipeAnchor>
void fields(S& s, F&& f) {
  f("command", s.command);
  f("runs_round_trip_ns", s.runs_round_trip_ns);
  f("round_trip_ns", s.round_trip_ns);
  f("note", s.note);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, InversionParameters>
void fields(S& s, F&& f) {
  f("critical_section_ns", s.critical_section_ns);
  f("medium_spin_ns", s.medium_spin_ns);
  f("runs", s.runs);
  f("kpriority", s.kpriority);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, RtLeftover>
void fields(S& s, F&& f) {
  f("found_before", s.found_before);
  f("tids", s.tids);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, BenchFacts>
void fields(S& s, F&& f) {
  f("perf_events", s.perf_events);
  f("references_p50_ns", s.references_p50_ns);
  f("slowdown", s.slowdown);
  f("perf_pipe", s.perf_pipe);
  f("inversion", s.inversion);
  f("rt_leftovers", s.rt_leftovers);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, Dispersion>
void fields(S& s, F&& f) {
  f("repetitions", s.repetitions);
  f("median_ns", s.median_ns);
  f("min_ns", s.min_ns);
  f("max_ns", s.max_ns);
  f("cv", s.cv);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, WallSeconds>
void fields(S& s, F&& f) {
  f("total", s.total);
  f("by_case", s.by_case);
}

template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, BenchmarkContext>
void fields(S& s, F&& f) {
  f("date", s.date);
  f("host_name", s.host_name);
  f("executable", s.executable);
  f("num_cpus", s.num_cpus);
  f("mhz_per_cpu", s.mhz_per_cpu);
  f("cpu_scaling_enabled", s.cpu_scaling_enabled);
  f("caches", s.caches);
  f("load_avg", s.load_avg);
  f("library_build_type", s.library_build_type);
}

// The tpbench block without the derived machine block.
template <class S, class F>
requires std::is_same_v<std::remove_const_t<S>, RunContext>
void fields(S& s, F&& f) {
  f("schema_version", s.schema_version);
  f("version", s.version);
  f("git_revision", s.git_revision);
  f("command_line", s.command_line);
  f("partial", s.partial);
  f("options", s.options);
  f("cpu_model", s.cpu_model);
  f("backends", s.backends);
  f("topology", s.topology);
  f("kernel", s.kernel);
  f("virtualisation", s.virtualisation);
  f("scheduler", s.scheduler);
  f("priority_map", s.priority_map);
  f("rt", s.rt);
  f("skipped", s.skipped);
  f("c2c", s.c2c);
  f("doctor", s.doctor);
  f("bench", s.bench);
  f("wall_seconds", s.wall_seconds);
  f("dispersion", s.dispersion);
}

template <class T>
concept HasFields = requires(T& t) {
  fields(t, [](const char*, auto&) {});
};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsMap : std::false_type {};
template <class T>
struct IsMap<std::map<std::string, T>> : std::true_type {};

// ---- writing
// ---------------------------------------------------------------------------------------

template <class T>
json encode(const T& value) {
  if constexpr (IsOptional<T>::value) {
    return value ? encode(*value) : json(nullptr);
  } else if constexpr (IsVector<T>::value) {
    json out = json::array();
    for (const auto& item : value) out.push_back(encode(item));
    return out;
  } else if constexpr (IsMap<T>::value) {
    json out = json::object();
    for (const auto& [key, item] : value) out[key] = encode(item);
    return out;
  } else if constexpr (HasFields<const T>) {
    json out = json::object();
    fields(value, [&](const char* name, const auto& member) { out[name] = encode(member); });
    return out;
  } else {
    return json(value);  // NaN and infinities become null
  }
}

// ---- reading
// ---------------------------------------------------------------------------------------

std::string index_path(const std::string& key, std::size_t i) {
  return key + "[" + std::to_string(i) + "]";
}

template <class T>
void decode(const json& j, T& out);
template <class S>
void decode_fields(const json& j, S& s);

template <class T>
void decode_field(const json& j, const std::string& name, T& out) {
  try {
    decode(j, out);
  } catch (const RecordFieldError& e) {
    throw e.under(name);
  }
}

template <class T>
void decode(const json& j, T& out) {
  if constexpr (IsOptional<T>::value) {
    if (j.is_null()) {
      out.reset();
    } else {
      out.emplace();
      decode(j, *out);
    }
  } else if constexpr (IsVector<T>::value) {
    if (!j.is_array())
      throw RecordFieldError("", std::string("expected an array, got ") + j.type_name());
    out.clear();
    out.resize(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      try {
        decode(j[i], out[i]);
      } catch (const RecordFieldError& e) {
        const std::string& inner = e.field();
        std::string path = index_path("", i);
        if (!inner.empty() && inner.front() != '[') path += '.';
        path += inner;
        throw RecordFieldError(path, e.problem());
      }
    }
  } else if constexpr (IsMap<T>::value) {
    if (!j.is_object())
      throw RecordFieldError("", std::string("expected an object, got ") + j.type_name());
    out.clear();
    for (const auto& [key, item] : j.items()) decode_field(item, key, out[key]);
  } else if constexpr (std::is_same_v<T, RunContext> || std::is_same_v<T, BenchmarkEntry>) {
    from_json(j, out);
  } else if constexpr (HasFields<T>) {
    decode_fields(j, out);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean())
      throw RecordFieldError("", std::string("expected true or false, got ") + j.type_name());
    out = j.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!j.is_number_integer())
      throw RecordFieldError("", std::string("expected an integer, got ") + j.type_name());
    out = j.get<T>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (j.is_null()) {
      out = std::numeric_limits<T>::quiet_NaN();  // a non-finite value was written as null
    } else if (j.is_number()) {
      out = j.get<T>();
    } else {
      throw RecordFieldError("", std::string("expected a number, got ") + j.type_name());
    }
  } else {
    static_assert(std::is_same_v<T, std::string>);
    if (!j.is_string())
      throw RecordFieldError("", std::string("expected a string, got ") + j.type_name());
    out = j.get<std::string>();
  }
}

// Reads every listed field of `s` from the object `j`. A missing optional field reads as nullopt;
// a missing required one is an error.
template <class S>
void decode_fields(const json& j, S& s) {
  if (!j.is_object())
    throw RecordFieldError("", std::string("expected an object, got ") + j.type_name());
  fields(s, [&](const char* name, auto& member) {
    using Member = std::remove_reference_t<decltype(member)>;
    const auto it = j.find(name);
    if (it == j.end()) {
      if constexpr (IsOptional<Member>::value) {
        member.reset();
        return;
      } else {
        throw RecordFieldError(name, "missing");
      }
    }
    decode_field(*it, name, member);
  });
}

// Google Benchmark's entry fields that are not user counters.
const std::set<std::string, std::less<>> kEntryFields = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
    "repetition_index", "threads", "aggregate_name", "aggregate_unit", "error_occurred",
    "error_message", "iterations", "real_time", "cpu_time", "time_unit", "label",
    // complexity and memory-manager fields: written by Google Benchmark, unused by tpbench
    "big_o", "cpu_coefficient", "real_coefficient", "rms", "allocs_per_iter", "max_bytes_used",
    "total_allocated_bytes", "net_heap_growth"};

template <class T>
void decode_required(const json& j, const char* name, T& out) {
  const auto it = j.find(name);
  if (it == j.end()) throw RecordFieldError(name, "missing");
  decode_field(*it, name, out);
}

template <class T>
void decode_if_present(const json& j, const char* name, T& out) {
  if (const auto it = j.find(name); it != j.end()) decode_field(*it, name, out);
}

}  // namespace

RecordFieldError::RecordFieldError(std::string field, const std::string& problem)
    : std::runtime_error(field.empty() ? problem : field + ": " + problem),
      field_(std::move(field)),
      problem_(problem) {}

RecordFieldError RecordFieldError::under(const std::string& parent) const {
  if (field_.empty()) return {parent, problem_};
  return {field_.front() == '[' ? parent + field_ : parent + "." + field_, problem_};
}

void to_json(json& j, const CacheInfo& v) {
  j = encode(v);
}
void from_json(const json& j, CacheInfo& v) {
  decode_fields(j, v);
}
void to_json(json& j, const RecordedOptions& v) {
  j = encode(v);
}
void from_json(const json& j, RecordedOptions& v) {
  decode_fields(j, v);
}
void to_json(json& j, const BackendCapabilities& v) {
  j = encode(v);
}
void from_json(const json& j, BackendCapabilities& v) {
  decode_fields(j, v);
}
void to_json(json& j, const BackendVariant& v) {
  j = encode(v);
}
void from_json(const json& j, BackendVariant& v) {
  decode_fields(j, v);
}
void to_json(json& j, const BackendInfo& v) {
  j = encode(v);
}
void from_json(const json& j, BackendInfo& v) {
  decode_fields(j, v);
}
void to_json(json& j, const CpuInfo& v) {
  j = encode(v);
}
void from_json(const json& j, CpuInfo& v) {
  decode_fields(j, v);
}
void to_json(json& j, const PlacementInfo& v) {
  j = encode(v);
}
void from_json(const json& j, PlacementInfo& v) {
  decode_fields(j, v);
}
void to_json(json& j, const TopologyInfo& v) {
  j = encode(v);
}
void from_json(const json& j, TopologyInfo& v) {
  decode_fields(j, v);
}
void to_json(json& j, const KernelInfo& v) {
  j = encode(v);
}
void from_json(const json& j, KernelInfo& v) {
  decode_fields(j, v);
}
void to_json(json& j, const VirtualisationInfo& v) {
  j = encode(v);
}
void from_json(const json& j, VirtualisationInfo& v) {
  decode_fields(j, v);
}
void to_json(json& j, const SchedulerSettings& v) {
  j = encode(v);
}
void from_json(const json& j, SchedulerSettings& v) {
  decode_fields(j, v);
}
void to_json(json& j, const PriorityMapping& v) {
  j = encode(v);
}
void from_json(const json& j, PriorityMapping& v) {
  decode_fields(j, v);
}
void to_json(json& j, const RtPermission& v) {
  j = encode(v);
}
void from_json(const json& j, RtPermission& v) {
  decode_fields(j, v);
}
void to_json(json& j, const SkippedCase& v) {
  j = encode(v);
}
void from_json(const json& j, SkippedCase& v) {
  decode_fields(j, v);
}
void to_json(json& j, const C2cMatrix& v) {
  j = encode(v);
}
void from_json(const json& j, C2cMatrix& v) {
  decode_fields(j, v);
}
void to_json(json& j, const DoctorFinding& v) {
  j = encode(v);
}
void from_json(const json& j, DoctorFinding& v) {
  decode_fields(j, v);
}
void to_json(json& j, const Slowdown& v) {
  j = encode(v);
}
void from_json(const json& j, Slowdown& v) {
  decode_fields(j, v);
}
void to_json(json& j, const PerfPipeAnchor& v) {
  j = encode(v);
}
void from_json(const json& j, PerfPipeAnchor& v) {
  decode_fields(j, v);
}
void to_json(json& j, const InversionParameters& v) {
  j = encode(v);
}
void from_json(const json& j, InversionParameters& v) {
  decode_fields(j, v);
}
void to_json(json& j, const RtLeftover& v) {
  j = encode(v);
}
void from_json(const json& j, RtLeftover& v) {
  decode_fields(j, v);
}
void to_json(json& j, const BenchFacts& v) {
  j = encode(v);
}
void from_json(const json& j, BenchFacts& v) {
  decode_fields(j, v);
}
void to_json(json& j, const Dispersion& v) {
  j = encode(v);
}
void from_json(const json& j, Dispersion& v) {
  decode_fields(j, v);
}
void to_json(json& j, const WallSeconds& v) {
  j = encode(v);
}
void from_json(const json& j, WallSeconds& v) {
  decode_fields(j, v);
}
void to_json(json& j, const BenchmarkContext& v) {
  j = encode(v);
}
void from_json(const json& j, BenchmarkContext& v) {
  decode_fields(j, v);
}

void to_json(json& j, const RunContext& c) {
  j = encode(c);
  const MachineIdentity machine = machine_identity(c);
  json parts = json::object();
  for (const auto& [name, value] : machine.parts) parts[name] = value;
  j["machine"] = {{"fingerprint", machine.fingerprint}, {"parts", parts}};
}

void from_json(const json& j, RunContext& c) {
  decode_fields(j, c);
  // The stored fingerprint must be the one its facts give: an edited or foreign-built machine
  // block would let `compare` accept records from different machines.
  const auto machine = j.find("machine");
  if (machine == j.end()) throw RecordFieldError("machine", "missing");
  const auto stored = machine->find("fingerprint");
  if (stored == machine->end() || !stored->is_string())
    throw RecordFieldError("machine.fingerprint", "missing or not a string");
  if (stored->get<std::string>() != machine_identity(c).fingerprint)
    throw RecordFieldError("machine.fingerprint",
                           "does not match the facts it is computed from (edited record?)");
}

void to_json(json& j, const BenchmarkEntry& e) {
  j = json::object();
  j["name"] = e.name;
  j["family_index"] = e.family_index;
  j["per_family_instance_index"] = e.per_family_instance_index;
  j["run_name"] = e.run_name;
  j["run_type"] = e.run_type;
  j["repetitions"] = e.repetitions;
  if (e.run_type == "iteration") j["repetition_index"] = e.repetition_index;
  j["threads"] = e.threads;
  if (e.aggregate_name) j["aggregate_name"] = *e.aggregate_name;
  if (e.aggregate_unit) j["aggregate_unit"] = *e.aggregate_unit;
  if (e.error_occurred) {
    j["error_occurred"] = true;
    j["error_message"] = e.error_message.value_or("");
  }
  j["iterations"] = e.iterations;
  j["real_time"] = e.real_time;
  j["cpu_time"] = e.cpu_time;
  j["time_unit"] = e.time_unit;
  if (e.label) j["label"] = *e.label;
  for (const auto& [name, value] : e.counters) j[name] = value;
}

void from_json(const json& j, BenchmarkEntry& e) {
  if (!j.is_object())
    throw RecordFieldError("", std::string("expected an object, got ") + j.type_name());
  e = BenchmarkEntry{};
  decode_required(j, "name", e.name);
  decode_if_present(j, "family_index", e.family_index);
  decode_if_present(j, "per_family_instance_index", e.per_family_instance_index);
  e.run_name = e.name;
  decode_if_present(j, "run_name", e.run_name);
  decode_if_present(j, "run_type", e.run_type);
  decode_if_present(j, "repetitions", e.repetitions);
  decode_if_present(j, "repetition_index", e.repetition_index);
  decode_if_present(j, "threads", e.threads);
  decode_if_present(j, "aggregate_name", e.aggregate_name);
  decode_if_present(j, "aggregate_unit", e.aggregate_unit);
  decode_if_present(j, "error_occurred", e.error_occurred);
  decode_if_present(j, "error_message", e.error_message);
  decode_required(j, "iterations", e.iterations);
  decode_required(j, "real_time", e.real_time);
  decode_required(j, "cpu_time", e.cpu_time);
  decode_required(j, "time_unit", e.time_unit);
  decode_if_present(j, "label", e.label);
  for (const auto& [key, value] : j.items()) {
    if (kEntryFields.count(key)) continue;
    if (!value.is_number() && !value.is_null())
      throw RecordFieldError(key,
                             std::string("a counter must be a number, got ") + value.type_name());
    e.counters[key] =
        value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
  }
}

void to_json(json& j, const BenchmarkOutput& o) {
  j = json::object();
  j["context"] = o.context;
  json benchmarks = json::array();
  for (const auto& e : o.benchmarks) benchmarks.push_back(e);
  j["benchmarks"] = std::move(benchmarks);
}

void from_json(const json& j, BenchmarkOutput& o) {
  if (!j.is_object())
    throw RecordFieldError("", std::string("expected an object, got ") + j.type_name());
  decode_if_present(j, "context", o.context);
  decode_required(j, "benchmarks", o.benchmarks);
}

void to_json(json& j, const RunRecord& r) {
  j = json::object();
  j["context"] = r.context;
  json benchmarks = json::array();
  for (const auto& e : r.benchmarks) benchmarks.push_back(e);
  j["benchmarks"] = std::move(benchmarks);
  j["tpbench"] = r.tpbench;
}

void from_json(const json& j, RunRecord& r) {
  if (!j.is_object())
    throw RecordFieldError("", std::string("expected an object, got ") + j.type_name());
  decode_required(j, "context", r.context);
  decode_required(j, "benchmarks", r.benchmarks);
  decode_required(j, "tpbench", r.tpbench);
}

}  // namespace tpb::report
