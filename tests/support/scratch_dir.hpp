// A scratch directory for a test process: /tmp/<prefix>-<pid>, created empty on first use and
// removed when the process exits normally (each discovered test case is its own process), so
// passing tests leave nothing behind and a failing one leaves its files to look at only until the
// next run of that case clears them.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace tpb::test {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix)
      : path_(std::filesystem::temp_directory_path() /
              (prefix + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The process's one scratch directory named `prefix` (the first call's prefix wins).
inline const std::filesystem::path& scratch_dir(const std::string& prefix) {
  static const ScratchDir dir(prefix);
  return dir.path();
}

}  // namespace tpb::test
