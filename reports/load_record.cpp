// Reading a record back, for every command that consumes one (report, compare, gate, history).
// Each way a file can fail to be a record gets its own one-line message naming the file and, where
// one field is at fault, the field: a reader of a CI log must see at once what to fix.
#include <tpb/report.hpp>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

namespace tpb::report {
namespace {

// Keeps a message on one line whatever the file held.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

std::string error_text(const std::filesystem::path& file, const std::string& field,
                       const std::string& problem) {
  return one_line(field.empty() ? fmt::format("{}: {}", file.string(), problem)
                                : fmt::format("{}: {}: {}", file.string(), field, problem));
}

std::size_t line_of(const std::string& text, std::size_t byte) {
  byte = std::min(byte, text.size());
  return 1 + static_cast<std::size_t>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n'));
}

}  // namespace

RecordError::RecordError(const std::filesystem::path& file, const std::string& field,
                         const std::string& problem)
    : std::runtime_error(error_text(file, field, problem)), file_(file), field_(field) {}

RunRecord load_record(const std::filesystem::path& path) {
  // An ifstream opens a directory and reads nothing from it: it would pass for an empty file.
  if (std::error_code ec; std::filesystem::is_directory(path, ec))
    throw RecordError(path, "", "a directory, not a record file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw RecordError(path, "",
                      "cannot read: " + std::error_code(errno, std::generic_category()).message());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw RecordError(path, "", "empty file, not a record");

  nlohmann::json j;
  try {
    j = parse_benchmark_json(text);
  } catch (const nlohmann::json::parse_error& e) {
    // The parser stopped at the end of the text: the file was cut short (a killed writer, a
    // full disk), not malformed.
    if (e.byte > text.size() ||
        std::string_view(e.what()).find("end of input") != std::string_view::npos)
      throw RecordError(path, "", "truncated: the JSON ends before it is complete");
    throw RecordError(path, "",
                      fmt::format("not JSON (syntax error on line {})", line_of(text, e.byte)));
  } catch (const nlohmann::json::exception&) {
    throw RecordError(path, "", "not JSON");
  }
  if (!j.is_object()) throw RecordError(path, "", "not a tpbench record (not a JSON object)");
  const auto block = j.find("tpbench");
  if (block == j.end())
    throw RecordError(path, "tpbench",
                      j.contains("benchmarks")
                          ? "missing: a Google Benchmark file, not a tpbench record"
                          : "missing: not a tpbench record");
  if (!block->is_object())
    throw RecordError(path, "tpbench",
                      std::string("expected an object, got ") + block->type_name());
  const auto version = block->find("schema_version");
  if (version == block->end()) throw RecordError(path, "tpbench.schema_version", "missing");
  if (!version->is_number_integer())
    throw RecordError(path, "tpbench.schema_version",
                      std::string("expected an integer, got ") + version->type_name());
  if (version->get<long long>() != kSchemaVersion)
    throw RecordError(path, "tpbench.schema_version",
                      fmt::format("unknown schema version {} (this tpbench reads version {})",
                                  version->get<long long>(), kSchemaVersion));
  try {
    return j.get<RunRecord>();
  } catch (const RecordFieldError& e) {
    throw RecordError(path, e.field(), e.problem());
  }
}

}  // namespace tpb::report
