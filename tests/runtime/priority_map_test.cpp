// KPRIORITY -> host map (docs/contracts.md 6, "Priorities on Linux") and best-effort's nearest
// level.
#include <gtest/gtest.h>

#include <tpb/runtime.hpp>

#include "contract/priority_map.hpp"

namespace tpb {
namespace {

using Policy = HostPriority::Policy;

// The table's fixed points: 1 -> nice 19, 8 -> nice 0, 15 -> nice -10, 16 -> FIFO 1, 31 -> 76.
TEST(PriorityMap, FixedPoints) {
  EXPECT_EQ(host_priority_for(1), (HostPriority{Policy::other, 19, 0}));
  EXPECT_EQ(host_priority_for(8), (HostPriority{Policy::other, 0, 0}));
  EXPECT_EQ(host_priority_for(15), (HostPriority{Policy::other, -10, 0}));
  EXPECT_EQ(host_priority_for(16), (HostPriority{Policy::fifo, 0, 1}));
  EXPECT_EQ(host_priority_for(31), (HostPriority{Policy::fifo, 0, 76}));
  EXPECT_EQ(host_priority_for(0), host_priority_for(1));  // 0 is stored as 1
}

// Higher KPRIORITY is never less favourable on the host.
TEST(PriorityMap, Monotonic) {
  for (KPRIORITY p = 1; p < 31; ++p) {
    HostPriority lo = host_priority_for(p), hi = host_priority_for(p + 1);
    if (lo.policy == hi.policy && lo.policy == Policy::other) {
      EXPECT_LE(hi.nice, lo.nice) << p;
    }
    if (lo.policy == hi.policy && lo.policy == Policy::fifo) {
      EXPECT_GT(hi.rt_priority, lo.rt_priority) << p;
    }
  }
}

// Without RT rights best-effort falls back to the most favourable nice value allowed.
TEST(PriorityMap, NearestWithoutRtRights) {
  HostSchedulingRights none{false, 0, 0, ""};
  EXPECT_FALSE(detail::permitted(host_priority_for(24), none));
  EXPECT_EQ(detail::nearest_permitted(host_priority_for(24), none),
            (HostPriority{Policy::other, 0, 0}));
  EXPECT_EQ(detail::nearest_permitted(host_priority_for(15), none),
            (HostPriority{Policy::other, 0, 0}));
  EXPECT_TRUE(detail::permitted(host_priority_for(4), none));
}

// With a capped RT budget, the level is clamped to the cap.
TEST(PriorityMap, NearestWithCappedRtRights) {
  HostSchedulingRights capped{true, 10, -5, ""};
  EXPECT_EQ(detail::nearest_permitted(host_priority_for(31), capped),
            (HostPriority{Policy::fifo, 0, 10}));
  EXPECT_TRUE(detail::permitted(host_priority_for(16), capped));
  EXPECT_EQ(detail::nearest_permitted(host_priority_for(15), capped),
            (HostPriority{Policy::other, -5, 0}));
}

}  // namespace
}  // namespace tpb
