// A full disk while writing: `tpbench run` writing its record and `tpbench report` writing a
// report into a 64 kB tmpfs filled to the last byte exit 2 with one line naming the file, leave
// the file that was there before intact, and the run keeps what it measured in the temporary
// directory (named in that line). The test mounts the tmpfs itself; where mounting is refused
// (not root) it fails: the requirement cannot be shown otherwise.
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include <tpb/record.hpp>

#include "process.hpp"
#include "scratch_dir.hpp"

namespace {

using namespace std::chrono_literals;
using tpb::test::ProcessResult;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A 64 kB tmpfs at dir/full, unmounted on scope exit, holding `previous` as `name` and a filler
// that takes every remaining byte.
class FullDisk {
 public:
  FullDisk(const std::filesystem::path& dir, const std::string& name, const std::string& previous)
      : mount_point_(dir / "full") {
    std::filesystem::create_directories(mount_point_);
    mounted_ = ::mount("tpbench-full", mount_point_.c_str(), "tmpfs", 0, "size=64k") == 0;
    if (!mounted_) {
      error_ = std::error_code(errno, std::generic_category()).message();
      return;
    }
    write_text(mount_point_ / name, previous);
    std::ofstream filler(mount_point_ / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) filler.flush();
    filler.clear();
    for (int i = 0; i < 4096 && filler.put('x'); ++i) filler.flush();
  }
  ~FullDisk() {
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  std::filesystem::path path(const std::string& name) const { return mount_point_ / name; }

 private:
  std::filesystem::path mount_point_;
  bool mounted_ = false;
  std::string error_;
};

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

ProcessResult tpbench(std::vector<std::string> args) {
  args.insert(args.begin(), TPB_TPBENCH);
  return tpb::test::run_process(args, {}, 180s);
}

// A report written to a full disk: exit 2, one line naming the file; the old report is intact.
TEST(FullDisk, ReportExits2AndKeepsThePreviousFile) {
  const auto& dir = tpb::test::scratch_dir("tpbench-full-disk");
  const std::string previous = "# the previous report\n";
  FullDisk disk(dir, "report.md", previous);
  ASSERT_TRUE(disk.mounted()) << "mount -t tmpfs refused: " << disk.error();
  const ProcessResult r = tpbench({"report", TPB_GOLDEN_RECORD, "--md", disk.path("report.md")});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("report.md"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(disk.path("report.md")), previous);
}

// A record written to a full disk: exit 2, one line naming the file and where the measured record
// was kept instead; that record loads; the old record is intact.
TEST(FullDisk, RecordExits2KeepsThePreviousFileAndTheResults) {
  const auto& dir = tpb::test::scratch_dir("tpbench-full-disk");
  const std::string previous = "{\"previous\": true}\n";
  FullDisk disk(dir, "run.json", previous);
  ASSERT_TRUE(disk.mounted()) << "mount -t tmpfs refused: " << disk.error();
  const ProcessResult r =
      tpbench({"run", "--quick", "--no-progress", "--suite", "creation", "--backend", "pthread",
               "--filter", "start_latency", "--repetitions", "1", "--out", disk.path("run.json")});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("run.json"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(disk.path("run.json")), previous);
  const auto kept = r.err.find("kept in ");
  ASSERT_NE(kept, std::string::npos) << r.err;
  std::string saved = r.err.substr(kept + 8);
  while (!saved.empty() && (saved.back() == '\n' || saved.back() == ' ')) saved.pop_back();
  EXPECT_NO_THROW((void)tpb::report::load_record(saved)) << saved;
  std::filesystem::remove(saved);
}

}  // namespace
