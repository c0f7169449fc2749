// Fuzz target: sequences of DDI calls with arbitrary arguments, each input in a fresh runtime.
// Requirement: every call ends in a status its header (<systhread/wdm.h>) documents, and the
// sequence ends with the handle table, object counts and live threads back where they started;
// never a crash, hang or leak.
//
// Documented violations are not executed: a bug check ends the process (exit 134) by design, so
// the interpreter classifies each call first and skips it when the header names it a bug check
// (KeSetPriorityThread outside 0..31, KeRaiseIrql below / KeLowerIrql above the current IRQL,
// waits with a timeout at DISPATCH_LEVEL, releasing a semaphore past its limit or a mutex not
// owned, a thread ending while owning a mutex, more than MAXIMUM_WAIT_OBJECTS objects to
// KeWaitForMultipleObjects, a non-NULL DPC, a bad IoObject). Real-time priorities (16..31) are
// left out: a host thread at SCHED_FIFO under a fuzzer breaks the house rule that RT work is
// pinned and watched. Every wait and delay is bounded (at most a few ms).
//
// Input: byte 0 picks the backend, byte 1 the per-CPU thread limit (none or 1) and object types;
// then one operation per byte with its arguments in the bytes that follow.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <span>

#include <systhread/harness.h>
#include <systhread/wdm.h>
#include <tpb/runtime.hpp>

namespace {

class Input {
 public:
  explicit Input(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool empty() const { return at_ >= bytes_.size(); }
  std::uint8_t byte() { return empty() ? 0 : bytes_[at_++]; }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | byte();
    return v;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(u64() >> 32); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

void require(bool ok) {
  if (!ok) std::abort();  // an undocumented outcome: libFuzzer reports it with the input
}

bool one_of(NTSTATUS s, std::initializer_list<NTSTATUS> allowed) {
  for (NTSTATUS a : allowed)
    if (s == a) return true;
  return false;
}

// A timeout of 0 (poll) up to 2 ms, relative; never NULL (forever).
LARGE_INTEGER bounded_timeout(std::uint8_t b) {
  LARGE_INTEGER t;
  t.QuadPart = -static_cast<LONGLONG>(b % 21) * 1000;  // 100 ns units
  return t;
}

// Objects the system threads of one input share; they outlive every thread (wait_idle at the end).
struct Shared {
  KEVENT event;
  KSEMAPHORE semaphore;
  KMUTEX mutex;
  KTIMER timer;
};
Shared* shared = nullptr;
constexpr LONG kSemaphoreLimit = 4;

struct ThreadPlan {
  std::uint8_t kind;
  std::uint64_t arg;
};
constexpr int kMaxThreads = 32;
ThreadPlan plans[kMaxThreads];

VOID start_routine(PVOID context) {
  const ThreadPlan& plan = *static_cast<const ThreadPlan*>(context);
  LARGE_INTEGER timeout = bounded_timeout(static_cast<std::uint8_t>(plan.arg));
  switch (plan.kind % 8) {
    case 0:
      return;
    case 1:
      require(one_of(KeWaitForSingleObject(&shared->event, Executive, KernelMode, FALSE, &timeout),
                     {STATUS_SUCCESS, STATUS_TIMEOUT}));
      return;
    case 2:
      PsTerminateSystemThread(static_cast<NTSTATUS>(plan.arg));
      std::abort();  // documented never to return on a system thread
    case 3: {
      const KPRIORITY p = static_cast<KPRIORITY>(plan.arg % 16);  // 0..15; 16..31 left out
      const KPRIORITY old = KeSetPriorityThread(KeGetCurrentThread(), p);
      require(old >= 1 && old <= 15);
      // Not == p: the main thread may set this thread's priority meanwhile (reference()).
      const KPRIORITY now = KeQueryPriorityThread(KeGetCurrentThread());
      require(now >= 1 && now <= 15);
      return;
    }
    case 4:
      KeEnterGuardedRegion();
      require(KeAreAllApcsDisabled());
      KeEnterCriticalRegion();
      KeLeaveCriticalRegion();
      KeLeaveGuardedRegion();
      return;
    case 5: {
      const KAFFINITY previous = KeSetSystemAffinityThreadEx(static_cast<KAFFINITY>(plan.arg));
      KeRevertToUserAffinityThreadEx(previous);
      return;
    }
    case 6: {
      KIRQL old = 0;
      KeRaiseIrql(static_cast<KIRQL>(plan.arg % 3), &old);
      require(old == PASSIVE_LEVEL);
      require(KeGetCurrentIrql() == plan.arg % 3);
      KeLowerIrql(old);
      return;
    }
    default: {
      // Acquire (bounded) and release only when owned: ending while owning is a bug check.
      const NTSTATUS s =
          KeWaitForSingleObject(&shared->mutex, Executive, KernelMode, FALSE, &timeout);
      require(one_of(s, {STATUS_SUCCESS, STATUS_TIMEOUT}));
      if (s == STATUS_SUCCESS) KeReleaseMutex(&shared->mutex, FALSE);
      return;
    }
  }
}

std::atomic<int> notified{0};
VOID notify_routine(HANDLE, HANDLE, BOOLEAN) {
  notified.fetch_add(1, std::memory_order_relaxed);
}

constexpr int kSlots = 8;

class Interpreter {
 public:
  explicit Interpreter(Input& in) : in_(in) {}

  void step() {
    switch (in_.byte() % 16) {
      case 0:
        create_thread();
        break;
      case 1:
        close();
        break;
      case 2:
        wait_one();
        break;
      case 3:
        reference();
        break;
      case 4:
        signal_event();
        break;
      case 5:
        release_semaphore();
        break;
      case 6:
        irql();
        break;
      case 7:
        wait_many();
        break;
      case 8:
        query_information();
        break;
      case 9:
        process();
        break;
      case 10:
        delay();
        break;
      case 12:
        timer();
        break;
      case 13:
        affinity();
        break;
      case 14:
        notify();
        break;
      default:
        region();
        break;
    }
  }

  void finish() {
    for (HANDLE& h : slots_)
      if (h != nullptr) {
        require(one_of(ZwClose(h), {STATUS_SUCCESS, STATUS_INVALID_HANDLE}));
        h = nullptr;
      }
    if (notify_registered_)
      require(PsRemoveCreateThreadNotifyRoutine(notify_routine) == STATUS_SUCCESS);
  }

 private:
  // A handle argument: a slot (maybe closed: stale), NULL, the current process, or any value.
  HANDLE handle() {
    const std::uint8_t b = in_.byte();
    switch (b % 8) {
      case 0:
        return nullptr;
      case 1:
        return NtCurrentProcess();
      case 2:
        return reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(in_.u64()));
      default:
        return slots_[b % kSlots];
    }
  }
  HANDLE* free_slot() { return &slots_[in_.byte() % kSlots]; }
  void store(HANDLE* slot, HANDLE h) {
    if (*slot != nullptr) (void)ZwClose(*slot);  // may be stale already: either status is fine
    *slot = h;
  }

  void create_thread() {
    if (threads_ == kMaxThreads) return;
    ThreadPlan& plan = plans[threads_];
    plan = {in_.byte(), in_.u64()};
    OBJECT_ATTRIBUTES attributes;
    POBJECT_ATTRIBUTES pattributes = nullptr;
    const std::uint8_t how = in_.byte();
    if (how & 1) {
      InitializeObjectAttributes(&attributes, nullptr, in_.u32(), nullptr, nullptr);
      if (how & 2) attributes.Length = in_.u32();
      pattributes = &attributes;
    }
    const HANDLE process = (how & 4) ? handle() : nullptr;
    const ULONG access = (how & 8) ? in_.u32() : THREAD_ALL_ACCESS;
    CLIENT_ID id;
    HANDLE h = nullptr;
    const NTSTATUS s = PsCreateSystemThread((how & 16) ? nullptr : &h, access, pattributes, process,
                                            (how & 32) ? &id : nullptr, start_routine, &plan);
    require(
        one_of(s, {STATUS_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_INVALID_HANDLE,
                   STATUS_PROCESS_IS_TERMINATING, STATUS_INSUFFICIENT_RESOURCES,
                   STATUS_PRIVILEGE_NOT_HELD, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED}));
    if (s == STATUS_SUCCESS) {
      ++threads_;
      store(free_slot(), h);
    }
  }

  void close() {
    HANDLE* slot = &slots_[in_.byte() % kSlots];
    const bool garbage = in_.byte() & 1;
    const NTSTATUS s = ZwClose(garbage ? handle() : *slot);
    require(one_of(s, {STATUS_SUCCESS, STATUS_INVALID_HANDLE, STATUS_HANDLE_NOT_CLOSABLE}));
    if (!garbage) *slot = nullptr;
  }

  void wait_one() {
    const HANDLE h = handle();
    LARGE_INTEGER timeout = bounded_timeout(in_.byte());
    require(one_of(ZwWaitForSingleObject(h, FALSE, &timeout),
                   {STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_INVALID_HANDLE,
                    STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED}));
  }

  void reference() {
    const HANDLE h = handle();
    const std::uint8_t which = in_.byte();
    POBJECT_TYPE types[] = {nullptr, *PsThreadType, *PsProcessType, *ExEventObjectType};
    PVOID object = nullptr;
    const NTSTATUS s =
        ObReferenceObjectByHandle(h, in_.u32(), types[which % 4], KernelMode, &object, nullptr);
    require(one_of(s, {STATUS_SUCCESS, STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH,
                       STATUS_ACCESS_DENIED}));
    if (s != STATUS_SUCCESS) return;
    if (ObGetObjectType(object) == *PsThreadType) {
      auto* thread = static_cast<PKTHREAD>(object);
      const std::uint8_t op = in_.byte();
      if (op & 1) (void)KeSetPriorityThread(thread, static_cast<KPRIORITY>(in_.byte() % 16));
      if (op & 2) (void)KeSetBasePriorityThread(thread, static_cast<LONG>(in_.u32()));
      const KPRIORITY now = KeQueryPriorityThread(thread);
      require(now >= 1 && now <= 15);  // no path here reaches the real-time class
      require(PsIsSystemThread(static_cast<PETHREAD>(object)));
    }
    ObDereferenceObject(object);
  }

  void signal_event() {
    const std::uint8_t op = in_.byte();
    const KPRIORITY increment = static_cast<KPRIORITY>(in_.byte() % 9);
    switch (op % 4) {
      case 0:
        (void)KeSetEvent(&shared->event, increment, FALSE);
        break;
      case 1:
        (void)KeResetEvent(&shared->event);
        break;
      case 2:
        (void)KePulseEvent(&shared->event, increment, FALSE);
        break;
      default:
        KeClearEvent(&shared->event);
        break;
    }
  }

  void release_semaphore() {
    const LONG adjustment = 1 + in_.byte() % kSemaphoreLimit;
    // Classified: past the limit is bug check 0xC4. Waiters only lower the count meanwhile.
    if (KeReadStateSemaphore(&shared->semaphore) + adjustment > kSemaphoreLimit) return;
    (void)KeReleaseSemaphore(&shared->semaphore, IO_NO_INCREMENT, adjustment, FALSE);
  }

  void irql() {
    const KIRQL level = static_cast<KIRQL>(in_.byte() % 3);
    KIRQL old = 0;
    KeRaiseIrql(level, &old);  // from PASSIVE_LEVEL: never lower
    require(KeGetCurrentIrql() == level);
    // What may be called there: polls and signals (no waiting timeout above APC_LEVEL).
    LARGE_INTEGER zero{};
    require(one_of(KeWaitForSingleObject(&shared->event, Executive, KernelMode, FALSE, &zero),
                   {STATUS_SUCCESS, STATUS_TIMEOUT}));
    (void)KeReadStateEvent(&shared->event);
    KeLowerIrql(old);
    require(KeGetCurrentIrql() == PASSIVE_LEVEL);
  }

  void wait_many() {
    const ULONG count = in_.byte() % (MAXIMUM_WAIT_OBJECTS + 3);
    HANDLE handles[MAXIMUM_WAIT_OBJECTS + 3];
    for (ULONG i = 0; i < count; ++i) handles[i] = handle();
    LARGE_INTEGER timeout = bounded_timeout(in_.byte());
    const WAIT_TYPE type = (in_.byte() & 1) ? WaitAll : WaitAny;
    const NTSTATUS s = ZwWaitForMultipleObjects(count, handles, type, FALSE, &timeout);
    require((s >= STATUS_WAIT_0 && s < STATUS_WAIT_0 + static_cast<NTSTATUS>(count)) ||
            one_of(s, {STATUS_TIMEOUT, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER,
                       STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED}));
  }

  void query_information() {
    const HANDLE h = handle();
    const auto info_class =
        static_cast<THREADINFOCLASS>(in_.byte() % 8);  // the enum's value range;
    unsigned char buffer[128];
    const ULONG length = in_.byte() % sizeof buffer;
    ULONG returned = 0;
    const bool want_length = in_.byte() & 1;
    const NTSTATUS s =
        ZwQueryInformationThread(h, info_class, buffer, length, want_length ? &returned : nullptr);
    require(one_of(s, {STATUS_SUCCESS, STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_INFO_CLASS,
                       STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED}));
  }

  void process() {
    if (in_.byte() & 1) {
      HANDLE h = nullptr;
      const NTSTATUS s = SysThreadCreateProcess(&h);
      require(one_of(s, {STATUS_SUCCESS, STATUS_INSUFFICIENT_RESOURCES}));
      if (s == STATUS_SUCCESS) store(free_slot(), h);
    } else {
      const HANDLE h = handle();
      require(one_of(ZwTerminateProcess(h, static_cast<NTSTATUS>(in_.u32())),
                     {STATUS_SUCCESS, STATUS_ACCESS_DENIED, STATUS_INVALID_HANDLE,
                      STATUS_OBJECT_TYPE_MISMATCH, STATUS_PROCESS_IS_TERMINATING}));
    }
  }

  void delay() {
    LARGE_INTEGER interval = bounded_timeout(in_.byte());
    require(one_of(KeDelayExecutionThread(KernelMode, FALSE, &interval),
                   {STATUS_SUCCESS, STATUS_TIMEOUT}));
  }

  void timer() {
    const std::uint8_t op = in_.byte();
    if (op % 3 == 0) {
      LARGE_INTEGER due = bounded_timeout(in_.byte());
      (void)KeSetTimerEx(&shared->timer, due, static_cast<LONG>(in_.byte() % 4), nullptr);
    } else if (op % 3 == 1) {
      (void)KeCancelTimer(&shared->timer);
    } else {
      LARGE_INTEGER timeout = bounded_timeout(in_.byte());
      require(one_of(KeWaitForSingleObject(&shared->timer, Executive, KernelMode, FALSE, &timeout),
                     {STATUS_SUCCESS, STATUS_TIMEOUT}));
    }
  }

  void affinity() {
    const KAFFINITY previous = KeSetSystemAffinityThreadEx(static_cast<KAFFINITY>(in_.u64()));
    KeRevertToUserAffinityThreadEx(previous);
  }

  void notify() {
    if (!notify_registered_) {
      const NTSTATUS s = PsSetCreateThreadNotifyRoutine(notify_routine);
      require(one_of(s, {STATUS_SUCCESS, STATUS_INSUFFICIENT_RESOURCES}));
      notify_registered_ = s == STATUS_SUCCESS;
    } else {
      require(PsRemoveCreateThreadNotifyRoutine(notify_routine) == STATUS_SUCCESS);
      notify_registered_ = false;
    }
  }

  void region() {
    const int depth = 1 + in_.byte() % 4;
    for (int i = 0; i < depth; ++i) KeEnterCriticalRegion();
    require(KeAreApcsDisabled());
    for (int i = 0; i < depth; ++i) KeLeaveCriticalRegion();  // matched: an extra is 0x1
  }

  Input& in_;
  HANDLE slots_[kSlots] = {};
  int threads_ = 0;
  bool notify_registered_ = false;
};

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 512) return -1;  // long sequences add time, not coverage
  Input in({data, size});
  // One long-lived runtime per (backend, per-CPU limit): building one per input (topology,
  // workers) would cost more than the input. Each input must leave it as it found it.
  static const char* const backends[] = {"pthread", "std_thread", "pool"};
  static tpb::Runtime* runtimes[3][2] = {};
  const std::uint8_t which = in.byte() % 3;
  const std::uint8_t limits = in.byte();
  tpb::Runtime*& slot = runtimes[which][limits & 1];
  if (slot == nullptr)
    slot = new tpb::Runtime(tpb::RuntimeOptions()  // never freed: lives as long as the fuzzer
                                .backend(backends[which])
                                .per_cpu_limit(limits & 1)
                                .verifier(false)
                                .shutdown_timeout(std::chrono::milliseconds(5000)));
  tpb::Runtime& runtime = *slot;
  tpb::RuntimeStats before;
  {
    tpb::RuntimeScope scope(runtime);
    // The calling thread's own record exists from its first DDI call on: count from there.
    (void)KeGetCurrentThread();
    before = runtime.stats();
    Shared objects;
    KeInitializeEvent(&objects.event, (limits & 4) ? SynchronizationEvent : NotificationEvent,
                      FALSE);
    KeInitializeSemaphore(&objects.semaphore, 0, kSemaphoreLimit);
    KeInitializeMutex(&objects.mutex, 0);
    KeInitializeTimerEx(&objects.timer, (limits & 8) ? SynchronizationTimer : NotificationTimer);
    shared = &objects;

    Interpreter interpreter(in);
    while (!in.empty()) interpreter.step();
    interpreter.finish();
    (void)KeCancelTimer(&objects.timer);
    (void)KeSetEvent(&objects.event, IO_NO_INCREMENT, FALSE);
    // Every thread waits at most a few ms: a runtime still busy after 10 s is a hang.
    require(runtime.wait_idle(std::chrono::seconds(10)));
    shared = nullptr;
  }
  const tpb::RuntimeStats after = runtime.stats();
  require(after.open_handles == before.open_handles);
  require(after.live_threads == 0);
  require(after.live_objects == before.live_objects);
  return 0;
}
