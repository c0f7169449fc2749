#include "contract/objects.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "contract/dispatcher.hpp"
#include "contract/runtime_state.hpp"

namespace tpb::detail {

KernelObject::KernelObject(ObjectKind k, RuntimeState* rt, UCHAR dispatcher_type)
    : kind(k), runtime(rt) {
  init_header(header, dispatcher_type, 0);
  rt->accounting().object_created();
}

ProcessRecord::ProcessRecord(RuntimeState* rt, Role r, std::uint64_t pid, KPRIORITY base)
    : KernelObject(ObjectKind::process, rt, ::ProcessObject),
      role(r),
      id(pid),
      base_priority(base) {}

ThreadRecord::ThreadRecord(RuntimeState* rt)
    : KernelObject(ObjectKind::thread, rt, ::ThreadObject) {}

void reference(KernelObject* object) {
  object->refs.fetch_add(1, std::memory_order_relaxed);
}

void release(KernelObject* object) {
  if (object->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  RuntimeState* runtime = object->runtime;
  // A thread may hold the last reference to its runtime: keep it until the accounting is done.
  std::shared_ptr<RuntimeState> keep;
  if (object->kind == ObjectKind::thread) {
    auto* thread = static_cast<ThreadRecord*>(object);
    keep = std::move(thread->keep_alive);
    ProcessRecord* process = thread->process;
    runtime->threads().forget(thread);
    delete thread;
    if (process != nullptr) release(process);
  } else {
    delete static_cast<ProcessRecord*>(object);
  }
  runtime->accounting().object_destroyed();
}

ThreadRecord* as_thread(void* object) {
  auto* kernel = static_cast<KernelObject*>(object);
  if (kernel == nullptr || kernel->header.Type != ::ThreadObject) return nullptr;
  return static_cast<ThreadRecord*>(kernel);
}

ProcessRecord* as_process(void* object) {
  auto* kernel = static_cast<KernelObject*>(object);
  if (kernel == nullptr || kernel->header.Type != ::ProcessObject) return nullptr;
  return static_cast<ProcessRecord*>(kernel);
}

std::unique_ptr<std::max_align_t[]> zeroed_extension(std::size_t bytes) {
  const std::size_t words =
      std::max<std::size_t>(1, (bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t));
  std::unique_ptr<std::max_align_t[]> memory(new (std::nothrow) std::max_align_t[words]);
  // memset, not value-initialisation: that leaves max_align_t's padding alone.
  if (memory) std::memset(memory.get(), 0, words * sizeof(std::max_align_t));
  return memory;
}

}  // namespace tpb::detail
