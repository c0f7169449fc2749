#include "contract/handle_table.hpp"

#include "contract/objects.hpp"

namespace tpb::detail {
namespace {
// Bits: kernel flag (top 33 bits on x64) | generation (11 bits) | slot + 1 (18 bits) | 2 zero bits.
constexpr std::uint64_t kKernelFlag = 0xFFFFFFFF80000000ULL;
constexpr std::uint32_t kSlotBits = 18;
constexpr std::uint32_t kGenerationBits = 11;
constexpr std::uint64_t kMaxSlots = (1ULL << kSlotBits) - 1;

HANDLE encode(std::uint64_t slot, std::uint32_t generation) {
  std::uint64_t gen = generation & ((1U << kGenerationBits) - 1);
  return reinterpret_cast<HANDLE>(kKernelFlag | (gen << (kSlotBits + 2)) | ((slot + 1) << 2));
}
}  // namespace

long HandleTable::slot_of(HANDLE handle) const {
  auto value = reinterpret_cast<std::uint64_t>(handle);
  if ((value & kKernelFlag) != kKernelFlag || (value & 3) != 0) return -1;
  std::uint64_t slot = ((value >> 2) & kMaxSlots);
  if (slot == 0 || slot > entries_.size()) return -1;
  --slot;
  const Entry& e = entries_[slot];
  std::uint32_t gen =
      static_cast<std::uint32_t>((value >> (kSlotBits + 2)) & ((1U << kGenerationBits) - 1));
  if (e.object == nullptr || (e.generation & ((1U << kGenerationBits) - 1)) != gen) return -1;
  return static_cast<long>(slot);
}

HANDLE HandleTable::insert(KernelObject* object, ACCESS_MASK access) {
  std::lock_guard lock(mutex_);
  std::uint64_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    if (entries_.size() >= kMaxSlots) return nullptr;
    slot = entries_.size();
    entries_.emplace_back();
  }
  Entry& e = entries_[slot];
  e.object = object;
  e.access = access;
  ++used_;
  return encode(slot, e.generation);
}

KernelObject* HandleTable::reference(HANDLE handle, ACCESS_MASK* granted) {
  std::lock_guard lock(mutex_);
  long slot = slot_of(handle);
  if (slot < 0) return nullptr;
  Entry& e = entries_[static_cast<std::size_t>(slot)];
  tpb::detail::reference(e.object);
  if (granted) *granted = e.access;
  return e.object;
}

KernelObject* HandleTable::remove(HANDLE handle) {
  std::lock_guard lock(mutex_);
  long slot = slot_of(handle);
  if (slot < 0) return nullptr;
  Entry& e = entries_[static_cast<std::size_t>(slot)];
  KernelObject* object = e.object;
  e.object = nullptr;
  ++e.generation;
  free_.push_back(static_cast<std::uint32_t>(slot));
  --used_;
  return object;
}

std::size_t HandleTable::size() const {
  std::lock_guard lock(mutex_);
  return used_;
}

std::vector<KernelObject*> HandleTable::drain() {
  std::lock_guard lock(mutex_);
  std::vector<KernelObject*> out;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].object == nullptr) continue;
    out.push_back(entries_[i].object);
    entries_[i].object = nullptr;
    ++entries_[i].generation;
    free_.push_back(static_cast<std::uint32_t>(i));
  }
  used_ = 0;
  return out;
}

}  // namespace tpb::detail
