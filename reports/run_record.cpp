// The run record: Google Benchmark's JSON plus the tpbench block.
#include <tpb/report.hpp>

#include <array>

namespace tpb::report {

nlohmann::json to_json(const RunContext& c) {
  nlohmann::json out;
  out["schema_version"] = kSchemaVersion;
  out["version"] = c.version;
  out["command_line"] = c.command_line;
  out["git_revision"] = c.git_revision ? nlohmann::json(*c.git_revision) : nlohmann::json(nullptr);
  out["partial"] = c.partial;
  out["options"] = c.options;
  out["backends"] = c.backends;
  out["topology"] = c.topology;
  out["kernel"] = c.kernel;
  out["virtualisation"] = c.virtualisation;
  out["scheduler"] = c.scheduler;
  out["priority_map"] = c.priority_map;
  out["rt"] = c.rt;
  out["skipped"] = c.skipped;
  out["c2c"] = c.c2c;
  out["doctor"] = c.doctor;
  out["bench"] = c.bench;
  out["wall_seconds"] = c.wall_seconds;
  return out;
}

nlohmann::json parse_benchmark_json(std::string_view text) {
  // Google Benchmark prints a non-finite double as `"key": NaN` (or -NaN, Infinity, -Infinity) at
  // the end of a line. Only values in that position are rewritten, so names are never touched.
  static constexpr std::array<std::string_view, 4> kNonFinite = {": -Infinity", ": Infinity",
                                                                 ": -NaN", ": NaN"};
  std::string clean;
  clean.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == ':' && i > 0 && text[i - 1] == '"') {
      for (std::string_view token : kNonFinite) {
        const std::size_t end = i + token.size();
        if (text.substr(i, token.size()) == token &&
            (end == text.size() || text[end] == ',' || text[end] == '\n')) {
          clean += ": null";
          i = end;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) clean += text[i++];
  }
  return nlohmann::json::parse(clean);
}

nlohmann::json make_record(nlohmann::json benchmark_json, const RunContext& context) {
  nlohmann::json record = std::move(benchmark_json);
  if (!record.is_object()) record = nlohmann::json::object();
  if (!record.contains("context")) record["context"] = nlohmann::json::object();
  if (!record.contains("benchmarks")) record["benchmarks"] = nlohmann::json::array();
  record["tpbench"] = to_json(context);
  return record;
}

}  // namespace tpb::report
