#include "contract/storport_adapters.hpp"

#include <atomic>

namespace tpb::detail {

namespace {
// Process-wide, so two runtimes never hand out the same ThreadContext.
std::atomic<std::uint64_t> g_adapter_tokens{1};
}  // namespace

AdapterTable::AdapterTable(Accounting& accounting, unsigned thread_limit)
    : accounting_(accounting), limit_(thread_limit) {}

AdapterRecord* AdapterTable::create(ULONG extension_size) {
  auto adapter = std::make_unique<AdapterRecord>();
  adapter->extension = zeroed_extension(extension_size);
  if (!adapter->extension) return nullptr;
  adapter->limit = limit_;
  std::lock_guard lock(mutex_);
  adapters_.push_back(std::move(adapter));
  accounting_.object_created();
  return adapters_.back().get();
}

AdapterRecord* AdapterTable::find(const void* extension) {
  if (extension == nullptr) return nullptr;
  std::lock_guard lock(mutex_);
  for (auto& adapter : adapters_)
    if (adapter->extension.get() == extension) return adapter.get();
  return nullptr;
}

NTSTATUS AdapterTable::destroy(const void* extension) {
  std::lock_guard lock(mutex_);
  for (auto it = adapters_.begin(); it != adapters_.end(); ++it) {
    if ((*it)->extension.get() != extension) continue;
    {
      std::lock_guard adapter_lock((*it)->mutex);
      if (!(*it)->live.empty()) return STATUS_INVALID_DEVICE_STATE;
    }
    adapters_.erase(it);
    accounting_.object_destroyed();
    return STATUS_SUCCESS;
  }
  return STATUS_INVALID_PARAMETER;
}

std::uint64_t AdapterTable::admit(AdapterRecord& adapter, ThreadRecord* thread) {
  std::lock_guard lock(adapter.mutex);
  if (adapter.live.size() >= adapter.limit) return 0;
  const std::uint64_t token = g_adapter_tokens.fetch_add(1);
  adapter.live.emplace(token, thread);
  return token;
}

void AdapterTable::leave(AdapterRecord& adapter, std::uint64_t token) {
  std::lock_guard lock(adapter.mutex);
  adapter.live.erase(token);
}

ThreadRecord* AdapterTable::thread_of(AdapterRecord& adapter, const void* token) {
  auto it = adapter.live.find(reinterpret_cast<std::uint64_t>(token));
  return it == adapter.live.end() ? nullptr : it->second;
}

}  // namespace tpb::detail
