// The run record from Google Benchmark's output: its JSON cleaned of non-finite numbers, typed, and
// joined with the tpbench block.
#include <tpb/report.hpp>

#include <array>

namespace tpb::report {

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

BenchmarkOutput parse_benchmark_output(std::string_view text) {
  return parse_benchmark_json(text).get<BenchmarkOutput>();
}

RunRecord make_record(BenchmarkOutput output, RunContext context) {
  RunRecord record;
  record.context = std::move(output.context);
  record.benchmarks = std::move(output.benchmarks);
  record.tpbench = std::move(context);
  record.tpbench.schema_version = kSchemaVersion;
  return record;
}

}  // namespace tpb::report
