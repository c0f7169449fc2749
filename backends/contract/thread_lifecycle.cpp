#include "contract/thread_lifecycle.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <new>

#include "contract/bugcheck.hpp"
#include "contract/current.hpp"
#include "contract/dispatcher.hpp"
#include "contract/runtime_state.hpp"
#include "contract/thread_notify.hpp"
#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb::detail {
namespace {

// Behaviour 8 and docs/contracts.md section 6, decision 1: these ask for object-manager semantics a
// thread cannot have.
constexpr ULONG kInvalidThreadAttributes = OBJ_PERMANENT | OBJ_EXCLUSIVE | OBJ_OPENIF;

NTSTATUS status_of(LaunchStatus s) {
  switch (s) {
    case LaunchStatus::ok:
      return STATUS_SUCCESS;
    case LaunchStatus::no_resources:
      return STATUS_INSUFFICIENT_RESOURCES;  // behaviour 11
    case LaunchStatus::priority_denied:
      return STATUS_PRIVILEGE_NOT_HELD;  // docs/contracts.md 6, "Priorities on Linux"
    case LaunchStatus::invalid:
      return STATUS_INVALID_PARAMETER;
  }
  return STATUS_UNSUCCESSFUL;
}

}  // namespace

// What create() has taken for a thread that is not running yet. Each step records what it took;
// unless launched() is called, destruction gives everything back in reverse order. Every failure
// of create() therefore takes the same path, and nothing leaks when a later step fails
// (docs/contracts.md 6: a refused creation leaks nothing; behaviour 48: the I/O reference count is
// unchanged).
class PendingThread {
 public:
  explicit PendingThread(RuntimeState& runtime) : runtime_(runtime) {}
  ~PendingThread() {
    if (!launched_) roll_back();
  }
  PendingThread(const PendingThread&) = delete;
  PendingThread& operator=(const PendingThread&) = delete;
  // The thread runs (and may have ended already): it owns everything now; touch nothing.
  void launched() { launched_ = true; }

  ProcessRecord* process = nullptr;  // referenced; the thread record owns it once it exists
  PlacedThread placed;               // its per-CPU slot
  ThreadRecord* thread = nullptr;    // the creation reference
  HANDLE handle = nullptr;           // a handle holding a second reference
  bool adapter_admitted = false;     // counted in thread->adapter under thread->adapter_token
  IoReference io;                    // taken on the driver/device
  DriverRecord* ps_owner = nullptr;  // listed among the driver's PsCreateSystemThread threads
  bool live = false;                 // counted in its process and in the runtime's live list

 private:
  void roll_back() {
    if (live) {
      {
        std::lock_guard lock(runtime_.threads().live_mutex_);
        runtime_.threads().unlink_live(thread);
      }
      runtime_.processes().thread_withdrawn(*process);
    }
    if (ps_owner != nullptr) runtime_.io().remove_ps_thread(*ps_owner, thread);
    if (io) runtime_.io().drop_reference(io);
    if (adapter_admitted) runtime_.adapters().leave(*thread->adapter, thread->adapter_token);
    if (handle != nullptr) release(runtime_.handles().remove(handle));
    if (thread != nullptr) thread->keep_alive.reset();
    runtime_.placement().uncharge(placed.charged);
    if (thread != nullptr)
      release(thread);  // and with it the process reference
    else if (process != nullptr)
      release(process);
  }

  RuntimeState& runtime_;
  bool launched_ = false;
};

ThreadLifecycle::ThreadLifecycle(RuntimeState& runtime)
    : runtime_(runtime), host_thread_per_thread_(!runtime.capabilities().reuses_host_threads) {}

NTSTATUS ThreadLifecycle::create(const CreateRequest& request) {
  // Nothing to run (behaviour 51 for StorPort; Ps and Io have no documented status, and a null
  // routine must not reach a backend).
  if (request.routine == nullptr) return STATUS_INVALID_PARAMETER;
  if (request.attributes != nullptr) {
    ULONG attributes = request.attributes->Attributes;
    if ((attributes & kInvalidThreadAttributes) != 0 || (attributes & ~OBJ_VALID_ATTRIBUTES) != 0)
      return STATUS_INVALID_PARAMETER;  // behaviour 8, section 6 decision 1: no thread, no handle
  }
  PendingThread pending(runtime_);
  // Behaviours 9, 12, 17.
  if (NTSTATUS status = runtime_.processes().resolve(request.process, pending.process);
      !NT_SUCCESS(status))
    return status;
  if (pending.process->terminating.load()) return STATUS_PROCESS_IS_TERMINATING;  // behaviour 10
  // Per-CPU limits (docs/contracts.md 6): STATUS_INSUFFICIENT_RESOURCES past one.
  if (NTSTATUS status = runtime_.placement().place(pending.placed); !NT_SUCCESS(status))
    return status;
  auto* thread = new (std::nothrow) ThreadRecord(&runtime_);
  if (thread == nullptr) return STATUS_INSUFFICIENT_RESOURCES;  // behaviour 11
  pending.thread = thread;
  ProcessRecord* process = pending.process;
  thread->id = runtime_.next_client_id();
  remember(thread);
  thread->process = process;
  thread->routine = request.routine;
  thread->context = request.context;
  thread->system = true;
  thread->io = request.io;
  thread->charged_cpu = pending.placed.charged;
  thread->launch_cpus = pending.placed.cpus;
  // Behaviour 16 (a new thread is at 8 unless configured); section 6 decision 3: 0 is stored as 1,
  // as KeSetPriorityThread does.
  thread->priority = std::max<KPRIORITY>(
      1, request.priority != 0 ? request.priority : runtime_.options().initial_thread_priority());
  thread->base_priority = process->base_priority;

  Launch launch;
  launch.trampoline = &run_system_thread;
  launch.completion = &complete_system_thread;
  launch.argument = thread;
  launch.cpus = pending.placed.cpus;
  launch.home_cpu = pending.placed.home;
  launch.stack_size = runtime_.options().stack_size();
  if (NTSTATUS status = runtime_.priorities().prepare_launch(*thread, launch); !NT_SUCCESS(status))
    return status;

  if (request.handle_out != nullptr) {
    reference(thread);  // the handle's own reference (behaviour 30: closing it leaves the thread)
    pending.handle = runtime_.handles().insert(thread, request.access);
    if (pending.handle == nullptr) {
      release(thread);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
  }
  if (request.adapter != nullptr) {
    // Behaviour 52, section 6 decision 8: the adapter counts live threads.
    thread->adapter_token = runtime_.adapters().admit(*request.adapter, thread);
    if (thread->adapter_token == 0) return STATUS_INSUFFICIENT_RESOURCES;
    thread->adapter = request.adapter;
    pending.adapter_admitted = true;
  }
  // The driver whose code creates the thread: an unload while it lives is bug check 0xCE
  // (behaviour 49), unless it holds an I/O reference, which the unload waits for instead.
  DriverRecord* owner = request.io ? request.io.driver : host_context().driver;
  thread->owner_driver = owner;
  if (request.io) {
    runtime_.io().take_reference(request.io);  // behaviour 46: before the routine runs
    pending.io = request.io;
  } else if (owner != nullptr) {
    runtime_.io().add_ps_thread(*owner, thread);
    pending.ps_owner = owner;
  }
  runtime_.processes().thread_added(*process);
  {
    std::lock_guard lock(live_mutex_);
    link_live(thread);
  }
  pending.live = true;
  thread->keep_alive = runtime_.shared_from_this();
  const std::uint64_t thread_id = thread->id;
  const std::uint64_t process_id = process->id;
  const std::uint64_t token = thread->adapter_token;

  // Behaviour 109: the creator's notify routines run before the thread can.
  const auto notify_pid = reinterpret_cast<HANDLE>(process_id);
  const auto notify_tid = reinterpret_cast<HANDLE>(thread_id);
  notify_thread_created(NotifyContext::creator, notify_pid, notify_tid);
  LaunchStatus launched = runtime_.backend().launch(launch);
  if (launched == LaunchStatus::priority_denied &&
      runtime_.priorities().retry_without_priority(*thread, launch))
    launched = runtime_.backend().launch(launch);
  if (launched != LaunchStatus::ok) {
    notify_thread_ended(notify_pid, notify_tid);  // the routines saw it created: close the pair
    return status_of(launched);
  }
  pending.launched();
  created_.fetch_add(1);
  // The thread may have ended already: touch only the copies taken above.
  if (request.handle_out != nullptr) *request.handle_out = pending.handle;
  if (request.client_id_out != nullptr) {  // behaviour 7
    request.client_id_out->UniqueProcess = reinterpret_cast<HANDLE>(process_id);
    request.client_id_out->UniqueThread = reinterpret_cast<HANDLE>(thread_id);
  }
  if (request.adapter_token_out != nullptr) *request.adapter_token_out = token;
  return STATUS_SUCCESS;
}

void ThreadLifecycle::started(ThreadRecord& thread) {
  std::lock_guard lock(thread.sched_mutex);
  thread.host_tid = host::current_tid();
  thread.host_thread = pthread_self();
  thread.started = true;
  runtime_.priorities().apply_pending(thread);
}

void run_system_thread(void* raw) {
  auto* thread = static_cast<ThreadRecord*>(raw);
  ThreadLifecycle& threads = thread->runtime->threads();
  HostThreadContext& context = host_context();
  const HostThreadContext saved = context;
  context.current = thread;
  context.driver = thread->owner_driver;
  thread->irql = PASSIVE_LEVEL;  // behaviour 14
  thread->apc_disable = 1;       // start routines begin inside a critical region (behaviour 15)
  threads.started(*thread);
  const auto notify_pid = reinterpret_cast<HANDLE>(thread->process->id);
  const auto notify_tid = reinterpret_cast<HANDLE>(thread->id);
  notify_thread_created(NotifyContext::new_thread, notify_pid, notify_tid);  // behaviour 110
  NTSTATUS status = STATUS_SUCCESS;  // a routine that returns ends with success (behaviour 35)
  try {
    thread->routine(thread->context);
  } catch (const ThreadTermination& termination) {
    status = termination.status;  // behaviours 33 and 57
  } catch (const std::exception& e) {
    // Behaviour 37: Windows bug checks 0x7E; so does the emulation.
    bug_check(BugCheck::system_thread_exception_not_handled,
              std::string("exception escaped a system thread's start routine: ") + e.what());
  } catch (...) {
    bug_check(BugCheck::system_thread_exception_not_handled,
              "exception escaped a system thread's start routine");
  }
  if (thread->owned_mutexes > 0)  // behaviour 89
    bug_check(BugCheck::thread_terminate_held_mutex, "a system thread ended owning " +
                                                         std::to_string(thread->owned_mutexes) +
                                                         " kernel mutex(es)");
  notify_thread_ended(notify_pid, notify_tid);  // behaviour 109: before the object is signalled
  threads.finish(*thread, status);
  context = saved;
}

void ThreadLifecycle::finish(ThreadRecord& thread, NTSTATUS status) {
  thread.exit_status.store(status);
  if (thread.io) {
    // Section 6 decision 6: the reference goes even after PsTerminateSystemThread, and the verifier
    // says so.
    if (thread.terminated_by_ps)
      runtime_.accounting().report(
          "PsTerminateSystemThread called in an IoCreateSystemThread routine (thread " +
          std::to_string(thread.id) + "); its IoObject reference was released anyway");
    runtime_.io().drop_reference(thread.io);  // behaviour 46: only after the routine returned
  } else if (thread.owner_driver != nullptr) {
    runtime_.io().remove_ps_thread(*thread.owner_driver, &thread);
  }
  if (thread.adapter != nullptr) runtime_.adapters().leave(*thread.adapter, thread.adapter_token);
  runtime_.placement().uncharge(thread.charged_cpu);
  // A start routine that left a system affinity in place must not leak it to a reused host
  // thread (pool and tbb workers).
  if (!thread.user_affinity.empty()) host::set_thread_affinity(0, thread.user_affinity);
  std::lock_guard lock(thread.sched_mutex);
  thread.ended = true;
}

void complete_system_thread(void* raw) {
  auto* thread = static_cast<ThreadRecord*>(raw);
  thread->runtime->threads().complete(*thread);
}

void ThreadLifecycle::complete(ThreadRecord& thread) {
  std::shared_ptr<RuntimeState> keep = std::move(thread.keep_alive);  // alive through the tail
  runtime_.processes().thread_ended(*thread.process);
  // Behaviours 19, 22 and 24: signaled for good, every waiter released.
  signal_forever(thread.header);
  // The thread's own reference goes before it leaves the live set, so that once wait_idle()
  // returns, every ended thread's object is held only by handles and references. Under the lock,
  // so live_names() never reads a freed record.
  std::lock_guard lock(live_mutex_);
  if (host_thread_per_thread_ && thread.host_tid != 0) {
    if (exiting_tids_.size() == kExitingTidsKept) exiting_tids_.erase(exiting_tids_.begin());
    exiting_tids_.push_back(thread.host_tid);
  }
  unlink_live(&thread);
  release(&thread);
  if (live_count_ == 0) live_cv_.notify_all();
}

void ThreadLifecycle::link_live(ThreadRecord* thread) {
  thread->live_next = live_head_;
  if (live_head_ != nullptr) live_head_->live_prev = thread;
  live_head_ = thread;
  ++live_count_;
}

void ThreadLifecycle::unlink_live(ThreadRecord* thread) {
  if (thread->live_prev != nullptr) thread->live_prev->live_next = thread->live_next;
  if (thread->live_next != nullptr) thread->live_next->live_prev = thread->live_prev;
  if (live_head_ == thread) live_head_ = thread->live_next;
  thread->live_prev = thread->live_next = nullptr;
  --live_count_;
}

ThreadRecord* ThreadLifecycle::new_foreign() {
  ProcessRecord* host_process = runtime_.processes().host();
  auto* thread = new ThreadRecord(&runtime_);
  thread->id = runtime_.next_client_id();
  remember(thread);
  thread->process = host_process;
  reference(host_process);
  thread->system = false;
  thread->host_tid = host::current_tid();
  thread->host_thread = pthread_self();
  thread->started = true;
  thread->priority = std::max<KPRIORITY>(1, runtime_.options().initial_thread_priority());
  thread->base_priority = host_process->base_priority;
  runtime_.priorities().init_foreign(*thread);
  thread->keep_alive = runtime_.shared_from_this();
  return thread;
}

void ThreadLifecycle::remember(ThreadRecord* thread) {
  std::lock_guard lock(ids_mutex_);
  by_id_[thread->id] = thread;
}

void ThreadLifecycle::forget(ThreadRecord* thread) {
  std::lock_guard lock(ids_mutex_);
  auto it = by_id_.find(thread->id);
  if (it != by_id_.end() && it->second == thread) by_id_.erase(it);
}

ThreadRecord* ThreadLifecycle::reference_by_id(std::uint64_t id) {
  std::lock_guard lock(ids_mutex_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  // An object whose last reference is already gone is being freed: never revive it.
  std::atomic<long>& refs = it->second->refs;
  for (long n = refs.load(); n > 0;)
    if (refs.compare_exchange_weak(n, n + 1)) return it->second;
  return nullptr;
}

std::size_t ThreadLifecycle::live_count() const {
  std::lock_guard lock(live_mutex_);
  return live_count_;
}

bool ThreadLifecycle::wait_idle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<long> exiting;
  {
    std::unique_lock lock(live_mutex_);
    if (!live_cv_.wait_until(lock, deadline, [&] { return live_count_ == 0; })) return false;
    exiting.swap(exiting_tids_);
  }
  for (long tid : exiting)
    if (!host::wait_thread_gone(tid, deadline - std::chrono::steady_clock::now())) return false;
  return true;
}

std::vector<std::string> ThreadLifecycle::live_names() {
  std::lock_guard lock(live_mutex_);
  std::vector<std::string> names;
  for (ThreadRecord* thread = live_head_; thread != nullptr; thread = thread->live_next) {
    // A thread whose end is signalled only has its bookkeeping left: it is not running, and a
    // program that waited for it must never hear otherwise (behaviour 116).
    if (std::atomic_ref<LONG>(thread->header.SignalState).load() != 0) continue;
    // Exported routines are named; static ones show as an address.
    Dl_info info{};
    auto* routine = reinterpret_cast<void*>(thread->routine);
    char line[160];
    if (dladdr(routine, &info) != 0 && info.dli_sname != nullptr)
      std::snprintf(line, sizeof line, "thread %llu (routine %s)",
                    static_cast<unsigned long long>(thread->id), info.dli_sname);
    else
      std::snprintf(line, sizeof line, "thread %llu (routine %p)",
                    static_cast<unsigned long long>(thread->id), routine);
    names.emplace_back(line);
  }
  return names;
}

}  // namespace tpb::detail
