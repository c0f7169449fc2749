#include "contract/runtime_state.hpp"

#include <dlfcn.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "contract/bugcheck.hpp"
#include "contract/current.hpp"
#include "contract/dispatcher.hpp"
#include "contract/priority_map.hpp"
#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb::detail {
namespace {

std::string resolve_backend_name(const RuntimeOptions& options) {
  if (!options.backend().empty()) return options.backend();
  if (const char* env = std::getenv("SYSTHREAD_BACKEND"); env != nullptr && *env != '\0')
    return env;
  return "pthread";
}

const BackendEntry& backend_entry(const std::string& name) {
  const BackendEntry* entry = find_backend(name);
  if (entry == nullptr)
    throw std::invalid_argument("unknown backend '" + name + "' (known: " + backend_names() + ")");
  return *entry;
}

bool verifier_from(const RuntimeOptions& options) {
  if (options.verifier() >= 0) return options.verifier() == 1;
  const char* env = std::getenv("SYSTHREAD_VERIFIER");
  return env != nullptr && std::strcmp(env, "1") == 0;
}

std::atomic<std::uint64_t> g_adapter_tokens{1};

// A device extension: max-aligned and zeroed to the last byte (value-initialising max_align_t
// leaves its padding alone).
std::unique_ptr<std::max_align_t[]> zeroed_extension(std::size_t words) {
  std::unique_ptr<std::max_align_t[]> memory(new (std::nothrow) std::max_align_t[words]);
  if (memory) std::memset(memory.get(), 0, words * sizeof(std::max_align_t));
  return memory;
}

constexpr ULONG kInvalidThreadAttributes = OBJ_PERMANENT | OBJ_EXCLUSIVE | OBJ_OPENIF;

NTSTATUS status_of(LaunchStatus s) {
  switch (s) {
    case LaunchStatus::ok:
      return STATUS_SUCCESS;
    case LaunchStatus::no_resources:
      return STATUS_INSUFFICIENT_RESOURCES;
    case LaunchStatus::priority_denied:
      return STATUS_PRIVILEGE_NOT_HELD;
    case LaunchStatus::invalid:
      return STATUS_INVALID_PARAMETER;
  }
  return STATUS_UNSUCCESSFUL;
}

}  // namespace

RuntimeState::RuntimeState(RuntimeOptions options)
    : options_(std::move(options)), topology_(Topology::host()) {
  const BackendEntry& entry = backend_entry(resolve_backend_name(options_));
  if (options_.placement().kind == ThreadPlacement::Kind::cpu &&
      topology_.find(options_.placement().cpu) == nullptr)
    throw std::invalid_argument("placement CPU " + std::to_string(options_.placement().cpu) +
                                " is not one this process may use");
  KPRIORITY base = options_.system_process_base_priority();
  if (base < 1 || base > 31)
    throw std::invalid_argument("the system process base priority must lie in 1..31");
  if (options_.initial_thread_priority() < 0 || options_.initial_thread_priority() > 31)
    throw std::invalid_argument("the initial thread priority must lie in 0..31");
  verifier_ = verifier_from(options_);
  int max_cpu = 0;
  for (const auto& cpu : topology_.cpus()) max_cpu = std::max(max_cpu, cpu.os_index);
  cpu_slots_ = max_cpu + 1;
  cpu_load_ = std::make_unique<std::atomic<unsigned>[]>(static_cast<std::size_t>(cpu_slots_));
  backend_ = entry.create(options_.backend_options(), topology_);
  capabilities_ = backend_->capabilities();
  system_process_ = new ProcessRecord(this, ProcessRecord::Role::system, 4, base);
  host_process_ = new ProcessRecord(this, ProcessRecord::Role::host, next_client_id(), 8);
}

RuntimeState::~RuntimeState() {
  release(system_process_);
  release(host_process_);
}

// ---- Thread lifecycle -------------------------------------------------------------------------

NTSTATUS RuntimeState::resolve_process(HANDLE handle, ProcessRecord*& out) {
  if (handle == nullptr) {
    out = system_process_;
    reference(out);
    return STATUS_SUCCESS;
  }
  if (handle == NtCurrentProcess()) {
    out = current_thread().process;
    reference(out);
    return STATUS_SUCCESS;
  }
  KernelObject* object = handles_.reference(handle, nullptr);
  if (object == nullptr) return STATUS_INVALID_HANDLE;
  if (object->kind != ObjectKind::process) {
    release(object);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  out = static_cast<ProcessRecord*>(object);
  return STATUS_SUCCESS;
}

NTSTATUS RuntimeState::place(Placed& out) {
  unsigned limit = options_.per_cpu_limit();
  auto charge = [&](int cpu) {
    if (limit == 0) return true;
    if (cpu < 0 || cpu >= cpu_slots_) return false;
    if (cpu_load_[cpu].fetch_add(1) < limit) {
      out.charged = cpu;
      return true;
    }
    cpu_load_[cpu].fetch_sub(1);
    return false;
  };
  switch (options_.placement().kind) {
    case ThreadPlacement::Kind::inherit:
      out.home = sched_getcpu();
      return charge(out.home) ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
    case ThreadPlacement::Kind::cpu:
      out.home = options_.placement().cpu;
      out.cpus = {out.home};
      return charge(out.home) ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
    case ThreadPlacement::Kind::spread: {
      const auto& cpus = topology_.cpus();
      unsigned start = spread_next_.fetch_add(1);
      for (std::size_t k = 0; k < cpus.size(); ++k) {
        int cpu = cpus[(start + k) % cpus.size()].os_index;
        if (charge(cpu)) {
          out.home = cpu;
          out.cpus = {cpu};
          return STATUS_SUCCESS;
        }
      }
      return STATUS_INSUFFICIENT_RESOURCES;
    }
  }
  return STATUS_INVALID_PARAMETER;
}

void RuntimeState::uncharge(int cpu) {
  if (cpu >= 0) cpu_load_[cpu].fetch_sub(1);
}

NTSTATUS RuntimeState::create_thread(const CreateRequest& request) {
  if (request.routine == nullptr) return STATUS_INVALID_PARAMETER;
  if (request.attributes != nullptr) {
    ULONG attributes = request.attributes->Attributes;
    if ((attributes & kInvalidThreadAttributes) != 0 || (attributes & ~OBJ_VALID_ATTRIBUTES) != 0)
      return STATUS_INVALID_PARAMETER;
  }
  ProcessRecord* process = nullptr;
  if (NTSTATUS status = resolve_process(request.process, process); !NT_SUCCESS(status))
    return status;
  if (process->terminating.load()) {
    release(process);
    return STATUS_PROCESS_IS_TERMINATING;
  }
  Placed placed;
  if (NTSTATUS status = place(placed); !NT_SUCCESS(status)) {
    release(process);
    return status;
  }
  auto* thread = new (std::nothrow) ThreadRecord(this);
  if (thread == nullptr) {
    uncharge(placed.charged);
    release(process);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  // From here on, `undo` takes everything back; the thread object's own reference frees it and
  // its process reference.
  thread->id = next_client_id();
  thread->process = process;
  thread->routine = request.routine;
  thread->context = request.context;
  thread->system = true;
  thread->io = request.io;
  thread->charged_cpu = placed.charged;
  thread->launch_cpus = placed.cpus;
  // As KeSetPriorityThread stores it: 0 becomes 1.
  thread->priority = std::max<KPRIORITY>(
      1, request.priority != 0 ? request.priority : options_.initial_thread_priority());
  thread->base_priority = process->base_priority;

  HostPriority requested = host_priority_for(thread->priority);
  const HostSchedulingRights& rights = host_scheduling_rights();
  Launch launch;
  launch.trampoline = &run_system_thread;
  launch.completion = &complete_system_thread;
  launch.argument = thread;
  launch.cpus = placed.cpus;
  launch.home_cpu = placed.home;
  launch.stack_size = options_.stack_size();
  HostPriorityState& host = thread->host;
  host.priority = thread->priority;
  host.requested = requested;
  switch (capabilities_.priority) {
    case Capabilities::Priority::none:
      launch.apply_priority = false;
      host.outcome = HostPriorityState::Outcome::unsupported;
      break;
    case Capabilities::Priority::arena_level:
      if (!permitted(requested, rights) && options_.priority_policy() == PriorityPolicy::strict) {
        release(thread);
        uncharge(placed.charged);
        return STATUS_PRIVILEGE_NOT_HELD;
      }
      launch.priority =
          permitted(requested, rights) ? requested : nearest_permitted(requested, rights);
      host.effective = backend_->effective_priority(launch.priority);
      // What the caller most needs to know first: that best-effort moved the level.
      host.outcome = permitted(requested, rights) ? HostPriorityState::Outcome::arena_level
                                                  : HostPriorityState::Outcome::nearest;
      break;
    case Capabilities::Priority::applied:
      if (permitted(requested, rights)) {
        host.effective = requested;
        host.outcome = HostPriorityState::Outcome::applied;
      } else if (options_.priority_policy() == PriorityPolicy::strict) {
        release(thread);
        uncharge(placed.charged);
        return STATUS_PRIVILEGE_NOT_HELD;
      } else {
        host.effective = nearest_permitted(requested, rights);
        host.outcome = HostPriorityState::Outcome::nearest;
      }
      launch.priority = host.effective;
      break;
  }

  HANDLE handle = nullptr;
  if (request.handle_out != nullptr) {
    reference(thread);
    handle = handles_.insert(thread, request.access);
    if (handle == nullptr) {
      release(thread);
      release(thread);
      uncharge(placed.charged);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
  }
  std::uint64_t token = 0;
  if (request.adapter != nullptr) {
    std::lock_guard lock(request.adapter->mutex);
    if (request.adapter->live.size() >= request.adapter->limit) {
      if (handle != nullptr) release(handles_.remove(handle));
      release(thread);
      uncharge(placed.charged);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    token = g_adapter_tokens.fetch_add(1);
    request.adapter->live.emplace(token, thread);
    thread->adapter = request.adapter;
    thread->adapter_token = token;
  }
  DriverRecord* owner = request.io ? request.io.driver : host_context().driver;
  thread->owner_driver = owner;
  if (request.io) take_io_reference(request.io);
  if (owner != nullptr && !request.io) {
    std::lock_guard lock(io_mutex_);
    owner->ps_threads.insert(thread);
  }
  process->live_threads.fetch_add(1);
  {
    std::lock_guard lock(live_mutex_);
    link_live(thread);
  }
  thread->keep_alive = shared_from_this();
  const std::uint64_t thread_id = thread->id;
  const std::uint64_t process_id = process->id;

  LaunchStatus launched = backend_->launch(launch);
  if (launched == LaunchStatus::priority_denied &&
      options_.priority_policy() == PriorityPolicy::best_effort) {
    // The probe said yes, the host said no (e.g. a cgroup without an RT budget): run anyway.
    launch.apply_priority = false;
    thread->host.outcome = HostPriorityState::Outcome::unsupported;
    launched = backend_->launch(launch);
  }
  if (launched != LaunchStatus::ok) {
    {
      std::lock_guard lock(live_mutex_);
      unlink_live(thread);
    }
    process->live_threads.fetch_sub(1);
    if (owner != nullptr && !request.io) {
      std::lock_guard lock(io_mutex_);
      owner->ps_threads.erase(thread);
    }
    if (request.io) drop_io_reference(request.io);
    if (thread->adapter != nullptr) {
      std::lock_guard lock(thread->adapter->mutex);
      thread->adapter->live.erase(token);
    }
    if (handle != nullptr) release(handles_.remove(handle));
    thread->keep_alive.reset();
    uncharge(placed.charged);
    release(thread);
    return status_of(launched);
  }
  threads_created_.fetch_add(1);
  // The thread may have ended already: touch only the copies taken above.
  if (request.handle_out != nullptr) *request.handle_out = handle;
  if (request.client_id_out != nullptr) {
    request.client_id_out->UniqueProcess = reinterpret_cast<HANDLE>(process_id);
    request.client_id_out->UniqueThread = reinterpret_cast<HANDLE>(thread_id);
  }
  if (request.adapter_token_out != nullptr) *request.adapter_token_out = token;
  return STATUS_SUCCESS;
}

void RuntimeState::thread_started(ThreadRecord& thread) {
  std::lock_guard lock(thread.sched_mutex);
  thread.host_tid = host::current_tid();
  thread.host_thread = pthread_self();
  thread.started = true;
  if (thread.priority_dirty && capabilities_.priority == Capabilities::Priority::applied) {
    if (host::apply_own_priority(thread.host.effective) != 0)
      thread.host.outcome = HostPriorityState::Outcome::unsupported;
  }
  thread.priority_dirty = false;
}

void run_system_thread(void* raw) {
  auto* thread = static_cast<ThreadRecord*>(raw);
  RuntimeState& runtime = *thread->runtime;
  HostThreadContext& context = host_context();
  const HostThreadContext saved = context;
  context.current = thread;
  context.driver = thread->owner_driver;
  thread->irql = PASSIVE_LEVEL;
  thread->apc_disable = 1;  // start routines begin inside a critical region (behaviour 15)
  runtime.thread_started(*thread);
  NTSTATUS status = STATUS_SUCCESS;
  try {
    thread->routine(thread->context);
  } catch (const ThreadTermination& termination) {
    status = termination.status;
  } catch (const std::exception& e) {
    bug_check(BugCheck::system_thread_exception_not_handled,
              std::string("exception escaped a system thread's start routine: ") + e.what());
  } catch (...) {
    bug_check(BugCheck::system_thread_exception_not_handled,
              "exception escaped a system thread's start routine");
  }
  runtime.finish_thread(*thread, status);
  context = saved;
}

void RuntimeState::finish_thread(ThreadRecord& thread, NTSTATUS status) {
  thread.exit_status.store(status);
  if (thread.io) {
    if (thread.terminated_by_ps)
      report("PsTerminateSystemThread called in an IoCreateSystemThread routine (thread " +
             std::to_string(thread.id) + "); its IoObject reference was released anyway");
    drop_io_reference(thread.io);
  } else if (thread.owner_driver != nullptr) {
    std::lock_guard lock(io_mutex_);
    thread.owner_driver->ps_threads.erase(&thread);
  }
  if (thread.adapter != nullptr) {
    std::lock_guard lock(thread.adapter->mutex);
    thread.adapter->live.erase(thread.adapter_token);
  }
  uncharge(thread.charged_cpu);
  // A start routine that left a system affinity in place must not leak it to a reused host
  // thread (pool and tbb workers).
  if (!thread.user_affinity.empty()) host::set_thread_affinity(0, thread.user_affinity);
  std::lock_guard lock(thread.sched_mutex);
  thread.ended = true;
}

void complete_system_thread(void* raw) {
  auto* thread = static_cast<ThreadRecord*>(raw);
  thread->runtime->complete_thread(*thread);
}

void RuntimeState::complete_thread(ThreadRecord& thread) {
  std::shared_ptr<RuntimeState> keep = std::move(thread.keep_alive);  // alive through the tail
  process_thread_ended(*thread.process);
  signal_forever(thread.header);
  // The thread's own reference goes before it leaves the live set, so that once wait_idle()
  // returns, every ended thread's object is held only by handles and references. Under the lock,
  // so live_thread_names() never reads a freed record.
  std::lock_guard lock(live_mutex_);
  unlink_live(&thread);
  release(&thread);
  if (live_count_ == 0) live_cv_.notify_all();
}

void RuntimeState::link_live(ThreadRecord* thread) {
  thread->live_next = live_head_;
  if (live_head_ != nullptr) live_head_->live_prev = thread;
  live_head_ = thread;
  ++live_count_;
}

void RuntimeState::unlink_live(ThreadRecord* thread) {
  if (thread->live_prev != nullptr) thread->live_prev->live_next = thread->live_next;
  if (thread->live_next != nullptr) thread->live_next->live_prev = thread->live_prev;
  if (live_head_ == thread) live_head_ = thread->live_next;
  thread->live_prev = thread->live_next = nullptr;
  --live_count_;
}

ThreadRecord* RuntimeState::new_foreign_thread() {
  auto* thread = new ThreadRecord(this);
  thread->id = next_client_id();
  thread->process = host_process_;
  reference(host_process_);
  thread->system = false;
  thread->host_tid = host::current_tid();
  thread->host_thread = pthread_self();
  thread->started = true;
  thread->priority = std::max<KPRIORITY>(1, options_.initial_thread_priority());
  thread->base_priority = host_process_->base_priority;
  thread->host.priority = thread->priority;
  thread->host.requested = host_priority_for(thread->priority);
  host::read_host_priority(0, thread->host.effective);
  thread->host.outcome = HostPriorityState::Outcome::applied;
  thread->keep_alive = shared_from_this();
  return thread;
}

// ---- Priorities --------------------------------------------------------------------------------

KPRIORITY RuntimeState::set_priority(ThreadRecord& thread, KPRIORITY priority) {
  HostPriority requested = host_priority_for(priority);
  const HostSchedulingRights& rights = host_scheduling_rights();
  std::lock_guard lock(thread.sched_mutex);
  KPRIORITY previous = thread.priority;
  thread.priority = priority;
  HostPriorityState& host = thread.host;
  host.priority = priority;
  host.requested = requested;
  // Host threads seen by the DDI are their own host threads: apply whatever the backend.
  Capabilities::Priority mode =
      thread.system ? capabilities_.priority : Capabilities::Priority::applied;
  if (mode != Capabilities::Priority::applied) {
    host.outcome = HostPriorityState::Outcome::unsupported;
    return previous;
  }
  bool exact = permitted(requested, rights);
  host.effective = exact ? requested : nearest_permitted(requested, rights);
  host.outcome = exact ? HostPriorityState::Outcome::applied : HostPriorityState::Outcome::nearest;
  if (!exact && options_.priority_policy() == PriorityPolicy::strict)
    report("KPRIORITY " + std::to_string(priority) + " cannot be applied on this host (" +
           rights.detail + "); applied " + to_string(host.effective));
  if (!thread.started) {
    thread.priority_dirty = true;
  } else if (!thread.ended) {
    if (host::apply_host_priority(thread.host_thread, thread.host_tid, host.effective) != 0)
      host.outcome = HostPriorityState::Outcome::unsupported;
  }
  return previous;
}

HostPriorityState RuntimeState::host_priority(ThreadRecord& thread) {
  std::lock_guard lock(thread.sched_mutex);
  return thread.host;
}

// ---- Processes ---------------------------------------------------------------------------------

ProcessRecord* RuntimeState::create_process() {
  return new (std::nothrow) ProcessRecord(this, ProcessRecord::Role::emulated, next_client_id(), 8);
}

NTSTATUS RuntimeState::terminate_process(ProcessRecord& process, NTSTATUS status) {
  if (process.role != ProcessRecord::Role::emulated) return STATUS_ACCESS_DENIED;
  process.exit_status.store(status);
  process.terminating.store(true);
  if (process.live_threads.load() == 0) signal_forever(process.header);
  return STATUS_SUCCESS;
}

void RuntimeState::process_thread_ended(ProcessRecord& process) {
  if (process.live_threads.fetch_sub(1) == 1 && process.terminating.load())
    signal_forever(process.header);
}

// ---- Drivers, devices, adapters -------------------------------------------------------------

DriverRecord* RuntimeState::new_driver() {
  auto* driver = new DriverRecord;
  driver->object.Type = IO_TYPE_DRIVER;
  driver->object.Size = sizeof(DRIVER_OBJECT);
  std::lock_guard lock(io_mutex_);
  drivers_.insert(driver);
  object_created();
  return driver;
}

void RuntimeState::free_driver(DriverRecord* driver) {
  std::vector<DeviceRecord*> devices;
  {
    std::lock_guard lock(io_mutex_);
    drivers_.erase(driver);
    for (PDEVICE_OBJECT d = driver->object.DeviceObject; d != nullptr; d = d->NextDevice)
      devices.push_back(reinterpret_cast<DeviceRecord*>(d));
  }
  for (DeviceRecord* device : devices) delete_device(device);
  delete driver;
  object_destroyed();
}

bool RuntimeState::is_driver(const void* p) {
  std::lock_guard lock(io_mutex_);
  return drivers_.count(static_cast<DriverRecord*>(const_cast<void*>(p))) != 0;
}

bool RuntimeState::is_device(const void* p) {
  std::lock_guard lock(io_mutex_);
  auto* device = static_cast<DeviceRecord*>(const_cast<void*>(p));
  return devices_.count(device) != 0 && !device->deleted;
}

NTSTATUS RuntimeState::create_device(DriverRecord& driver, ULONG extension_size, ULONG type,
                                     ULONG characteristics, PDEVICE_OBJECT* out) {
  auto* device = new (std::nothrow) DeviceRecord;
  if (device == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  std::size_t words = (extension_size + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
  if (words != 0) {
    device->extension = zeroed_extension(words);
    if (!device->extension) {
      delete device;
      return STATUS_INSUFFICIENT_RESOURCES;
    }
  }
  device->driver = &driver;
  DEVICE_OBJECT& object = device->object;
  object.Type = IO_TYPE_DEVICE;
  object.Size = static_cast<USHORT>(sizeof(DEVICE_OBJECT));
  object.DriverObject = &driver.object;
  object.DeviceExtension = device->extension.get();
  object.DeviceType = type;
  object.Characteristics = characteristics;
  object.StackSize = 1;
  std::lock_guard lock(io_mutex_);
  object.NextDevice = driver.object.DeviceObject;
  driver.object.DeviceObject = &object;
  devices_.insert(device);
  object_created();
  *out = &object;
  return STATUS_SUCCESS;
}

void RuntimeState::delete_device(DeviceRecord* device) {
  bool free_now = false;
  {
    std::lock_guard lock(io_mutex_);
    if (device->deleted || devices_.count(device) == 0) return;
    device->deleted = true;
    DRIVER_OBJECT& driver = device->driver->object;
    for (PDEVICE_OBJECT* link = &driver.DeviceObject; *link != nullptr;
         link = &(*link)->NextDevice) {
      if (*link == &device->object) {
        *link = device->object.NextDevice;
        break;
      }
    }
    free_now = std::atomic_ref<LONG>(device->object.ReferenceCount).load() == 0;
    if (free_now) devices_.erase(device);
  }
  if (free_now) {
    delete device;
    object_destroyed();
  }
}

IoReference RuntimeState::io_reference_for(void* io_object) {
  std::lock_guard lock(io_mutex_);
  if (auto* driver = static_cast<DriverRecord*>(io_object); drivers_.count(driver) != 0)
    return {driver, nullptr};
  auto* device = static_cast<DeviceRecord*>(io_object);
  if (devices_.count(device) != 0 && !device->deleted) return {device->driver, device};
  bug_check(BugCheck::invalid_io_object,
            "IoCreateSystemThread was given an IoObject that is neither a driver nor a device "
            "object");
}

void RuntimeState::take_io_reference(const IoReference& ref) {
  ref.driver->io_references.fetch_add(1);
  if (ref.device != nullptr) std::atomic_ref<LONG>(ref.device->object.ReferenceCount).fetch_add(1);
}

void RuntimeState::drop_io_reference(const IoReference& ref) {
  if (ref.device != nullptr &&
      std::atomic_ref<LONG>(ref.device->object.ReferenceCount).fetch_sub(1) == 1) {
    bool free_now = false;
    {
      std::lock_guard lock(io_mutex_);
      if (ref.device->deleted && devices_.erase(ref.device) != 0) free_now = true;
    }
    if (free_now) {
      delete ref.device;
      object_destroyed();
    }
  }
  if (ref.driver->io_references.fetch_sub(1) == 1) {
    std::lock_guard lock(io_mutex_);
    io_cv_.notify_all();
  }
}

void RuntimeState::wait_io_references(DriverRecord& driver) {
  std::unique_lock lock(io_mutex_);
  auto done = [&] { return driver.io_references.load() == 0; };
  if (io_cv_.wait_for(lock, options_.shutdown_timeout(), done)) return;
  lock.unlock();
  report("SysThreadUnloadDriver waits for " + std::to_string(driver.io_references.load()) +
             " IoCreateSystemThread thread(s) still holding the driver",
         true);
  lock.lock();
  io_cv_.wait(lock, done);
}

std::vector<ThreadRecord*> RuntimeState::live_ps_threads(DriverRecord& driver) {
  std::lock_guard lock(io_mutex_);
  return {driver.ps_threads.begin(), driver.ps_threads.end()};
}

AdapterRecord* RuntimeState::create_adapter(ULONG extension_size) {
  auto adapter = std::make_unique<AdapterRecord>();
  std::size_t words = std::max<std::size_t>(
      1, (extension_size + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t));
  adapter->extension = zeroed_extension(words);
  if (!adapter->extension) return nullptr;
  adapter->limit = options_.adapter_thread_limit() != 0
                       ? options_.adapter_thread_limit()
                       : static_cast<unsigned>(topology_.logical_cpus());
  std::lock_guard lock(io_mutex_);
  adapters_.push_back(std::move(adapter));
  object_created();
  return adapters_.back().get();
}

AdapterRecord* RuntimeState::find_adapter(const void* extension) {
  if (extension == nullptr) return nullptr;
  std::lock_guard lock(io_mutex_);
  for (auto& adapter : adapters_)
    if (adapter->extension.get() == extension) return adapter.get();
  return nullptr;
}

NTSTATUS RuntimeState::destroy_adapter(const void* extension) {
  std::lock_guard lock(io_mutex_);
  for (auto it = adapters_.begin(); it != adapters_.end(); ++it) {
    if ((*it)->extension.get() != extension) continue;
    {
      std::lock_guard adapter_lock((*it)->mutex);
      if (!(*it)->live.empty()) return STATUS_INVALID_DEVICE_STATE;
    }
    adapters_.erase(it);
    object_destroyed();
    return STATUS_SUCCESS;
  }
  return STATUS_INVALID_PARAMETER;
}

ThreadRecord* RuntimeState::adapter_thread(AdapterRecord& adapter, const void* token) {
  auto it = adapter.live.find(reinterpret_cast<std::uint64_t>(token));
  return it == adapter.live.end() ? nullptr : it->second;
}

// ---- Accounting, verifier, shutdown -----------------------------------------------------------

RuntimeStats RuntimeState::stats() const {
  RuntimeStats s;
  s.live_objects = live_objects_.load();
  s.open_handles = handles_.size();
  {
    std::lock_guard lock(live_mutex_);
    s.live_threads = live_count_;
  }
  s.threads_created = threads_created_.load();
  return s;
}

bool RuntimeState::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(live_mutex_);
  return live_cv_.wait_for(lock, timeout, [&] { return live_count_ == 0; });
}

std::vector<std::string> RuntimeState::live_thread_names() {
  std::lock_guard lock(live_mutex_);
  std::vector<std::string> names;
  for (ThreadRecord* thread = live_head_; thread != nullptr; thread = thread->live_next) {
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

void RuntimeState::report(const std::string& message, bool always) {
  if (!verifier_ && !always) return;
  {
    std::lock_guard lock(report_mutex_);
    reports_.push_back(message);
  }
  std::fprintf(stderr, "systhread verifier: %s\n", message.c_str());
}

std::vector<std::string> RuntimeState::reports() const {
  std::lock_guard lock(report_mutex_);
  return reports_;
}

void RuntimeState::shut_down() {
  if (shut_down_.exchange(true)) return;
  std::vector<KernelObject*> open = handles_.drain();
  if (!open.empty())
    report(std::to_string(open.size()) + " handle(s) never closed at runtime shutdown");
  for (KernelObject* object : open) release(object);
  {
    std::lock_guard lock(io_mutex_);
    if (!drivers_.empty())
      report(std::to_string(drivers_.size()) + " driver(s) never unloaded at runtime shutdown");
  }
  backend_.reset();
}

}  // namespace tpb::detail
