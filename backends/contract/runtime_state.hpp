// The state of one runtime, split by subsystem the way oneTBB splits arena, market and governor:
// each subsystem is one class in its own file pair, and RuntimeState builds them from the options
// and hands them out. The DDI files (ddi_*.cpp) translate arguments and statuses and call the
// subsystem that owns the rule.
//
//   thread_lifecycle   threads: creation, the trampoline, the end, the live list
//   priorities         KPRIORITY -> host level: the one decision, applied by tid
//   processes          the system and host processes, emulated processes
//   io_manager         drivers, devices, I/O references
//   storport_adapters  StorPort adapters and their live threads
//   placement          where a new thread runs, per-CPU limits
//   accounting         live objects and the verifier's reports
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include <tpb/backend.hpp>
#include <tpb/runtime.hpp>
#include <tpb/topology.hpp>

#include "contract/accounting.hpp"
#include "contract/handle_table.hpp"
#include "contract/io_manager.hpp"
#include "contract/objects.hpp"
#include "contract/placement.hpp"
#include "contract/priorities.hpp"
#include "contract/processes.hpp"
#include "contract/storport_adapters.hpp"
#include "contract/thread_lifecycle.hpp"

namespace tpb::detail {

class RuntimeState : public std::enable_shared_from_this<RuntimeState> {
 public:
  // Throws std::invalid_argument for an unknown backend or an option out of range.
  explicit RuntimeState(RuntimeOptions options);
  ~RuntimeState();

  const RuntimeOptions& options() const { return options_; }
  ThreadBackend& backend() { return *backend_; }
  const Capabilities& capabilities() const { return capabilities_; }
  const Topology& topology() const { return topology_; }
  HandleTable& handles() { return handles_; }
  // Thread and process ids (ClientId values), multiples of 4 as on Windows.
  std::uint64_t next_client_id() { return next_id_.fetch_add(4); }

  Accounting& accounting() { return accounting_; }
  Placement& placement() { return placement_; }
  Priorities& priorities() { return priorities_; }
  IoManager& io() { return io_; }
  AdapterTable& adapters() { return adapters_; }
  Processes& processes() { return processes_; }
  ThreadLifecycle& threads() { return threads_; }

  RuntimeStats stats() const;

  // Shutdown: called once by ~Runtime when no thread is alive.
  void shut_down();
  bool is_shut_down() const { return shut_down_.load(); }

 private:
  // Declaration order is construction order: each subsystem gets only what is built above it.
  RuntimeOptions options_;
  const Topology& topology_;
  std::unique_ptr<ThreadBackend> backend_;
  Capabilities capabilities_;
  HandleTable handles_;
  std::atomic<std::uint64_t> next_id_{0x100};
  Accounting accounting_;
  Placement placement_;
  Priorities priorities_;
  IoManager io_;
  AdapterTable adapters_;
  Processes processes_;
  ThreadLifecycle threads_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace tpb::detail
