// System and user affinity: docs/contracts.md section 7.4, behaviours 80-84. The user affinity is
// remembered once per thread; KeSetSystemAffinityThreadEx returns the previous system affinity (0
// at the user affinity); a revert to 0 always restores the user affinity. Needs two allowed CPUs.
#include "conformance.hpp"

namespace tpb_conf {
namespace {

KAFFINITY bit(int cpu) {
  return KAFFINITY{1} << cpu;
}

// Runs `body` in a system thread of `rt` and waits for it.
void in_thread(std::function<void()> body) {
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, std::move(body)), STATUS_SUCCESS);
  join_and_close(h);
}

}  // namespace

// 80: a fresh thread calls KeRevertToUserAffinityThreadEx(b), later (0) -> back on its user
// affinity
TEST_P(Conformance, RevertToZeroRestoresUserAffinity) {
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two allowed CPUs";
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  std::vector<int> user, on_b, back;
  in_thread([&] {
    user = own_affinity();
    KeRevertToUserAffinityThreadEx(bit(cpus[1]));
    on_b = own_affinity();
    KeRevertToUserAffinityThreadEx(0);
    back = own_affinity();
  });
  EXPECT_EQ(on_b, std::vector<int>{cpus[1]});
  EXPECT_EQ(back, user);
}

// 81: a thread back at its user affinity: KeSetSystemAffinityThreadEx(a) returns 0, runs on a
TEST_P(Conformance, SetSystemAffinityAtUserAffinityReturnsZero) {
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two allowed CPUs";
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KAFFINITY first = 1, again = 1;
  std::vector<int> pinned;
  in_thread([&] {
    first = KeSetSystemAffinityThreadEx(bit(cpus[1]));
    KeRevertToUserAffinityThreadEx(first);
    again = KeSetSystemAffinityThreadEx(bit(cpus[0]));
    pinned = own_affinity();
    KeRevertToUserAffinityThreadEx(again);
  });
  EXPECT_EQ(first, KAFFINITY{0});
  EXPECT_EQ(again, KAFFINITY{0});
  EXPECT_EQ(pinned, std::vector<int>{cpus[0]});
}

// 82: nested: Set(a) -> 0, Set(b) -> a; Revert(a) -> on a; Revert(0) -> user affinity
TEST_P(Conformance, NestedSystemAffinityUnwinds) {
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two allowed CPUs";
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KAFFINITY outer = 1, inner = 0;
  std::vector<int> user, on_a, back;
  in_thread([&] {
    user = own_affinity();
    outer = KeSetSystemAffinityThreadEx(bit(cpus[0]));
    inner = KeSetSystemAffinityThreadEx(bit(cpus[1]));
    KeRevertToUserAffinityThreadEx(inner);
    on_a = own_affinity();
    KeRevertToUserAffinityThreadEx(outer);
    back = own_affinity();
  });
  EXPECT_EQ(outer, KAFFINITY{0});
  EXPECT_EQ(inner, bit(cpus[0]));
  EXPECT_EQ(on_a, std::vector<int>{cpus[0]});
  EXPECT_EQ(back, user);
}

// 83: KeSetSystemAffinityThread(a) pins; KeRevertToUserAffinityThread() restores the user affinity
TEST_P(Conformance, NonExAffinityRoutines) {
  const std::vector<int> cpus = allowed_cpus();
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  std::vector<int> user, pinned, back;
  in_thread([&] {
    user = own_affinity();
    KeSetSystemAffinityThread(bit(cpus.back()));
    pinned = own_affinity();
    KeRevertToUserAffinityThread();
    back = own_affinity();
  });
  EXPECT_EQ(pinned, std::vector<int>{cpus.back()});
  EXPECT_EQ(back, user);
}

// 84: a mask naming no CPU this process may use changes nothing, and is not a system affinity
TEST_P(Conformance, UnusableMaskLeavesAffinityAlone) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  std::vector<int> user, after;
  KAFFINITY previous = 1;
  in_thread([&] {
    user = own_affinity();
    KAFFINITY unusable = 0;
    for (int c = 63; c >= 0; --c)
      if (std::find(user.begin(), user.end(), c) == user.end()) {
        unusable = bit(c);
        break;
      }
    KeSetSystemAffinityThreadEx(unusable);
    after = own_affinity();
    previous = KeSetSystemAffinityThreadEx(unusable);
  });
  EXPECT_EQ(after, user);
  EXPECT_EQ(previous, KAFFINITY{0});
}

}  // namespace tpb_conf
