// A runtime's handle table. Handles are kernel handles (top bit set, as on Vista+ x64) that carry
// a generation, so a closed handle stays invalid even after its slot is reused.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include <systhread/wdm.h>

namespace tpb::detail {

struct KernelObject;

class HandleTable {
 public:
  // Stores `object`, taking over one of its references. nullptr when the table is full.
  HANDLE insert(KernelObject* object, ACCESS_MASK access);
  // The object with one more reference, and the access granted, or nullptr for a bad handle.
  KernelObject* reference(HANDLE handle, ACCESS_MASK* granted);
  // Removes the handle; returns the object whose reference the caller now owns, or nullptr.
  KernelObject* remove(HANDLE handle);
  std::size_t size() const;
  // Removes every handle; the caller owns one reference per returned object.
  std::vector<KernelObject*> drain();

 private:
  struct Entry {
    KernelObject* object = nullptr;
    ACCESS_MASK access = 0;
    std::uint32_t generation = 0;
  };
  // Decodes a handle into its slot index; -1 when it is not one of ours or is stale.
  long slot_of(HANDLE handle) const;

  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> free_;
  std::size_t used_ = 0;
};

}  // namespace tpb::detail
