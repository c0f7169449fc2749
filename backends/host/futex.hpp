// host/futex.hpp - the one futex wrapper of the tree: wait and wake on a private 32-bit word.
//
// The kernel compares the word and sleeps atomically, so a wake issued after the word changed is
// never lost. Every wait may return spuriously (a signal, a stale wake): callers re-check the word.
// Inline on purpose: the pool's launch latency and the benchmarks' raw-futex references are one
// syscall each, and a call through the shared library would add to what they measure.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <type_traits>

namespace tpb::host {

// A futex word: a lock-free atomic of a plain 32-bit integer type.
template <class T>
concept FutexWord = sizeof(T) == 4 && std::is_integral_v<T>&& std::atomic<T>::is_always_lock_free;

// A word that lives in a plain struct field and is accessed through std::atomic_ref (the DDI's
// DISPATCHER_HEADER::SignalState) is passed by pointer; a std::atomic by reference.

// Sleeps while the word holds `expected`, until a wake (or a spurious return).
template <FutexWord T>
void futex_wait(T* word, T expected) {
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, static_cast<std::uint32_t>(expected), nullptr,
          nullptr, 0);
}

// The same, for at most `timeout`; returns at once when `timeout` is not positive.
template <FutexWord T>
void futex_wait_for(T* word, T expected, std::chrono::nanoseconds timeout) {
  if (timeout <= std::chrono::nanoseconds::zero()) return;
  const auto ns = timeout.count();
  const timespec relative{static_cast<time_t>(ns / 1'000'000'000),
                          static_cast<long>(ns % 1'000'000'000)};
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, static_cast<std::uint32_t>(expected), &relative,
          nullptr, 0);
}

// Wakes up to `count` threads sleeping on the word (INT_MAX: all of them).
template <FutexWord T>
void futex_wake(T* word, int count) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

// std::atomic<T> has T's size and representation (checked by FutexWord's lock-freedom and the
// assertion below), so its address is the word's.
template <FutexWord T>
T* word_of(std::atomic<T>& word) {
  static_assert(sizeof(std::atomic<T>) == sizeof(T));
  return reinterpret_cast<T*>(&word);
}

template <FutexWord T>
void futex_wait(std::atomic<T>& word, T expected) {
  futex_wait(word_of(word), expected);
}
template <FutexWord T>
void futex_wait_for(std::atomic<T>& word, T expected, std::chrono::nanoseconds timeout) {
  futex_wait_for(word_of(word), expected, timeout);
}
template <FutexWord T>
void futex_wake(std::atomic<T>& word, int count) {
  futex_wake(word_of(word), count);
}

}  // namespace tpb::host
