// StorPort adapters of one runtime: each named by its device extension, each admitting at most
// `limit` live threads (behaviour 52; docs/contracts.md section 6, decision 8: the limit counts
// threads that have not exited and defaults to the logical processor count). A thread is named by a
// token, its ThreadContext (behaviour 50); tokens are unique in the process, so a stale or foreign
// one never names a live thread (behaviour 55).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <systhread/wdm.h>

#include "contract/accounting.hpp"
#include "contract/objects.hpp"

namespace tpb::detail {

class AdapterTable {
 public:
  AdapterTable(Accounting& accounting, unsigned thread_limit);

  // A zeroed extension of at least `extension_size` bytes; nullptr when out of memory.
  AdapterRecord* create(ULONG extension_size);
  // The adapter whose extension this is, or nullptr.
  AdapterRecord* find(const void* extension);
  // STATUS_INVALID_DEVICE_STATE while a thread of it lives; STATUS_INVALID_PARAMETER when unknown.
  NTSTATUS destroy(const void* extension);

  // Counts `thread` in: its token, or 0 when the adapter is at its limit.
  std::uint64_t admit(AdapterRecord& adapter, ThreadRecord* thread);
  void leave(AdapterRecord& adapter, std::uint64_t token);
  // The live thread `token` names, or nullptr. The caller holds adapter.mutex.
  static ThreadRecord* thread_of(AdapterRecord& adapter, const void* token);

 private:
  Accounting& accounting_;
  const unsigned limit_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<AdapterRecord>> adapters_;
};

}  // namespace tpb::detail
