// The conformance suite's shared fixture and helpers.
//
// One value-parameterised suite, `Conformance`, instantiated once per registry row and variant
// (conformance.cpp). Every test builds its own tpb::Runtime for the parameter's backend, enters it
// with tpb::RuntimeScope and drives only the documented DDI names of <systhread/wdm.h>,
// <systhread/storport.h> and <systhread/harness.h>. Every wait is bounded (kWaitMs); a test that
// would hang fails instead.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systhread/harness.h>
#include <systhread/storport.h>
#include <systhread/wdm.h>
#include <tpb/backend.hpp>
#include <tpb/runtime.hpp>
#include <tpb/topology.hpp>

namespace tpb_conf {

// A bound on every wait: long enough never to fire on a loaded 2-CPU machine, short enough that a
// broken contract fails the test instead of hanging it.
inline constexpr int kWaitMs = 5000;

// One instantiation: a registry row, optionally with one of its variants applied.
struct BackendParam {
  std::string name;   // registry name
  std::string label;  // gtest name suffix, e.g. "pool_wake_spin"
  tpb::BackendOptions options;
  tpb::Capabilities caps;
};
std::vector<BackendParam> all_backend_params();
// gtest prints the parameter by its label (not as raw bytes).
inline void PrintTo(const BackendParam& p, std::ostream* os) {
  *os << p.label;
}

class Conformance : public testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override;
  // The parameter's backend and options; verifier off unless a test turns it on.
  tpb::RuntimeOptions options() const;
  const tpb::Capabilities& caps() const { return GetParam().caps; }
};

// ---- Time ----------------------------------------------------------------------------------
inline LARGE_INTEGER relative_ms(LONGLONG ms) {
  LARGE_INTEGER t;
  t.QuadPart = -ms * 10000;
  return t;
}
inline LARGE_INTEGER zero_timeout() {
  LARGE_INTEGER t;
  t.QuadPart = 0;
  return t;
}

// ---- Waiting -------------------------------------------------------------------------------
inline NTSTATUS wait_object(PVOID object, LONGLONG ms = kWaitMs) {
  LARGE_INTEGER t = relative_ms(ms);
  return KeWaitForSingleObject(object, Executive, KernelMode, FALSE, &t);
}
inline NTSTATUS wait_handle(HANDLE handle, LONGLONG ms = kWaitMs) {
  LARGE_INTEGER t = relative_ms(ms);
  return ZwWaitForSingleObject(handle, FALSE, &t);
}
inline NTSTATUS poll_object(PVOID object) {
  LARGE_INTEGER t = zero_timeout();
  return KeWaitForSingleObject(object, Executive, KernelMode, FALSE, &t);
}

// A notification event used as a gate: threads wait on it, the test opens it.
struct Gate {
  KEVENT event;
  Gate() { KeInitializeEvent(&event, NotificationEvent, FALSE); }
  void open() { KeSetEvent(&event, 0, FALSE); }
  NTSTATUS wait(LONGLONG ms = kWaitMs) { return wait_object(&event, ms); }
};

// ---- Creating threads ------------------------------------------------------------------------
// Runs a std::function as a start routine. The function object is owned by the routine, so it is
// freed even when the thread ends through PsTerminateSystemThread (the stack unwinds through it).
void function_routine(PVOID context);
inline PVOID make_job(std::function<void()> fn) {
  return new std::function<void()>(std::move(fn));
}
inline void drop_job(PVOID job) {
  delete static_cast<std::function<void()>*>(job);
}

// PsCreateSystemThread with OBJ_KERNEL_HANDLE, THREAD_ALL_ACCESS, the system process.
NTSTATUS spawn(HANDLE* handle, std::function<void()> fn, CLIENT_ID* cid = nullptr);
// IoCreateSystemThread, same defaults.
NTSTATUS io_spawn(PVOID io_object, HANDLE* handle, std::function<void()> fn);
// StorPortCreateSystemThread.
ULONG stor_spawn(PVOID extension, std::function<void()> fn, PSTOR_THREAD_PRIORITY priority,
                 PVOID* thread_context);

// Thread object of a handle (ObReferenceObjectByHandle with *PsThreadType); caller dereferences.
PKTHREAD reference_thread(HANDLE handle);
// ZwQueryInformationThread(ThreadBasicInformation).
NTSTATUS basic_info(HANDLE handle, THREAD_BASIC_INFORMATION& out);

// Waits for the thread, then closes its handle; both must succeed.
void join_and_close(HANDLE handle);

// ---- Host state, read with plain Linux calls ------------------------------------------------
inline long gettid_now() {
  return static_cast<long>(syscall(SYS_gettid));
}
tpb::HostPriority read_own_host_priority();
std::vector<int> own_affinity();
std::vector<int> allowed_cpus();
// caps.affinity, or a recorded note that the backend reports placement unsupported.
bool affinity_honoured(const tpb::Capabilities& caps, const std::string& backend);
// Whether the process may apply `p` (tpb::host_scheduling_rights()).
bool host_may_apply(const tpb::HostPriority& p);

// Checks a thread's host priority against the contract (docs/contracts.md 6 and docs/design.md:
// "applied, or reported unsupported"): `observed` is what the thread itself read on the host while
// it ran at `priority`.
void expect_host_priority(const tpb::Runtime& runtime, PKTHREAD thread, KPRIORITY priority,
                          const tpb::HostPriority& observed);

// ---- Bounded runs and stderr capture ---------------------------------------------------------
// Runs fn on a helper thread; if it does not return within `ms`, the test fails and the process
// aborts (a hang must never become a silent CTest timeout).
void run_bounded(const char* what, std::function<void()> fn, int ms = kWaitMs);
// SysThreadUnloadDriver(driver) == STATUS_SUCCESS within kWaitMs, called in `rt`.
void unload_bounded(tpb::Runtime& rt, PDRIVER_OBJECT driver);

// Redirects fd 2 into a temporary file while alive; text() returns what was written.
class StderrCapture {
 public:
  StderrCapture();
  ~StderrCapture();
  std::string text();

 private:
  int saved_ = -1;
  int file_ = -1;
  bool restored_ = false;
  void restore();
};

// Polls `pred` until true or `ms` pass (for counters the runtime updates just after signaling).
bool eventually(const std::function<bool()>& pred, int ms = kWaitMs);

// Whether Linux thread `tid` of this process is asleep in the kernel (state S or D): a thread that
// announced its tid just before a wait is then blocked in that wait.
bool asleep(long tid);
// Polls until the thread whose tid `tid` will hold (0 until it announces itself) is asleep.
bool becomes_blocked(const std::atomic<long>& tid, int ms = kWaitMs);

// Snapshot of the leak counters.
struct Counters {
  std::uint64_t live_objects = 0, open_handles = 0;
  static Counters of(const tpb::Runtime& rt) {
    auto s = rt.stats();
    return {s.live_objects, s.open_handles};
  }
  // The counters before a test's actions. The runtime keeps a thread object for each host thread
  // that calls the DDI (made on its first call): one DDI call first, so that object is counted.
  static Counters baseline(const tpb::Runtime& rt) {
    (void)PsGetCurrentThread();
    return of(rt);
  }
  friend bool operator==(const Counters&, const Counters&) = default;
};
inline std::ostream& operator<<(std::ostream& os, const Counters& c) {
  return os << "{live_objects=" << c.live_objects << ", open_handles=" << c.open_handles << "}";
}

}  // namespace tpb_conf
