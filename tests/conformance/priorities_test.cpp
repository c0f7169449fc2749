// Priorities: docs/contracts.md section 3 behaviours 16 and 38-45 (1.5 KeSetPriorityThread /
// KeQueryPriorityThread, 1.6 KeSetBasePriorityThread, current documentation text) as decided in
// section 6 (0 stored as 1; system process base 8, configurable), and section 6 "Priorities on
// Linux": the KPRIORITY -> host map, what the host thread actually runs at (read inside the
// routine with sched_getscheduler/getpriority on its tid), "applied, or reported unsupported",
// and the strict and best-effort policies. Out-of-range KeSetPriorityThread (bug check 0xC4) is in
// violations_test.
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <thread>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

using tpb::HostPriority;

// A thread parked on a gate, with its handle and a referenced object.
struct Parked {
  Gate gate;
  HANDLE handle = nullptr;
  PKTHREAD thread = nullptr;
  NTSTATUS start() {
    NTSTATUS s = spawn(&handle, [this] { gate.wait(); });
    if (NT_SUCCESS(s)) thread = reference_thread(handle);
    return s;
  }
  void finish() {
    gate.open();
    if (thread) {
      EXPECT_EQ(wait_object(thread), STATUS_SUCCESS);
      ObDereferenceObject(thread);
    }
    if (handle) {
      EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);
    }
  }
  KPRIORITY base() {
    THREAD_BASIC_INFORMATION info{};
    EXPECT_EQ(basic_info(handle, info), STATUS_SUCCESS);
    return info.BasePriority;
  }
};

}  // namespace

// 16, 38: KeSetPriorityThread(t, p) returns the previous priority and KeQueryPriorityThread(t)
// == p, for p in 1..31
TEST_P(Conformance, SetPriorityReturnsPreviousAndQueries) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Parked t;
  ASSERT_EQ(t.start(), STATUS_SUCCESS);
  EXPECT_EQ(KeQueryPriorityThread(t.thread), 8);
  KPRIORITY previous = 8;
  for (KPRIORITY p = 1; p <= 31; ++p) {
    EXPECT_EQ(KeSetPriorityThread(t.thread, p), previous) << p;
    EXPECT_EQ(KeQueryPriorityThread(t.thread), p);
    previous = p;
  }
  KeSetPriorityThread(t.thread, 8);
  t.finish();
}

// 39, 40 (section 6: 0 stored as 1): from 8, setting 9..31 returns 8..30; from 8, setting 7..0
// returns 8..1, and 0 is stored as 1
TEST_P(Conformance, SetPriorityIncrementAndDecrement) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Parked t;
  ASSERT_EQ(t.start(), STATUS_SUCCESS);
  for (KPRIORITY p = 9; p <= 31; ++p) EXPECT_EQ(KeSetPriorityThread(t.thread, p), p - 1) << p;
  EXPECT_EQ(KeSetPriorityThread(t.thread, 8), 31);
  for (KPRIORITY p = 7; p >= 0; --p) EXPECT_EQ(KeSetPriorityThread(t.thread, p), p + 1) << p;
  EXPECT_EQ(KeQueryPriorityThread(t.thread), 1) << "0 must be stored as 1";
  EXPECT_EQ(KeSetPriorityThread(t.thread, 0), 1);
  EXPECT_EQ(KeQueryPriorityThread(t.thread), 1);
  // The thread sets its own priority too.
  KPRIORITY seen_old = -1, seen_new = -1;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    seen_old = KeSetPriorityThread(KeGetCurrentThread(), 13);
                    seen_new = KeQueryPriorityThread(KeGetCurrentThread());
                  }),
            STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(seen_old, 8);
  EXPECT_EQ(seen_new, 13);
  t.finish();
}

// 41 (real-time process base 16, as in DataCore): KeSetBasePriorityThread(t, 0) then (t, i) for
// i = 1..15 returns i-1; the base is 16 + i
TEST_P(Conformance, SetBasePriorityIncrementsRealTimeBase) {
  tpb::Runtime rt(options().system_process_base_priority(16).initial_thread_priority(16));
  tpb::RuntimeScope scope(rt);
  Parked t;
  ASSERT_EQ(t.start(), STATUS_SUCCESS);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 0), 0);
  for (LONG i = 1; i <= 15; ++i) {
    EXPECT_EQ(KeSetBasePriorityThread(t.thread, i), i - 1) << i;
    EXPECT_EQ(t.base(), 16 + i);
    EXPECT_EQ(KeQueryPriorityThread(t.thread), 16 + i);
  }
  KeSetBasePriorityThread(t.thread, 0);
  t.finish();
}

// 41 (variable process base 8): i = 1..7 returns i-1; i = -1..-7 returns i+1; the base follows
TEST_P(Conformance, SetBasePriorityVariableBase) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Parked t;
  ASSERT_EQ(t.start(), STATUS_SUCCESS);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 0), 0);
  for (LONG i = 1; i <= 7; ++i) {
    EXPECT_EQ(KeSetBasePriorityThread(t.thread, i), i - 1) << i;
    EXPECT_EQ(t.base(), 8 + i);
  }
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 0), 7);
  for (LONG i = -1; i >= -7; --i) {
    EXPECT_EQ(KeSetBasePriorityThread(t.thread, i), i + 1) << i;
    EXPECT_EQ(t.base(), 8 + i);
  }
  t.finish();
}

// 42, 43: variable class (base 8): +10 stores base 15, not 18; -10 stores 1, not -2; the
// previous increment is reported from the stored base
TEST_P(Conformance, SetBasePriorityKeepsVariableClass) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Parked t;
  ASSERT_EQ(t.start(), STATUS_SUCCESS);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 10), 0);
  EXPECT_EQ(t.base(), 15);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, -10), 7);
  EXPECT_EQ(t.base(), 1);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 0), -7);
  EXPECT_EQ(t.base(), 8);
  t.finish();
}

// 44: real-time class (base 16): results clamped to 16..31
TEST_P(Conformance, SetBasePriorityKeepsRealTimeClass) {
  tpb::Runtime rt(options().system_process_base_priority(16).initial_thread_priority(16));
  tpb::RuntimeScope scope(rt);
  Parked t;
  ASSERT_EQ(t.start(), STATUS_SUCCESS);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, -5), 0);
  EXPECT_EQ(t.base(), 16);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 15), 0);
  EXPECT_EQ(t.base(), 31);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 0), 15);
  t.finish();
}

// 45: |Increment| >= 16 saturates: the next call reports +-16; the base is the class's end
TEST_P(Conformance, SetBasePrioritySaturation) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Parked t;
  ASSERT_EQ(t.start(), STATUS_SUCCESS);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 16), 0);
  EXPECT_EQ(t.base(), 15);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, -16), 16);
  EXPECT_EQ(t.base(), 1);
  EXPECT_EQ(KeSetBasePriorityThread(t.thread, 0), -16);
  EXPECT_EQ(t.base(), 8);
  t.finish();
}

// section 6 map: 8 -> other/nice 0, 15 -> nice -10, 1 -> nice 19, 16 -> fifo 1, 31 -> fifo 76,
// linear and monotonic between
TEST_P(Conformance, HostPriorityMap) {
  using P = HostPriority::Policy;
  EXPECT_EQ(tpb::host_priority_for(8), (HostPriority{P::other, 0, 0}));
  EXPECT_EQ(tpb::host_priority_for(15), (HostPriority{P::other, -10, 0}));
  EXPECT_EQ(tpb::host_priority_for(1), (HostPriority{P::other, 19, 0}));
  EXPECT_EQ(tpb::host_priority_for(16), (HostPriority{P::fifo, 0, 1}));
  EXPECT_EQ(tpb::host_priority_for(31), (HostPriority{P::fifo, 0, 76}));
  for (KPRIORITY p = 2; p <= 15; ++p) {
    auto lo = tpb::host_priority_for(p - 1), hi = tpb::host_priority_for(p);
    EXPECT_EQ(hi.policy, P::other) << p;
    EXPECT_LT(hi.nice, lo.nice) << p;
  }
  for (KPRIORITY p = 17; p <= 31; ++p) {
    auto lo = tpb::host_priority_for(p - 1), hi = tpb::host_priority_for(p);
    EXPECT_EQ(hi.policy, P::fifo) << p;
    EXPECT_GT(hi.rt_priority, lo.rt_priority) << p;
    EXPECT_EQ(hi.rt_priority, 1 + (p - 16) * 5) << p;  // 75 levels over 15 steps
  }
}

// section 6 host scheduling: a thread created at KPRIORITY p (initial_thread_priority) runs on the
// host at host_priority_for(p) - or the runtime says it applied the nearest / could not
TEST_P(Conformance, InitialPriorityRunsOnTheHost) {
  for (KPRIORITY p : {1, 8, 12, 15, 16, 24, 31}) {
    SCOPED_TRACE(p);
    tpb::Runtime rt(options().initial_thread_priority(p));
    tpb::RuntimeScope scope(rt);
    HostPriority observed;
    KPRIORITY queried = -1;
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h,
                    [&] {
                      observed = read_own_host_priority();
                      queried = KeQueryPriorityThread(KeGetCurrentThread());
                    }),
              STATUS_SUCCESS);
    PKTHREAD t = reference_thread(h);
    join_and_close(h);
    EXPECT_EQ(queried, p);
    expect_host_priority(rt, t, p, observed);
    ObDereferenceObject(t);
  }
}

// section 6 host scheduling: KeSetPriorityThread by the thread itself, and by another thread on a
// blocked thread, moves the host priority at once
TEST_P(Conformance, SetPriorityMovesTheHostThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (KPRIORITY p : {1, 15, 16, 31, 8}) {
    SCOPED_TRACE(p);
    // Self.
    HostPriority observed;
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h,
                    [&] {
                      KeSetPriorityThread(KeGetCurrentThread(), p);
                      observed = read_own_host_priority();
                    }),
              STATUS_SUCCESS);
    PKTHREAD t = reference_thread(h);
    join_and_close(h);
    expect_host_priority(rt, t, p, observed);
    ObDereferenceObject(t);
    // Another thread sets it while the target is blocked; the target reads it when woken.
    Gate gate;
    HostPriority later;
    ASSERT_EQ(spawn(&h,
                    [&] {
                      gate.wait();
                      later = read_own_host_priority();
                    }),
              STATUS_SUCCESS);
    t = reference_thread(h);
    EXPECT_EQ(KeSetPriorityThread(t, p), 8);
    gate.open();
    join_and_close(h);
    expect_host_priority(rt, t, p, later);
    ObDereferenceObject(t);
  }
}

// section 6 host scheduling: a thread runs at its own KPRIORITY's host priority whatever the
// creator's: a new host thread inherits its creator's class and nice (SCHED_RESET_ON_FORK turns a
// SCHED_FIFO creator's into SCHED_OTHER nice 0), and a backend that skips setting what is already
// equal, or raises a thread to SCHED_FIFO from inside it, must still set what differs. Creators:
// nice -5; SCHED_FIFO 10; SCHED_FIFO 10 with SCHED_RESET_ON_FORK. Threads at 8, 15, 16 and 24.
TEST_P(Conformance, CreatorsOwnPriorityDoesNotLeakIntoTheThread) {
  struct Creator {
    HostPriority priority;
    bool reset_on_fork;
  };
  const Creator creators[] = {{{HostPriority::Policy::other, -5, 0}, false},
                              {{HostPriority::Policy::fifo, 0, 10}, false},
                              {{HostPriority::Policy::fifo, 0, 10}, true}};
  for (const Creator& creator : creators) {
    if (!host_may_apply(creator.priority))
      GTEST_SKIP() << "the host refuses the creator's priority here";
    for (KPRIORITY p : {8, 15, 16, 24}) {
      if (!host_may_apply(tpb::host_priority_for(p))) continue;
      SCOPED_TRACE(::testing::Message()
                   << "creator " << tpb::to_string(creator.priority)
                   << (creator.reset_on_fork ? " reset-on-fork" : "") << ", KPRIORITY " << p);
      tpb::Runtime rt(options().initial_thread_priority(p));
      HostPriority observed;
      PKTHREAD t = nullptr;
      // A creator of its own, so the test thread's priority is never touched; it only creates
      // and waits, so at SCHED_FIFO it never spins.
      std::thread creator_thread([&] {
        sched_param param{};
        param.sched_priority = creator.priority.rt_priority;
        if (creator.priority.policy == HostPriority::Policy::fifo)
          ASSERT_EQ(sched_setscheduler(
                        0, SCHED_FIFO | (creator.reset_on_fork ? SCHED_RESET_ON_FORK : 0), &param),
                    0);
        else
          ASSERT_EQ(setpriority(PRIO_PROCESS, 0, creator.priority.nice), 0);
        tpb::RuntimeScope scope(rt);
        HANDLE h = nullptr;
        ASSERT_EQ(spawn(&h, [&] { observed = read_own_host_priority(); }), STATUS_SUCCESS);
        t = reference_thread(h);
        join_and_close(h);
        param.sched_priority = 0;
        sched_setscheduler(0, SCHED_OTHER, &param);
      });
      creator_thread.join();
      ASSERT_NE(t, nullptr);
      expect_host_priority(rt, t, p, observed);
      ObDereferenceObject(t);
    }
  }
}

// section 6 host scheduling (pools): a host worker that ran a real-time system thread runs the
// next system thread at that thread's own priority (8 -> other/nice 0), not the previous one's
TEST_P(Conformance, PriorityDoesNotLeakToTheNextThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (int round = 0; round < 4; ++round) {
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h, [] { KeSetPriorityThread(KeGetCurrentThread(), 31); }), STATUS_SUCCESS);
    join_and_close(h);
    HostPriority observed;
    ASSERT_EQ(spawn(&h, [&] { observed = read_own_host_priority(); }), STATUS_SUCCESS);
    PKTHREAD t = reference_thread(h);
    join_and_close(h);
    expect_host_priority(rt, t, 8, observed);
    ObDereferenceObject(t);
  }
}

// section 6 strict policy, process permitted: a permitted priority is applied, creation succeeds
TEST_P(Conformance, StrictPolicyPermittedPriority) {
  const auto requested = tpb::host_priority_for(31);
  tpb::Runtime rt(options()
                      .priority_policy(tpb::PriorityPolicy::strict)
                      .initial_thread_priority(host_may_apply(requested) ? 31 : 8));
  tpb::RuntimeScope scope(rt);
  const KPRIORITY p = host_may_apply(requested) ? 31 : 8;
  HostPriority observed;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [&] { observed = read_own_host_priority(); }), STATUS_SUCCESS);
  PKTHREAD t = reference_thread(h);
  join_and_close(h);
  expect_host_priority(rt, t, p, observed);
  ObDereferenceObject(t);
}

// section 6 strict vs best-effort, process not permitted (a child that dropped root, so neither
// SCHED_FIFO nor negative nice is allowed): strict -> STATUS_PRIVILEGE_NOT_HELD and no thread;
// best-effort -> the thread runs at the nearest permitted priority and the runtime says so
TEST_P(Conformance, UnprivilegedStrictFailsBestEffortNearest) {
  const auto capability = caps().priority;
  auto body = [&]() -> int {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) return 10;
    const auto& rights = tpb::host_scheduling_rights();
    if (rights.rt_permitted) {
      std::fprintf(stderr, "rights probed before privileges were dropped: %s\n",
                   rights.detail.c_str());
      return 11;
    }
    for (KPRIORITY p : {16, 31, 15}) {
      {
        tpb::Runtime rt(
            options().priority_policy(tpb::PriorityPolicy::strict).initial_thread_priority(p));
        tpb::RuntimeScope scope(rt);
        const auto before = Counters::baseline(rt);
        std::atomic<int> ran{0};
        HANDLE h = reinterpret_cast<HANDLE>(0x99);
        NTSTATUS s = spawn(&h, [&] { ran = 1; });
        if (s == STATUS_SUCCESS) {
          // Only a backend that never applies priorities may create (and report unsupported).
          PKTHREAD t = reference_thread(h);
          wait_handle(h);
          ZwClose(h);
          const auto outcome = rt.host_priority(t).outcome;
          ObDereferenceObject(t);
          std::fprintf(stderr, "strict, KPRIORITY %d: created, outcome %s\n", int(p),
                       tpb::to_string(outcome));
          if (capability != tpb::Capabilities::Priority::none) return 20 + p;
          if (outcome != tpb::HostPriorityState::Outcome::unsupported) return 40 + p;
        } else {
          if (s != STATUS_PRIVILEGE_NOT_HELD) return 60 + p;
          if (h != reinterpret_cast<HANDLE>(0x99)) return 80;
          if (!rt.wait_idle(std::chrono::milliseconds(kWaitMs)) || ran.load() != 0) return 81;
          if (!(Counters::of(rt) == before)) return 82;
        }
      }
      {
        tpb::Runtime rt(
            options().priority_policy(tpb::PriorityPolicy::best_effort).initial_thread_priority(p));
        tpb::RuntimeScope scope(rt);
        HostPriority observed;
        HANDLE h = nullptr;
        if (spawn(&h, [&] { observed = read_own_host_priority(); }) != STATUS_SUCCESS) return 90;
        PKTHREAD t = reference_thread(h);
        if (wait_handle(h) != STATUS_SUCCESS) return 91;
        ZwClose(h);
        const auto state = rt.host_priority(t);
        ObDereferenceObject(t);
        if (state.priority != p) return 92;
        using O = tpb::HostPriorityState::Outcome;
        if (capability == tpb::Capabilities::Priority::none) {
          if (state.outcome != O::unsupported) return 93;
        } else {
          if (state.outcome != O::nearest) return 94;
          if (!(state.effective == observed)) return 95;
          if (!host_may_apply(state.effective)) return 96;
        }
      }
    }
    std::fprintf(stderr, "unprivileged policies ok\n");
    return 0;
  };
  EXPECT_EXIT(std::_Exit(body()), testing::ExitedWithCode(0), "unprivileged policies ok");
}

}  // namespace tpb_conf
