// Requirement: `tpbench doctor` names the real cause of a SCHED_FIFO refusal, each with its fix:
// root without CAP_SYS_NICE (setpriv drops it from the bounding set), an unprivileged user whose
// RLIMIT_RTPRIO is 0 (setpriv to nobody), and a cgroup v1 cpu group granting no RT runtime (a
// fresh child group, whose cpu.rt_runtime_us starts at 0). Each refusal is produced in a child;
// a case this machine cannot produce (not root, no setpriv, no RT group scheduling) is skipped.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.hpp"

namespace tpb::test {
namespace {

using namespace std::chrono_literals;

// util-linux's tools, by path (the child is started without a PATH search).
constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kPrlimit = "/usr/bin/prlimit";

bool have_setpriv() {
  return std::filesystem::exists(kSetpriv) && std::filesystem::exists(kPrlimit);
}

// The doctor's "rt" finding from `argv` (a prefix such as setpriv, then tpbench doctor --json).
nlohmann::json rt_finding(std::vector<std::string> prefix) {
  prefix.insert(prefix.end(), {TPB_TPBENCH, "doctor", "--json"});
  const ProcessResult r = run_process(prefix, {}, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  if (doc.is_discarded() || !doc.contains("findings")) return {};
  for (const auto& f : doc["findings"])
    if (f.value("check", "") == "rt") return f;
  return {};
}

// Root that lost CAP_SYS_NICE: the capability is named, and how to keep it.
TEST(DoctorRtCause, RootWithoutCapSysNice) {
  if (::geteuid() != 0 || !have_setpriv()) GTEST_SKIP() << "needs root and setpriv";
  const auto f = rt_finding({kSetpriv, "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", "--"});
  ASSERT_FALSE(f.is_null());
  EXPECT_EQ(f["severity"], "warning");
  EXPECT_NE(f["observed"].get<std::string>().find("no_capability"), std::string::npos) << f.dump();
  EXPECT_NE(f["fix"].get<std::string>().find("SYS_NICE"), std::string::npos);
}

// An unprivileged user with RLIMIT_RTPRIO 0: the limit is named, with ulimit -r.
TEST(DoctorRtCause, UserWithZeroRlimit) {
  if (::geteuid() != 0 || !have_setpriv()) GTEST_SKIP() << "needs root and setpriv";
  const auto f = rt_finding({kSetpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             "--inh-caps=-all", kPrlimit, "--rtprio=0", "--"});
  ASSERT_FALSE(f.is_null());
  EXPECT_NE(f["observed"].get<std::string>().find("rlimit_rtprio"), std::string::npos) << f.dump();
  EXPECT_NE(f["fix"].get<std::string>().find("ulimit -r"), std::string::npos);
}

// Root with every capability inside a cpu cgroup without RT runtime: the cgroup is blamed.
TEST(DoctorRtCause, CgroupWithoutRtRuntime) {
  const std::filesystem::path cpu = "/sys/fs/cgroup/cpu";
  if (::geteuid() != 0 || !std::filesystem::exists(cpu / "cpu.rt_runtime_us"))
    GTEST_SKIP() << "needs root and a cgroup v1 cpu controller with RT group scheduling";
  const std::filesystem::path group = cpu / ("tpbench-rt-cause-" + std::to_string(::getpid()));
  if (::mkdir(group.c_str(), 0755) != 0) GTEST_SKIP() << "cannot create " << group;
  struct Remove {
    std::filesystem::path p;
    ~Remove() { ::rmdir(p.c_str()); }
  } remove{group};
  std::ifstream runtime(group / "cpu.rt_runtime_us");
  long us = -1;
  runtime >> us;
  ASSERT_EQ(us, 0) << "a fresh cpu cgroup is expected to start without RT runtime";
  const std::string join = "echo $$ > " + (group / "tasks").string() + " && exec \"$0\" \"$@\"";
  const auto f = rt_finding({"/bin/sh", "-c", join});
  ASSERT_FALSE(f.is_null());
  EXPECT_NE(f["observed"].get<std::string>().find("cgroup_runtime"), std::string::npos) << f.dump();
  EXPECT_NE(f["fix"].get<std::string>().find("cpu.rt_runtime_us"), std::string::npos);
}

}  // namespace
}  // namespace tpb::test
