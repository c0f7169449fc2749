// Reading and writing record files. Writes go through a temporary file and rename(2), so an
// interrupted or failed write never leaves half a record where a reader (or a gate) looks.
#include <tpb/report.hpp>

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace tpb::report {
namespace {

// strerror(errno), thread-safe.
std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

std::filesystem::path scratch_path(const std::filesystem::path& path) {
  auto scratch = path;
  scratch += ".tmp." + std::to_string(::getpid());
  return scratch;
}

void create_parent(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
}

}  // namespace

void write_text_file(std::string_view text, const std::filesystem::path& path) {
  create_parent(path);
  const auto scratch = scratch_path(path);
  {
    std::ofstream out(scratch, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(path.string() + ": cannot write: " + errno_text());
    out << text;
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(scratch, ignored);
      throw std::runtime_error(path.string() + ": write failed: " + errno_text());
    }
  }
  std::error_code ec;
  std::filesystem::rename(scratch, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(scratch, ignored);
    throw std::runtime_error(path.string() + ": cannot write: " + ec.message());
  }
}

void write_json_file(const nlohmann::json& record, const std::filesystem::path& path) {
  write_text_file(record.dump(2) + "\n", path);
}

std::string dump_record(const RunRecord& record) {
  return nlohmann::json(record).dump(2) + "\n";
}

void write_record(const RunRecord& record, const std::filesystem::path& path) {
  write_text_file(dump_record(record), path);
}

std::string check_writable(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "is a directory";
  const auto parent = path.parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return "cannot create directory " + parent.string() + ": " + ec.message();
  }
  const auto scratch = scratch_path(path);
  {
    std::ofstream probe(scratch, std::ios::binary | std::ios::trunc);
    if (!probe) return std::string("cannot write: ") + errno_text();
  }
  std::filesystem::remove(scratch, ec);
  return {};
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot read: " + errno_text());
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON: " + e.what());
  }
}

}  // namespace tpb::report
