// Requirement: a SCHED_FIFO refusal is blamed on its real cause (missing capability as root,
// RLIMIT_RTPRIO 0, a cgroup with no RT runtime, a global RT runtime of 0), each with its own fix;
// a permitted process is not blamed at all. The classifier is fed injected readings.
#include <gtest/gtest.h>

#include <tpb/rt_refusal.hpp>

namespace {

using tpb::bench::classify_rt_refusal;
using tpb::bench::RtCause;
using tpb::bench::RtReadings;

RtReadings refused_v1() {
  RtReadings r;
  r.rt_permitted = false;
  r.root = true;
  r.cap_sys_nice = true;
  r.rlimit_rtprio = 0;
  r.global_runtime_us = 950000;
  r.cgroup_fs = "tmpfs";
  r.cgroup_path = "/";
  r.cgroup_runtime_us = 950000;
  return r;
}

// Permitted: no cause, no fix.
TEST(RtRefusal, PermittedHasNoFix) {
  RtReadings r = refused_v1();
  r.rt_permitted = true;
  const auto v = classify_rt_refusal(r);
  EXPECT_EQ(v.cause, RtCause::permitted);
  EXPECT_TRUE(v.fix.empty());
}

// Root without CAP_SYS_NICE is a capability problem, fixed by granting it.
TEST(RtRefusal, RootWithoutCapabilityBlamesTheCapability) {
  RtReadings r = refused_v1();
  r.cap_sys_nice = false;
  const auto v = classify_rt_refusal(r);
  EXPECT_EQ(v.cause, RtCause::no_capability);
  EXPECT_NE(v.fix.find("SYS_NICE"), std::string::npos);
  EXPECT_NE(v.fix.find("setcap"), std::string::npos);
}

// An ordinary user with RLIMIT_RTPRIO 0: the limit, fixed by ulimit -r.
TEST(RtRefusal, UserWithZeroRlimitBlamesTheRlimit) {
  RtReadings r = refused_v1();
  r.root = false;
  r.cap_sys_nice = false;
  const auto v = classify_rt_refusal(r);
  EXPECT_EQ(v.cause, RtCause::rlimit_rtprio);
  EXPECT_NE(v.fix.find("ulimit -r"), std::string::npos);
}

// Root with the capability, refused inside a cgroup without RT runtime: the cgroup, not the right.
TEST(RtRefusal, CgroupWithoutRuntimeBlamesTheCgroup) {
  RtReadings r = refused_v1();
  r.cgroup_path = "/docker/abc";
  r.cgroup_runtime_us = 0;
  const auto v = classify_rt_refusal(r);
  EXPECT_EQ(v.cause, RtCause::cgroup_runtime);
  EXPECT_NE(v.fix.find("cpu.rt_runtime_us"), std::string::npos);
  EXPECT_NE(v.fix.find("--cpu-rt-runtime"), std::string::npos);
  EXPECT_NE(v.observed.find("/docker/abc"), std::string::npos);
}

// A user whose limit allows RT but whose cgroup has none is also blamed on the cgroup.
TEST(RtRefusal, UserWithRlimitInEmptyCgroupBlamesTheCgroup) {
  RtReadings r = refused_v1();
  r.root = false;
  r.cap_sys_nice = false;
  r.rlimit_rtprio = 50;
  r.cgroup_path = "/user.slice";
  r.cgroup_runtime_us = 0;
  EXPECT_EQ(classify_rt_refusal(r).cause, RtCause::cgroup_runtime);
}

// The global sched_rt_runtime_us of 0 (the root cgroup follows it): the sysctl.
TEST(RtRefusal, GlobalRuntimeZeroBlamesTheSysctl) {
  RtReadings r = refused_v1();
  r.global_runtime_us = 0;
  r.cgroup_runtime_us = 0;
  const auto v = classify_rt_refusal(r);
  EXPECT_EQ(v.cause, RtCause::global_runtime);
  EXPECT_NE(v.fix.find("sched_rt_runtime_us"), std::string::npos);
}

// On cgroup v2 the observation says there is no RT group controller.
TEST(RtRefusal, CgroupV2SaysThereIsNoRtGroupController) {
  RtReadings r = refused_v1();
  r.cgroup_fs = "cgroup2fs";
  r.cgroup_runtime_us.reset();
  const auto v = classify_rt_refusal(r);
  EXPECT_EQ(v.cause, RtCause::unknown);
  EXPECT_NE(v.observed.find("no RT group controller"), std::string::npos);
}

}  // namespace
