// Kernel objects of the emulation: threads and processes (waitable, with a DISPATCHER_HEADER at
// offset 0 so a PKTHREAD/PEPROCESS is waitable by pointer), drivers, devices and adapters.
//
// Lifetime: `refs` counts handles and pointer references together; the object is freed when it
// reaches zero (docs/contracts.md 1.7, behaviour 32). A running thread holds one reference on
// itself and one on its process.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include <systhread/storport.h>
#include <systhread/wdm.h>
#include <tpb/runtime.hpp>

namespace tpb::detail {

class RuntimeState;
struct DriverRecord;
struct DeviceRecord;
struct AdapterRecord;

enum class ObjectKind : std::uint8_t { thread, process };

struct KernelObject {
  DISPATCHER_HEADER header{};  // must stay the first member
  ObjectKind kind;
  std::atomic<long> refs{1};
  RuntimeState* runtime;

  KernelObject(ObjectKind k, RuntimeState* rt, UCHAR dispatcher_type);
};

// Adds a reference.
void reference(KernelObject* object);
// Drops a reference; frees the object on the last one.
void release(KernelObject* object);

struct ProcessRecord : KernelObject {
  enum class Role { system, host, emulated };
  Role role;
  std::uint64_t id;
  KPRIORITY base_priority;
  std::atomic<bool> terminating{false};
  std::atomic<long> live_threads{0};
  std::atomic<NTSTATUS> exit_status{STATUS_PENDING};

  ProcessRecord(RuntimeState* rt, Role r, std::uint64_t pid, KPRIORITY base);
};

// An IoCreateSystemThread reference: on a driver, or on a device (and through it its driver).
struct IoReference {
  DriverRecord* driver = nullptr;
  DeviceRecord* device = nullptr;
  explicit operator bool() const { return driver != nullptr; }
};

struct ThreadRecord : KernelObject {
  // Set at creation, read-only afterwards.
  std::uint64_t id = 0;
  ProcessRecord* process = nullptr;  // referenced
  PKSTART_ROUTINE routine = nullptr;
  void* context = nullptr;
  bool system = false;  // created through the contract (false: a host thread seen by the DDI)
  IoReference io;
  DriverRecord* owner_driver = nullptr;  // driver whose code created it (for bug check 0xCE)
  AdapterRecord* adapter = nullptr;
  std::uint64_t adapter_token = 0;
  int charged_cpu = -1;                      // per-CPU limit slot held, or -1
  std::vector<int> launch_cpus;              // empty: inherited
  std::shared_ptr<RuntimeState> keep_alive;  // held while the thread runs
  ThreadRecord* live_prev = nullptr;         // the runtime's list of live threads (its live mutex)
  ThreadRecord* live_next = nullptr;

  std::atomic<NTSTATUS> exit_status{STATUS_PENDING};

  // Touched only by the thread itself, or by a signal that satisfies its wait while it sleeps
  // (the dispatcher lock and the waiter's wake order those writes before its next read).
  KIRQL irql = PASSIVE_LEVEL;
  int apc_disable = 0;             // critical regions entered, plus kernel mutexes owned
  int guarded_region = 0;          // guarded regions entered
  int owned_mutexes = 0;           // kernel mutexes owned (changed under the dispatcher lock)
  std::vector<int> user_affinity;  // remembered at the first affinity call; empty until then
  KAFFINITY system_affinity = 0;   // in force, or 0 at the user affinity
  bool terminated_by_ps = false;

  // Scheduling state, guarded by sched_mutex (changed by any thread, applied by tid).
  std::mutex sched_mutex;
  KPRIORITY priority = 8;
  KPRIORITY base_priority = 8;
  int base_saturation = 0;  // +1/-1 once |increment| >= 16 was asked
  long host_tid = 0;
  pthread_t host_thread{};  // valid while started && !ended
  bool started = false;
  bool ended = false;
  bool priority_dirty = false;  // changed before the thread started: apply when it does
  bool boosted = false;         // a wake boost is in force (priority_boost.hpp)
  KPRIORITY boost_peak = 0;     // the boosted priority, before decay
  KPRIORITY boost_floor = 0;    // the priority the decay ends at (the base)
  long long boost_cpu_ns = 0;   // the thread's CPU time when the boost began
  HostPriorityState host;

  ThreadRecord(RuntimeState* rt);
};

ThreadRecord* as_thread(void* object);    // nullptr unless a thread object
ProcessRecord* as_process(void* object);  // nullptr unless a process object

// A device or adapter extension of at least `bytes` (at least one word): max-aligned and zeroed to
// the last byte, as IoCreateDevice and StorPort hand them out. nullptr when out of memory.
std::unique_ptr<std::max_align_t[]> zeroed_extension(std::size_t bytes);

struct DeviceRecord {
  DEVICE_OBJECT object{};  // must stay the first member
  DriverRecord* driver = nullptr;
  std::unique_ptr<std::max_align_t[]> extension;
  bool deleted = false;  // guarded by the I/O manager's mutex
};

struct DriverRecord {
  DRIVER_OBJECT object{};              // must stay the first member
  std::atomic<long> io_references{0};  // IoCreateSystemThread threads of the driver or a device
  std::set<ThreadRecord*> ps_threads;  // live PsCreateSystemThread threads it created (I/O mutex)
  std::vector<WCHAR> name;
};

struct AdapterRecord {
  std::unique_ptr<std::max_align_t[]> extension;
  unsigned limit = 0;
  std::mutex mutex;
  std::map<std::uint64_t, ThreadRecord*> live;  // token -> running thread
};

}  // namespace tpb::detail
