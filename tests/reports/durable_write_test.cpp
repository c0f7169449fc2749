// write_text_file, the one atomic writer of records and reports, is durable: the temporary file's
// data is synced to disk before it is renamed over the target, and the directory after the rename,
// so a crash leaves the previous file or the whole new one. When the sync fails, the write fails
// naming the path, the previous file is untouched and no temporary file is left.
//
// fsync(2) and rename(3) are interposed in this binary (the dynamic linker finds them here before
// libc): each logs what it was called on, then calls libc's, or fails with EIO when told to.
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tpb/report.hpp>

namespace {

std::vector<std::string> logged_calls;  // "fsync PATH", "rename FROM TO"
bool logging = false;
bool fail_fsync = false;

std::string fd_path(int fd) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec).string();
}

template <typename Fn>
Fn libc(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static const auto real = libc<int (*)(int)>("fsync");
  if (logging) logged_calls.push_back("fsync " + fd_path(fd));
  if (fail_fsync) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

extern "C" int rename(const char* from, const char* to) noexcept {
  static const auto real = libc<int (*)(const char*, const char*)>("rename");
  if (logging) logged_calls.push_back(std::string("rename ") + from + " " + to);
  return real(from, to);
}

namespace tpb::report {
namespace {

class DurableWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("tpbench-durable-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    dir_ = std::filesystem::canonical(dir_);
    logged_calls.clear();
  }
  void TearDown() override {
    logging = false;
    fail_fsync = false;
    std::filesystem::remove_all(dir_);
  }
  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::size_t files() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++n;
    return n;
  }
  std::filesystem::path dir_;
};

// The temporary file is synced, then renamed over the target, then the directory is synced.
TEST_F(DurableWrite, SyncsTheDataBeforeTheRenameAndTheDirectoryAfter) {
  const auto path = dir_ / "run.json";
  logging = true;
  write_text_file("whole\n", path);
  logging = false;
  EXPECT_EQ(read(path), "whole\n");
  ASSERT_EQ(logged_calls.size(), 3U) << ::testing::PrintToString(logged_calls);
  const std::string scratch = logged_calls[0].substr(std::string("fsync ").size());
  EXPECT_EQ(scratch.rfind((dir_ / "run.json.tmp").string(), 0), 0U) << logged_calls[0];
  EXPECT_EQ(logged_calls[1], "rename " + scratch + " " + path.string());
  EXPECT_EQ(logged_calls[2], "fsync " + dir_.string());
}

// A sync that fails is a failed write: the previous file stays, no temporary is left behind.
TEST_F(DurableWrite, FailedSyncKeepsThePreviousFile) {
  const auto path = dir_ / "report.md";
  write_text_file("previous\n", path);
  fail_fsync = true;
  try {
    write_text_file("new\n", path);
    ADD_FAILURE() << "a failed fsync was not reported";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
  fail_fsync = false;
  EXPECT_EQ(read(path), "previous\n");
  EXPECT_EQ(files(), 1U);
}

}  // namespace
}  // namespace tpb::report
