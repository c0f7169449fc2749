// The state of one runtime: options, backend, handle table, processes, drivers, adapters, placement
// and limits, and the verifier. Every contract rule that needs more than one object lives here;
// the DDI files (ddi_*.cpp) only translate arguments and statuses.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <tpb/backend.hpp>
#include <tpb/runtime.hpp>
#include <tpb/topology.hpp>

#include "contract/handle_table.hpp"
#include "contract/objects.hpp"

namespace tpb::detail {

// Everything a creation call asks for, whichever DDI flavour made it.
struct CreateRequest {
  PHANDLE handle_out = nullptr;  // nullptr: no handle (StorPort)
  ACCESS_MASK access = 0;
  POBJECT_ATTRIBUTES attributes = nullptr;
  HANDLE process = nullptr;
  PCLIENT_ID client_id_out = nullptr;
  PKSTART_ROUTINE routine = nullptr;
  void* context = nullptr;
  IoReference io;                    // taken by the caller, released by the runtime on failure
  AdapterRecord* adapter = nullptr;  // StorPort
  KPRIORITY priority = 0;            // 0: the runtime's initial priority
  std::uint64_t* adapter_token_out = nullptr;
};

class RuntimeState : public std::enable_shared_from_this<RuntimeState> {
 public:
  explicit RuntimeState(RuntimeOptions options);
  ~RuntimeState();

  const RuntimeOptions& options() const { return options_; }
  ThreadBackend& backend() { return *backend_; }
  const Capabilities& capabilities() const { return capabilities_; }
  const Topology& topology() const { return topology_; }
  HandleTable& handles() { return handles_; }

  ProcessRecord* system_process() const { return system_process_; }
  ProcessRecord* host_process() const { return host_process_; }
  std::uint64_t next_client_id() { return next_id_.fetch_add(4); }

  // Thread lifecycle.
  NTSTATUS create_thread(const CreateRequest& request);
  ThreadRecord* new_foreign_thread();  // a host thread that calls the DDI

  // Priorities: stores the contract value and applies the host level by tid.
  // Returns the previous priority.
  KPRIORITY set_priority(ThreadRecord& thread, KPRIORITY priority);
  HostPriorityState host_priority(ThreadRecord& thread);

  // Processes.
  ProcessRecord* create_process();
  NTSTATUS terminate_process(ProcessRecord& process, NTSTATUS status);
  void process_thread_ended(ProcessRecord& process);

  // Drivers, devices, adapters (io mutex).
  DriverRecord* new_driver();
  void free_driver(DriverRecord* driver);
  bool is_driver(const void* p);
  bool is_device(const void* p);
  NTSTATUS create_device(DriverRecord& driver, ULONG extension_size, ULONG type,
                         ULONG characteristics, PDEVICE_OBJECT* out);
  void delete_device(DeviceRecord* device);
  IoReference io_reference_for(void* io_object);  // bug check 0x148 when not a driver/device
  void take_io_reference(const IoReference& ref);
  void drop_io_reference(const IoReference& ref);
  void wait_io_references(DriverRecord& driver);
  std::vector<ThreadRecord*> live_ps_threads(DriverRecord& driver);
  AdapterRecord* create_adapter(ULONG extension_size);
  AdapterRecord* find_adapter(const void* extension);
  NTSTATUS destroy_adapter(const void* extension);
  ThreadRecord* adapter_thread(AdapterRecord& adapter, const void* token);  // under adapter.mutex

  // Accounting.
  void object_created() { live_objects_.fetch_add(1); }
  void object_destroyed() { live_objects_.fetch_sub(1); }
  RuntimeStats stats() const;
  bool wait_idle(std::chrono::milliseconds timeout);
  std::vector<std::string> live_thread_names();

  // Verifier.
  bool verifier_on() const { return verifier_; }
  void report(const std::string& message, bool always = false);
  std::vector<std::string> reports() const;

  // Shutdown: called once by ~Runtime when no thread is alive.
  void shut_down();
  bool is_shut_down() const { return shut_down_.load(); }

 private:
  friend void run_system_thread(void* raw);
  friend void complete_system_thread(void* raw);
  struct Placed {
    std::vector<int> cpus;
    int home = -1;
    int charged = -1;
  };
  NTSTATUS place(Placed& out);
  void uncharge(int cpu);
  void finish_thread(ThreadRecord& thread, NTSTATUS status);
  void complete_thread(ThreadRecord& thread);
  void thread_started(ThreadRecord& thread);
  NTSTATUS resolve_process(HANDLE handle, ProcessRecord*& out);

  RuntimeOptions options_;
  const Topology& topology_;
  std::unique_ptr<ThreadBackend> backend_;
  Capabilities capabilities_;
  HandleTable handles_;
  bool verifier_ = false;

  std::atomic<std::uint64_t> next_id_{0x100};
  ProcessRecord* system_process_ = nullptr;
  ProcessRecord* host_process_ = nullptr;

  std::atomic<std::uint64_t> live_objects_{0};
  std::atomic<std::uint64_t> threads_created_{0};

  // Live system threads, for shutdown waits and reports.
  mutable std::mutex live_mutex_;
  std::condition_variable live_cv_;
  // Intrusive, so creating a thread allocates no list node.
  ThreadRecord* live_head_ = nullptr;
  std::size_t live_count_ = 0;
  void link_live(ThreadRecord* thread);
  void unlink_live(ThreadRecord* thread);

  // Per-CPU limit slots, indexed by Linux CPU number.
  std::unique_ptr<std::atomic<unsigned>[]> cpu_load_;
  int cpu_slots_ = 0;
  std::atomic<unsigned> spread_next_{0};

  std::mutex io_mutex_;
  std::condition_variable io_cv_;
  std::set<DriverRecord*> drivers_;
  std::set<DeviceRecord*> devices_;
  std::vector<std::unique_ptr<AdapterRecord>> adapters_;

  std::atomic<bool> shut_down_{false};
  mutable std::mutex report_mutex_;
  std::vector<std::string> reports_;
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
