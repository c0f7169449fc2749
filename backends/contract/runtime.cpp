// tpb::Runtime, RuntimeScope and the process default runtime.
#include <tpb/runtime.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "contract/current.hpp"
#include "contract/runtime_state.hpp"

namespace tpb {
namespace {

std::mutex g_default_mutex;
std::atomic<Runtime*> g_default{nullptr};
// Runtimes abandoned with live threads, and replaced default runtimes: kept reachable, never
// freed, because their threads (or other host threads' cached pointers) may still use them.
std::vector<std::shared_ptr<detail::RuntimeState>>* g_abandoned =
    new std::vector<std::shared_ptr<detail::RuntimeState>>;
std::vector<Runtime*>* g_replaced_defaults = new std::vector<Runtime*>;

void report_default_at_exit() {
  Runtime* runtime = g_default.load();
  if (runtime == nullptr || !runtime->state().accounting().verifier_on()) return;
  RuntimeStats s = runtime->stats();
  for (const auto& name : runtime->state().threads().live_names())
    runtime->state().accounting().report("still running at process exit: " + name);
  if (s.open_handles != 0)
    runtime->state().accounting().report(std::to_string(s.open_handles) +
                                         " handle(s) never closed at process exit");
}

Runtime* make_default(RuntimeOptions options) {
  try {
    return new Runtime(std::move(options));
  } catch (const std::exception& e) {
    // A library cannot return an error from a DDI that has no status for "bad environment";
    // running on another backend than the one asked for would make every number a lie.
    std::fprintf(stderr, "systhread: %s (from SYSTHREAD_BACKEND)\n", e.what());
    // exit, not _Exit: stdio and atexit handlers still run. Only the first DDI call gets here, and
    // it ends the process, so no other thread is in exit() at the same time.
    std::exit(2);  // NOLINT(concurrency-mt-unsafe)
  }
}

}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : state_(std::make_shared<detail::RuntimeState>(std::move(options))) {}

Runtime::~Runtime() {
  if (!state_) return;
  if (!state_->threads().wait_idle(state_->options().shutdown_timeout())) {
    for (const auto& name : state_->threads().live_names())
      state_->accounting().report(
          "runtime shut down while " + name + " was still running; abandoned", true);
    std::lock_guard lock(g_default_mutex);
    g_abandoned->push_back(state_);
    return;
  }
  state_->shut_down();
}

Runtime& Runtime::default_runtime() {
  if (Runtime* runtime = g_default.load(std::memory_order_acquire)) return *runtime;
  std::lock_guard lock(g_default_mutex);
  if (Runtime* runtime = g_default.load()) return *runtime;
  Runtime* runtime = make_default(RuntimeOptions());
  g_default.store(runtime, std::memory_order_release);
  std::atexit(&report_default_at_exit);
  return *runtime;
}

const RuntimeOptions& Runtime::options() const {
  return state_->options();
}
std::string_view Runtime::backend_name() const {
  return state_->backend().name();
}
Capabilities Runtime::capabilities() const {
  return state_->capabilities();
}
RuntimeStats Runtime::stats() const {
  return state_->stats();
}
std::vector<std::string> Runtime::verifier_reports() const {
  return state_->accounting().reports();
}
bool Runtime::wait_idle(std::chrono::milliseconds timeout) const {
  return state_->threads().wait_idle(timeout);
}

HostPriorityState Runtime::host_priority(PKTHREAD thread) const {
  detail::ThreadRecord* record = detail::as_thread(thread);
  if (record == nullptr) return {};
  return state_->priorities().read(*record);
}

long Runtime::host_tid(PKTHREAD thread) const {
  detail::ThreadRecord* record = detail::as_thread(thread);
  if (record == nullptr) return 0;
  std::lock_guard lock(record->sched_mutex);
  return record->host_tid;
}

RuntimeScope::RuntimeScope(Runtime& runtime) : previous_(detail::host_context().scope) {
  detail::host_context().scope = &runtime.state();
}

RuntimeScope::~RuntimeScope() {
  detail::host_context().scope = previous_;
}

namespace detail {

RuntimeState& default_state() {
  return Runtime::default_runtime().state();
}

// SysThreadSelectBackend's work: replace the default runtime while it is idle.
NTSTATUS select_default_backend(const char* name) {
  if (name == nullptr || find_backend(name) == nullptr) return STATUS_OBJECT_NAME_NOT_FOUND;
  std::lock_guard lock(g_default_mutex);
  Runtime* current = g_default.load();
  if (current != nullptr) {
    if (current->backend_name() == name) return STATUS_SUCCESS;
    RuntimeStats s = current->stats();
    if (s.live_threads != 0 || s.open_handles != 0) return STATUS_INVALID_DEVICE_STATE;
  }
  Runtime* replacement = new Runtime(RuntimeOptions().backend(name));
  g_default.store(replacement, std::memory_order_release);
  if (current == nullptr) {
    std::atexit(&report_default_at_exit);
  } else {
    g_replaced_defaults->push_back(current);
  }
  return STATUS_SUCCESS;
}

}  // namespace detail
}  // namespace tpb
