// StorPort: docs/contracts.md section 3 behaviours 50-58 (1.9) as decided in section 6 (decision 8:
// INVALID_PARAMETER cases, adapter limit of live threads = logical processor count unless
// configured -> STOR_STATUS_UNSUCCESSFUL, Priority NULL = Normal (8), stale or foreign contexts,
// Terminate(NULL) = the caller; group affinity, group 0 only), through SysThreadCreateAdapter.
#include <cstring>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

struct Adapter {
  PVOID extension = nullptr;
  Adapter() { EXPECT_EQ(SysThreadCreateAdapter(64, &extension), STATUS_SUCCESS); }
  ~Adapter() {
    if (!extension) return;
    // Threads that were just signaled may still count for a moment.
    NTSTATUS s = STATUS_INVALID_DEVICE_STATE;
    eventually(
        [&] { return (s = SysThreadDestroyAdapter(extension)) != STATUS_INVALID_DEVICE_STATE; });
    EXPECT_EQ(s, STATUS_SUCCESS);
  }
};

// A StorPort thread blocked on a gate; it keeps a reference on its own thread object so the test
// can wait for it to end (StorPort gives no handle).
struct StorThread {
  Gate gate;
  std::atomic<PKTHREAD> self{nullptr};
  PVOID context = nullptr;
  ULONG start(PVOID extension, PSTOR_THREAD_PRIORITY priority = nullptr) {
    return stor_spawn(
        extension,
        [this] {
          PKTHREAD t = KeGetCurrentThread();
          ObReferenceObject(t);
          self = t;
          gate.wait();
        },
        priority, &context);
  }
  // Lets it return and waits for its object to be signaled.
  void finish() {
    gate.open();
    ASSERT_TRUE(eventually([&] { return self.load() != nullptr; }));
    EXPECT_EQ(wait_object(self.load()), STATUS_SUCCESS);
    ObDereferenceObject(self.load());
  }
};

unsigned logical_cpus() {
  return static_cast<unsigned>(tpb::Topology::host().logical_cpus());
}

}  // namespace

// 50, 53 (Priority NULL = Normal = 8): create -> 0, *ThreadContext non-NULL, accepted by
// StorPortSetPriorityThread; the routine runs at PASSIVE_LEVEL as a system thread
TEST_P(Conformance, StorPortCreateValid) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  KPRIORITY priority = -1, after_set = -1;
  KIRQL irql = 0xFF;
  BOOLEAN system = FALSE;
  Gate gate, started;
  std::atomic<PKTHREAD> self{nullptr};
  PVOID context = nullptr;
  ASSERT_EQ(stor_spawn(
                adapter.extension,
                [&] {
                  irql = KeGetCurrentIrql();
                  system = PsIsSystemThread(PsGetCurrentThread());
                  priority = KeQueryPriorityThread(KeGetCurrentThread());
                  PKTHREAD t = KeGetCurrentThread();
                  ObReferenceObject(t);
                  self = t;
                  started.open();
                  gate.wait();
                  after_set = KeQueryPriorityThread(KeGetCurrentThread());
                },
                nullptr, &context),
            STOR_STATUS_SUCCESS);
  EXPECT_NE(context, nullptr);
  ASSERT_EQ(started.wait(), STATUS_SUCCESS);
  EXPECT_EQ(StorPortSetPriorityThread(adapter.extension, context, StorThreadPriorityCritical),
            STOR_STATUS_SUCCESS);
  gate.open();
  ASSERT_TRUE(eventually([&] { return self.load() != nullptr; }));
  EXPECT_EQ(wait_object(self.load()), STATUS_SUCCESS);
  ObDereferenceObject(self.load());
  EXPECT_EQ(irql, PASSIVE_LEVEL);
  EXPECT_EQ(system, TRUE);
  EXPECT_EQ(priority, 8);
  EXPECT_EQ(after_set, 13);
  // ThreadContext is optional.
  std::atomic<int> ran{0};
  ASSERT_EQ(stor_spawn(
                adapter.extension, [&] { ran = 1; }, nullptr, nullptr),
            STOR_STATUS_SUCCESS);
  EXPECT_TRUE(eventually([&] { return ran.load() == 1; }));
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
}

// 51 (section 6 decision 8): NULL HwDeviceExtension, NULL StartRoutine, an unknown adapter or a
// priority outside the enum -> STOR_STATUS_INVALID_PARAMETER, no thread, nothing written
TEST_P(Conformance, StorPortCreateInvalidParameters) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  const auto before = Counters::baseline(rt);
  std::atomic<int> runs{0};
  auto routine = [](PVOID c) { static_cast<std::atomic<int>*>(c)->fetch_add(1); };
  PVOID context = reinterpret_cast<PVOID>(0x99);
  EXPECT_EQ(StorPortCreateSystemThread(nullptr, routine, &runs, nullptr, &context),
            STOR_STATUS_INVALID_PARAMETER);
  EXPECT_EQ(StorPortCreateSystemThread(adapter.extension, nullptr, &runs, nullptr, &context),
            STOR_STATUS_INVALID_PARAMETER);
  char not_an_adapter[64] = {};
  EXPECT_EQ(StorPortCreateSystemThread(not_an_adapter, routine, &runs, nullptr, &context),
            STOR_STATUS_INVALID_PARAMETER);
  for (int bad : {7, 100, -1}) {
    // What a C caller can pass: any int stored in the enum object.
    STOR_THREAD_PRIORITY p;
    static_assert(sizeof p == sizeof bad);
    std::memcpy(&p, &bad, sizeof p);
    EXPECT_EQ(StorPortCreateSystemThread(adapter.extension, routine, &runs, &p, &context),
              STOR_STATUS_INVALID_PARAMETER)
        << bad;
  }
  EXPECT_EQ(context, reinterpret_cast<PVOID>(0x99));
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(Counters::of(rt), before);
}

// 52 (section 6): the adapter limit counts live threads and defaults to the logical processor
// count; past it -> STOR_STATUS_UNSUCCESSFUL and nothing leaks; once one ended, creation works
TEST_P(Conformance, StorPortAdapterLimitDefault) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  Adapter other;
  const unsigned limit = logical_cpus();
  std::vector<std::unique_ptr<StorThread>> threads;
  for (unsigned i = 0; i < limit; ++i) {
    threads.push_back(std::make_unique<StorThread>());
    ASSERT_EQ(threads.back()->start(adapter.extension), STOR_STATUS_SUCCESS) << i;
  }
  const auto at_limit = Counters::of(rt);
  std::atomic<int> runs{0};
  auto routine = [](PVOID c) { static_cast<std::atomic<int>*>(c)->fetch_add(1); };
  PVOID context = reinterpret_cast<PVOID>(0x99);
  EXPECT_EQ(StorPortCreateSystemThread(adapter.extension, routine, &runs, nullptr, &context),
            STOR_STATUS_UNSUCCESSFUL);
  EXPECT_EQ(context, reinterpret_cast<PVOID>(0x99));
  EXPECT_EQ(Counters::of(rt), at_limit);
  // Another adapter has its own limit.
  StorThread elsewhere;
  EXPECT_EQ(elsewhere.start(other.extension), STOR_STATUS_SUCCESS);
  // The limit counts live threads: after one ends, one more fits.
  threads.front()->finish();
  EXPECT_TRUE(eventually([&] {
    StorThread probe;
    ULONG s = probe.start(adapter.extension);
    if (s == STOR_STATUS_SUCCESS) probe.finish();
    return s == STOR_STATUS_SUCCESS;
  }));
  for (std::size_t i = 1; i < threads.size(); ++i) threads[i]->finish();
  elsewhere.finish();
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(runs.load(), 0);
}

// 52 (section 6: configurable): adapter_thread_limit(3) allows exactly 3 live threads
TEST_P(Conformance, StorPortAdapterLimitConfigured) {
  tpb::Runtime rt(options().adapter_thread_limit(3));
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  StorThread threads[3];
  for (auto& t : threads) ASSERT_EQ(t.start(adapter.extension), STOR_STATUS_SUCCESS);
  StorThread extra;
  EXPECT_EQ(extra.start(adapter.extension), STOR_STATUS_UNSUCCESSFUL);
  for (auto& t : threads) t.finish();
}

// 53: each STOR_THREAD_PRIORITY maps to its KPRIORITY (7, 8, 12, 13, 14, 15, 18)
TEST_P(Conformance, StorPortPriorityLevels) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  const KPRIORITY expected[] = {7, 8, 12, 13, 14, 15, 18};
  for (int level = 0; level <= 6; ++level) {
    SCOPED_TRACE(level);
    auto p = static_cast<STOR_THREAD_PRIORITY>(level);
    KPRIORITY seen = -1;
    tpb::HostPriority observed;
    std::atomic<PKTHREAD> self{nullptr};
    ASSERT_EQ(stor_spawn(
                  adapter.extension,
                  [&] {
                    seen = KeQueryPriorityThread(KeGetCurrentThread());
                    observed = read_own_host_priority();
                    PKTHREAD t = KeGetCurrentThread();
                    ObReferenceObject(t);
                    self = t;
                  },
                  &p, nullptr),
              STOR_STATUS_SUCCESS);
    ASSERT_TRUE(eventually([&] { return self.load() != nullptr; }));
    ASSERT_EQ(wait_object(self.load()), STATUS_SUCCESS);
    EXPECT_EQ(seen, expected[level]);
    expect_host_priority(rt, self.load(), expected[level], observed);
    ObDereferenceObject(self.load());
  }
}

// 54: StorPortSetPriorityThread above PASSIVE_LEVEL -> STOR_STATUS_INVALID_IRQL, priority kept
TEST_P(Conformance, StorPortSetPriorityWrongIrql) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  StorThread t;
  ASSERT_EQ(t.start(adapter.extension), STOR_STATUS_SUCCESS);
  for (KIRQL level : {KIRQL(APC_LEVEL), KIRQL(DISPATCH_LEVEL)}) {
    KIRQL old;
    KeRaiseIrql(level, &old);
    ULONG s = StorPortSetPriorityThread(adapter.extension, t.context, StorThreadPriorityRealTime);
    KeLowerIrql(old);
    EXPECT_EQ(s, STOR_STATUS_INVALID_IRQL) << int(level);
  }
  ASSERT_TRUE(eventually([&] { return t.self.load() != nullptr; }));
  EXPECT_EQ(KeQueryPriorityThread(t.self.load()), 8);
  t.finish();
}

// 55 (section 6): a stale, garbage or foreign ThreadContext, or a priority outside the enum ->
// STOR_STATUS_INVALID_PARAMETER
TEST_P(Conformance, StorPortSetPriorityBadArguments) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter, other;
  StorThread stale;
  ASSERT_EQ(stale.start(adapter.extension), STOR_STATUS_SUCCESS);
  stale.finish();
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(StorPortSetPriorityThread(adapter.extension, stale.context, StorThreadPriorityNormal),
            STOR_STATUS_INVALID_PARAMETER);
  int garbage = 0;
  EXPECT_EQ(StorPortSetPriorityThread(adapter.extension, &garbage, StorThreadPriorityNormal),
            STOR_STATUS_INVALID_PARAMETER);
  EXPECT_EQ(StorPortSetPriorityThread(adapter.extension, nullptr, StorThreadPriorityNormal),
            STOR_STATUS_INVALID_PARAMETER);
  StorThread live;
  ASSERT_EQ(live.start(adapter.extension), STOR_STATUS_SUCCESS);
  EXPECT_EQ(StorPortSetPriorityThread(other.extension, live.context, StorThreadPriorityNormal),
            STOR_STATUS_INVALID_PARAMETER)
      << "context of another adapter accepted";
  EXPECT_EQ(StorPortSetPriorityThread(adapter.extension, live.context,
                                      static_cast<STOR_THREAD_PRIORITY>(7)),
            STOR_STATUS_INVALID_PARAMETER);
  EXPECT_EQ(StorPortSetPriorityThread(nullptr, live.context, StorThreadPriorityNormal),
            STOR_STATUS_INVALID_PARAMETER);
  live.finish();
}

// 56: STOR_THREAD_START_ROUTINE receives NULL when StartContext is NULL
TEST_P(Conformance, StorPortNullStartContext) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  static std::atomic<int> calls;
  static std::atomic<PVOID> seen;
  calls = 0;
  seen = reinterpret_cast<PVOID>(0x99);
  auto routine = [](PVOID c) {
    seen = c;
    calls.fetch_add(1);
  };
  ASSERT_EQ(StorPortCreateSystemThread(adapter.extension, routine, nullptr, nullptr, nullptr),
            STOR_STATUS_SUCCESS);
  EXPECT_TRUE(eventually([] { return calls.load() == 1; }));
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(seen.load(), nullptr);
}

// 57 (section 6: NULL = the caller): StorPortTerminateSystemThread from the miniport thread, with
// NULL and with its own context, never returns; the thread object is signaled; the adapter's live
// count drops
TEST_P(Conformance, StorPortTerminateEndsTheCaller) {
  tpb::Runtime rt(options().adapter_thread_limit(1));
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  for (bool own_context : {false, true}) {
    SCOPED_TRACE(own_context);
    std::atomic<PKTHREAD> self{nullptr};
    std::atomic<int> returned{0};
    std::atomic<PVOID> context{nullptr};
    Gate have_context;
    PVOID out = nullptr;
    ASSERT_EQ(stor_spawn(
                  adapter.extension,
                  [&] {
                    PKTHREAD t = KeGetCurrentThread();
                    ObReferenceObject(t);
                    self = t;
                    have_context.wait();
                    StorPortTerminateSystemThread(adapter.extension,
                                                  own_context ? context.load() : nullptr);
                    returned = 1;
                  },
                  nullptr, &out),
              STOR_STATUS_SUCCESS);
    context = out;
    have_context.open();
    ASSERT_TRUE(eventually([&] { return self.load() != nullptr; }));
    EXPECT_EQ(wait_object(self.load()), STATUS_SUCCESS);
    ObDereferenceObject(self.load());
    EXPECT_EQ(returned.load(), 0);
    // The limit is 1: the next creation succeeds only if the terminated thread no longer counts.
    EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  }
  EXPECT_EQ(SysThreadDestroyAdapter(adapter.extension), STATUS_SUCCESS);
  adapter.extension = nullptr;
}

// 57 (header): StorPortTerminateSystemThread with another thread's context is ignored: the caller
// goes on, the other thread is unaffected
TEST_P(Conformance, StorPortTerminateForeignContextIgnored) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  StorThread victim;
  ASSERT_EQ(victim.start(adapter.extension), STOR_STATUS_SUCCESS);
  std::atomic<int> went_on{0};
  std::atomic<PKTHREAD> self{nullptr};
  PVOID victim_context = victim.context;
  ASSERT_EQ(stor_spawn(
                adapter.extension,
                [&] {
                  PKTHREAD t = KeGetCurrentThread();
                  ObReferenceObject(t);
                  self = t;
                  StorPortTerminateSystemThread(adapter.extension, victim_context);
                  went_on = 1;
                },
                nullptr, nullptr),
            STOR_STATUS_SUCCESS);
  ASSERT_TRUE(eventually([&] { return self.load() != nullptr; }));
  EXPECT_EQ(wait_object(self.load()), STATUS_SUCCESS);
  ObDereferenceObject(self.load());
  EXPECT_EQ(went_on.load(), 1);
  ASSERT_TRUE(eventually([&] { return victim.self.load() != nullptr; }));
  EXPECT_EQ(poll_object(victim.self.load()), STATUS_TIMEOUT) << "foreign context terminated it";
  victim.finish();
}

// harness.h: an adapter cannot be destroyed while its threads live; unknown adapters are invalid
TEST_P(Conformance, StorPortDestroyAdapterRules) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  PVOID extension = nullptr;
  ASSERT_EQ(SysThreadCreateAdapter(128, &extension), STATUS_SUCCESS);
  ASSERT_NE(extension, nullptr);
  const auto* bytes = static_cast<const unsigned char*>(extension);
  for (int i = 0; i < 128; ++i) ASSERT_EQ(bytes[i], 0) << "extension not zeroed at " << i;
  StorThread t;
  ASSERT_EQ(t.start(extension), STOR_STATUS_SUCCESS);
  EXPECT_EQ(SysThreadDestroyAdapter(extension), STATUS_INVALID_DEVICE_STATE);
  t.finish();
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(SysThreadDestroyAdapter(extension), STATUS_SUCCESS);
  char not_an_adapter[16];
  EXPECT_EQ(SysThreadDestroyAdapter(not_an_adapter), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(SysThreadDestroyAdapter(extension), STATUS_INVALID_PARAMETER);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// 58 and section 6 affinity: StorPortSetSystemGroupAffinityThread(group 0) pins the calling
// thread and returns the previous affinity; Revert restores it; above DISPATCH_LEVEL Revert ->
// STOR_STATUS_INVALID_IRQL; a group other than 0 is refused
TEST_P(Conformance, StorPortGroupAffinity) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Adapter adapter;
  const int cpu = allowed_cpus().back();
  struct Seen {
    ULONG set = 1, revert_high = 1, revert = 1, group1 = 1;
    std::vector<int> before, pinned, after;
  } seen;
  std::atomic<PKTHREAD> self{nullptr};
  PVOID ext = adapter.extension;
  ASSERT_EQ(
      stor_spawn(
          ext,
          [&] {
            seen.before = own_affinity();
            STOR_GROUP_AFFINITY affinity{};
            affinity.Mask = KAFFINITY(1) << cpu;
            STOR_GROUP_AFFINITY previous{};
            seen.set = StorPortSetSystemGroupAffinityThread(ext, nullptr, &affinity, &previous);
            seen.pinned = own_affinity();
            KIRQL old;
            KeRaiseIrql(HIGH_LEVEL, &old);
            seen.revert_high = StorPortRevertToUserGroupAffinityThread(ext, nullptr, &previous);
            KeLowerIrql(old);
            seen.revert = StorPortRevertToUserGroupAffinityThread(ext, nullptr, &previous);
            seen.after = own_affinity();
            STOR_GROUP_AFFINITY group1{};
            group1.Mask = 1;
            group1.Group = 1;
            seen.group1 = StorPortSetSystemGroupAffinityThread(ext, nullptr, &group1, &previous);
            PKTHREAD t = KeGetCurrentThread();
            ObReferenceObject(t);
            self = t;
          },
          nullptr, nullptr),
      STOR_STATUS_SUCCESS);
  ASSERT_TRUE(eventually([&] { return self.load() != nullptr; }));
  ASSERT_EQ(wait_object(self.load()), STATUS_SUCCESS);
  ObDereferenceObject(self.load());
  EXPECT_EQ(seen.set, STOR_STATUS_SUCCESS);
  EXPECT_EQ(seen.pinned, std::vector<int>{cpu});
  EXPECT_EQ(seen.revert_high, STOR_STATUS_INVALID_IRQL);
  EXPECT_EQ(seen.revert, STOR_STATUS_SUCCESS);
  EXPECT_EQ(seen.after, seen.before);
  EXPECT_NE(seen.group1, STOR_STATUS_SUCCESS);
}

}  // namespace tpb_conf
