// Reading and writing record files. Writes go through a temporary file, fsync(2) and rename(2),
// then a sync of the directory, so an interrupted or failed write, or a crash of the machine, never
// leaves half a record where a reader (or a gate) looks.
#include <tpb/report.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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
  const auto fail = [&](const char* what, int error) {
    ::unlink(scratch.c_str());
    throw std::runtime_error(path.string() + ": " + what + ": " +
                             std::error_code(error, std::generic_category()).message());
  };
  const int fd = ::open(scratch.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw std::runtime_error(path.string() + ": cannot write: " + errno_text());
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      fail("write failed", error);
    }
    done += static_cast<std::size_t>(n);
  }
  // The data reaches the disk before the name does: after a crash the path holds the old file or
  // the whole new one, never an empty or partial one.
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail("write failed", error);
  }
  if (::close(fd) != 0) fail("write failed", errno);
  if (::rename(scratch.c_str(), path.c_str()) != 0) fail("cannot write", errno);
  // And the rename itself: sync the directory. Best effort: the file is in place either way.
  const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (const int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
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
