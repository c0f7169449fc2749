// futex.hpp - the two raw futex operations the pool parks its workers with.
//
// A private futex on a std::atomic<std::uint32_t>: the kernel compares and sleeps atomically, so
// a wake issued after the word changed is never lost. Not a condition variable on purpose: a wake
// is one syscall and no mutex, which is what the pool's launch latency is measured against.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace tpb::futex {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "the futex word must be a plain 32-bit integer");

// Sleeps while *word == expected. Returns on a wake, a signal, or at once if the word differs;
// callers re-check the word (spurious returns are allowed).
inline void wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}

// Wakes up to `count` threads sleeping on `word`.
inline void wake(std::atomic<std::uint32_t>& word, int count) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr,
          nullptr, 0);
}

}  // namespace tpb::futex
