// Threads of one runtime and their lifecycle: creation (every DDI flavour ends in
// ThreadLifecycle::create), the trampoline every backend runs, the end of a thread, and the list of
// live threads that shutdown waits on and the verifier names.
//
// A system thread's life: create() takes everything the thread holds (process reference, CPU slot,
// handle, adapter slot, I/O reference) and launches it; on the host thread run_system_thread()
// runs the routine, finish() gives back what the routine held, and complete_system_thread() signals
// the thread object once the backend is done with the host context.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <systhread/wdm.h>

#include "contract/objects.hpp"

namespace tpb::detail {

class RuntimeState;

// Everything a creation call asks for, whichever DDI flavour made it.
struct CreateRequest {
  PHANDLE handle_out = nullptr;  // nullptr: no handle (StorPort)
  ACCESS_MASK access = 0;
  POBJECT_ATTRIBUTES attributes = nullptr;
  HANDLE process = nullptr;
  PCLIENT_ID client_id_out = nullptr;
  PKSTART_ROUTINE routine = nullptr;
  void* context = nullptr;
  IoReference io;  // IoCreateSystemThread: looked up by the caller, taken only on success
  AdapterRecord* adapter = nullptr;  // StorPort
  KPRIORITY priority = 0;            // 0: the runtime's initial priority
  std::uint64_t* adapter_token_out = nullptr;
};

class ThreadLifecycle {
 public:
  explicit ThreadLifecycle(RuntimeState& runtime);

  // Creates and launches a system thread. On failure nothing the call took is kept and no thread
  // runs; the outputs are written only on success.
  NTSTATUS create(const CreateRequest& request);
  // A record for a host thread that calls the DDI (not a system thread), owned by the host process.
  ThreadRecord* new_foreign();

  // The thread object with this client id, with one more reference, while the object lives
  // (behaviour 107), or nullptr.
  ThreadRecord* reference_by_id(std::uint64_t id);
  // Called as a thread object is freed: its id resolves no more.
  void forget(ThreadRecord* thread);

  std::size_t live_count() const;
  std::uint64_t created() const { return created_.load(); }
  // Waits until no system thread is alive and, where the backend starts a host thread per system
  // thread, until the host threads of the ended ones have left the host too (their exit work
  // would otherwise run in whatever the caller does next). False on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);
  // "thread <id> (routine <name or address>)" for each live thread whose end is not signalled yet,
  // for shutdown and exit reports.
  std::vector<std::string> live_names();

 private:
  friend void run_system_thread(void* raw);
  friend void complete_system_thread(void* raw);
  friend class PendingThread;
  void started(ThreadRecord& thread);
  void finish(ThreadRecord& thread, NTSTATUS status);
  void complete(ThreadRecord& thread);
  void link_live(ThreadRecord* thread);    // live_mutex_ held
  void unlink_live(ThreadRecord* thread);  // live_mutex_ held
  void remember(ThreadRecord* thread);

  RuntimeState& runtime_;
  std::atomic<std::uint64_t> created_{0};
  mutable std::mutex live_mutex_;
  std::condition_variable live_cv_;
  // Intrusive, so creating a thread allocates no list node.
  ThreadRecord* live_head_ = nullptr;
  std::size_t live_count_ = 0;
  // Host tids of ended system threads that wait_idle() has not seen leave yet; only for backends
  // with a host thread per system thread, and only the most recent ones: older threads have long
  // left, and the list must not grow in a program that never waits.
  static constexpr std::size_t kExitingTidsKept = 64;
  bool host_thread_per_thread_ = false;
  std::vector<long> exiting_tids_;
  // Every thread object of the runtime by client id, system and foreign, until it is freed.
  std::mutex ids_mutex_;
  std::unordered_map<std::uint64_t, ThreadRecord*> by_id_;
};

// The trampoline every backend runs: the system thread's whole life on its host thread.
void run_system_thread(void* raw);
// Launch::completion: signals the ended thread once the backend is done with its host context.
void complete_system_thread(void* raw);

// Thrown by PsTerminateSystemThread / StorPortTerminateSystemThread and caught only by the
// trampoline; not a std::exception so ordinary handlers let it through.
struct ThreadTermination {
  NTSTATUS status;
};

}  // namespace tpb::detail
