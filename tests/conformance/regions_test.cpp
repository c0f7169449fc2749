// APCs and regions: docs/contracts.md section 7.2, behaviours 70-73. KeAreApcsDisabled reports
// critical and guarded regions (and an owned kernel mutex) whatever the IRQL; KeAreAllApcsDisabled
// reports guarded regions and IRQL >= APC_LEVEL.
#include "conformance.hpp"

namespace tpb_conf {
namespace {

// Runs `body` in a system thread and waits for it (bounded).
void in_thread(std::function<void()> body) {
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, std::move(body)), STATUS_SUCCESS);
  join_and_close(h);
}

}  // namespace

// 70: outside any region, at APC_LEVEL, DISPATCH_LEVEL and HIGH_LEVEL -> KeAreApcsDisabled FALSE,
// KeAreAllApcsDisabled TRUE; the start routine itself begins inside a critical region
TEST_P(Conformance, ApcsDisabledIgnoresIrqlAllApcsDisabledDoesNot) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  struct Seen {
    BOOLEAN at_start = FALSE;
    BOOLEAN any[3] = {TRUE, TRUE, TRUE};
    BOOLEAN all[3] = {FALSE, FALSE, FALSE};
  } seen;
  in_thread([&] {
    seen.at_start = KeAreApcsDisabled();
    KeLeaveCriticalRegion();
    const KIRQL levels[3] = {APC_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL};
    for (int i = 0; i < 3; ++i) {
      KIRQL old = 0;
      KeRaiseIrql(levels[i], &old);
      seen.any[i] = KeAreApcsDisabled();
      seen.all[i] = KeAreAllApcsDisabled();
    }
    KeLowerIrql(PASSIVE_LEVEL);
    KeEnterCriticalRegion();
  });
  EXPECT_EQ(seen.at_start, TRUE);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(seen.any[i], FALSE);
    EXPECT_EQ(seen.all[i], TRUE);
  }
}

// 71: critical regions nest: two Enters, one Leave -> still TRUE; the second Leave -> FALSE;
// KeAreAllApcsDisabled stays FALSE throughout
TEST_P(Conformance, CriticalRegionsNest) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  BOOLEAN any[4] = {}, all[4] = {TRUE, TRUE, TRUE, TRUE};
  in_thread([&] {
    KeLeaveCriticalRegion();
    KeEnterCriticalRegion();
    KeEnterCriticalRegion();
    any[0] = KeAreApcsDisabled(), all[0] = KeAreAllApcsDisabled();
    KeLeaveCriticalRegion();
    any[1] = KeAreApcsDisabled(), all[1] = KeAreAllApcsDisabled();
    KeLeaveCriticalRegion();
    any[2] = KeAreApcsDisabled(), all[2] = KeAreAllApcsDisabled();
    KeEnterCriticalRegion();
    any[3] = KeAreApcsDisabled(), all[3] = KeAreAllApcsDisabled();
  });
  const BOOLEAN expected_any[4] = {TRUE, TRUE, FALSE, TRUE};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(any[i], expected_any[i]);
    EXPECT_EQ(all[i], FALSE);
  }
}

// 72: a guarded region (also nested twice) -> both questions TRUE; after the Leaves both FALSE
TEST_P(Conformance, GuardedRegionsDisableAllApcs) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  BOOLEAN any[3] = {}, all[3] = {};
  BOOLEAN any_after = TRUE, all_after = TRUE;
  in_thread([&] {
    KeLeaveCriticalRegion();
    KeEnterGuardedRegion();
    any[0] = KeAreApcsDisabled(), all[0] = KeAreAllApcsDisabled();
    KeEnterGuardedRegion();
    any[1] = KeAreApcsDisabled(), all[1] = KeAreAllApcsDisabled();
    KeLeaveGuardedRegion();
    any[2] = KeAreApcsDisabled(), all[2] = KeAreAllApcsDisabled();
    KeLeaveGuardedRegion();
    any_after = KeAreApcsDisabled(), all_after = KeAreAllApcsDisabled();
    KeEnterCriticalRegion();
  });
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(any[i], TRUE);
    EXPECT_EQ(all[i], TRUE);
  }
  EXPECT_EQ(any_after, FALSE);
  EXPECT_EQ(all_after, FALSE);
}

// 73: owning a kernel mutex is a critical region: TRUE while owned (twice, recursively), back to
// FALSE after the last KeReleaseMutex
TEST_P(Conformance, OwnedMutexDisablesApcs) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  BOOLEAN owned = FALSE, recursed = FALSE, after_one = FALSE, released = TRUE;
  in_thread([&] {
    KeLeaveCriticalRegion();
    if (wait_object(&mutex) != STATUS_SUCCESS) return;
    owned = KeAreApcsDisabled();
    if (wait_object(&mutex) != STATUS_SUCCESS) return;
    recursed = KeAreApcsDisabled();
    KeReleaseMutex(&mutex, FALSE);
    after_one = KeAreApcsDisabled();
    KeReleaseMutex(&mutex, FALSE);
    released = KeAreApcsDisabled();
    KeEnterCriticalRegion();
  });
  EXPECT_EQ(owned, TRUE);
  EXPECT_EQ(recursed, TRUE);
  EXPECT_EQ(after_one, TRUE);
  EXPECT_EQ(released, FALSE);
}

// wdm.h: an unmatched KeLeaveCriticalRegion -> BUGCHECK 0x1 APC_INDEX_MISMATCH, exit 134
TEST_P(Conformance, UnmatchedLeaveCriticalRegionIsBugCheck1) {
  auto opts = options();
  EXPECT_EXIT(
      {
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        HANDLE h = nullptr;
        if (spawn(&h, [] {
              KeLeaveCriticalRegion();
              KeLeaveCriticalRegion();
            }) == STATUS_SUCCESS)
          wait_handle(h);
        std::_Exit(0);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0x1 APC_INDEX_MISMATCH");
}

}  // namespace tpb_conf
