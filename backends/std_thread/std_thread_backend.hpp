// std_thread: one detached std::thread per system thread.
//
// What it guarantees
// - Each successful launch() creates one new host thread that runs the trampoline exactly once and
//   then exits. Host tids do not repeat while threads live.
// - Affinity (Launch::cpus), priority (Launch::priority, when apply_priority) and the name are
//   applied by the new thread itself, first thing, before the trampoline runs: std::thread has no
//   attributes to carry them.
//
// The unpinned window (Capabilities::unpinned_window)
// - From clone() until those first calls return, the new thread runs with what it inherited from
//   the thread that called launch(): the creator's CPU mask and its scheduling policy, level and
//   nice. A creator at SCHED_FIFO therefore starts a SCHED_OTHER system thread at SCHED_FIFO for
//   that window; a creator pinned to CPU 0 starts it on CPU 0. The window is a few microseconds
//   (three syscalls) but is scheduled like any other code: the thread can be preempted or migrated
//   inside it. No instruction of the system thread's start routine runs inside it.
// - A priority the host refuses inside the thread (EPERM) cannot refuse the launch any more: the
//   thread runs at what it inherited. The runtime probes the process's rights before launching,
//   so this only happens when the rights changed in between.
//
// Limits
// - The stack is std::thread's default; a launch asking for a larger one gets no_resources.
// - Failure to create the thread (std::system_error) maps to no_resources.
//
// Thread-safety: launch() may be called from any thread. The backend holds no state; destroying it
// does not wait for the threads it started (the runtime waits for its system threads).
#pragma once

#include <memory>

#include <tpb/backend.hpp>

namespace tpb {

Capabilities std_thread_capabilities();
std::unique_ptr<ThreadBackend> make_std_thread_backend(const BackendOptions& options,
                                                       const Topology& topology);

}  // namespace tpb
