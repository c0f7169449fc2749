// Handle table (docs/contracts.md 1.7, behaviours 13, 30-32): kernel handles, generations, counts.
#include <gtest/gtest.h>

#include <cstdint>

#include <tpb/runtime.hpp>

#include "contract/handle_table.hpp"
#include "contract/objects.hpp"
#include "contract/runtime_state.hpp"

namespace tpb::detail {
namespace {

class HandleTableTest : public ::testing::Test {
 protected:
  Runtime runtime_;
  ProcessRecord* make_object() { return runtime_.state().processes().create(); }
};

// 13: handles are kernel handles: the top bit is set (x64 kernel-handle flag).
TEST_F(HandleTableTest, HandlesCarryTheKernelFlag) {
  HandleTable table;
  ProcessRecord* object = make_object();
  HANDLE h = table.insert(object, PROCESS_ALL_ACCESS);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uint64_t>(h) & 0xFFFFFFFF80000000ULL, 0xFFFFFFFF80000000ULL);
  release(table.remove(h));
}

// 31: a closed handle stays invalid even after its slot is reused by a new object.
TEST_F(HandleTableTest, ClosedHandleStaysInvalidAfterSlotReuse) {
  HandleTable table;
  HANDLE first = table.insert(make_object(), 0);
  release(table.remove(first));
  HANDLE second = table.insert(make_object(), 0);
  EXPECT_NE(first, second);
  EXPECT_EQ(table.reference(first, nullptr), nullptr);
  EXPECT_EQ(table.remove(first), nullptr);
  KernelObject* object = table.reference(second, nullptr);
  ASSERT_NE(object, nullptr);
  release(object);
  release(table.remove(second));
  EXPECT_EQ(table.size(), 0u);
}

// Garbage handles are rejected without touching memory.
TEST_F(HandleTableTest, GarbageHandlesAreRejected) {
  HandleTable table;
  for (std::uint64_t garbage : {0x0ULL, 0x4ULL, 0xFFFFFFFF80000004ULL, 0xFFFFFFFF8FFFFFFCULL,
                                0xDEADBEEFULL, 0xFFFFFFFFFFFFFFFFULL}) {
    EXPECT_EQ(table.reference(reinterpret_cast<HANDLE>(garbage), nullptr), nullptr) << garbage;
    EXPECT_EQ(table.remove(reinterpret_cast<HANDLE>(garbage)), nullptr) << garbage;
  }
}

// 32: an object lives until its last handle and last reference are gone.
TEST_F(HandleTableTest, ObjectFreedAfterLastHandleAndReference) {
  HandleTable table;
  const auto before = runtime_.stats().live_objects;
  ProcessRecord* object = make_object();
  HANDLE h = table.insert(object, 0);
  KernelObject* extra = table.reference(h, nullptr);
  EXPECT_EQ(runtime_.stats().live_objects, before + 1);
  release(table.remove(h));
  EXPECT_EQ(runtime_.stats().live_objects, before + 1);
  release(extra);
  EXPECT_EQ(runtime_.stats().live_objects, before);
}

// Concurrent inserts, references and closes keep the count exact.
TEST_F(HandleTableTest, ConcurrentUseKeepsCountsExact) {
  HandleTable table;
  const auto before = runtime_.stats().live_objects;
  auto work = [&] {
    for (int i = 0; i < 2000; ++i) {
      HANDLE h = table.insert(make_object(), 0);
      KernelObject* o = table.reference(h, nullptr);
      release(o);
      release(table.remove(h));
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(runtime_.stats().live_objects, before);
}

}  // namespace
}  // namespace tpb::detail
