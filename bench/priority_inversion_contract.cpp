// The inversion roles as a backend's system threads: created through PsCreateSystemThread in a
// runtime whose placement pins every thread to the experiment's CPU, each raising itself with
// KeSetPriorityThread to its role's KPRIORITY, as a driver would. What the backend applied is
// what the case measures.
#include <fmt/format.h>

#include <utility>

#include "priority_inversion.hpp"

namespace tpb::bench::detail::inversion {
namespace {

class ContractThreads final : public ThreadStarter {
 public:
  explicit ContractThreads(BackendConfig config) : config_(std::move(config)) {}

  void within(int cpu, const std::function<void()>& experiment) override {
    RuntimeOptions options = config_.runtime_options();
    options.placement(ThreadPlacement::on_cpu(cpu));
    Runtime runtime(options);
    runtime_ = &runtime;
    on_host_thread([&] {
      RuntimeScope scope(runtime);
      experiment();
    });
    runtime_ = nullptr;
  }

  // The runtime's placement pins every thread to the group's CPU.
  std::string start(Group& g, Role role, int /*cpu*/) override {
    contexts_[role] = {&g, role};
    HANDLE handle = nullptr;
    const NTSTATUS st = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                             &routine, &contexts_[role]);
    if (!NT_SUCCESS(st))
      return fmt::format("PsCreateSystemThread ({}) returned 0x{:08X}", kRoleName[role],
                         static_cast<unsigned>(st));
    handles_.push_back({role, handle});
    return {};
  }

  void raise_self(Role role) override {
    thread_[role] = KeGetCurrentThread();
    KeSetPriorityThread(KeGetCurrentThread(), kRolePriority[role]);
  }

  // Pool workers outlive the system thread: leave them as they were.
  void lower_self() override { KeSetPriorityThread(KeGetCurrentThread(), 8); }

  std::string explain() const override {
    const Capabilities caps = runtime_->capabilities();
    const HostPriorityState hs = runtime_->host_priority(thread_[kHigh]);
    return fmt::format(
        "backend capabilities: priority {}, affinity {}; runtime says high {} -> {}; ",
        tpb::to_string(caps.priority), caps.affinity, tpb::to_string(hs.outcome),
        tpb::to_string(hs.effective));
  }

  std::string join_all() override {
    std::string error;
    LARGE_INTEGER timeout;
    timeout.QuadPart = -50'000'000;  // 5 s, relative, in 100 ns
    for (const auto& [role, handle] : handles_) {
      if (ZwWaitForSingleObject(handle, FALSE, &timeout) == STATUS_TIMEOUT && error.empty())
        error = fmt::format("the {} thread did not end within 5 s", kRoleName[role]);
      ZwClose(handle);
    }
    handles_.clear();
    return error;
  }

 private:
  struct Context {
    Group* group;
    Role role;
  };
  static void routine(PVOID raw) {
    auto* ctx = static_cast<Context*>(raw);
    role_main(*ctx->group, ctx->role);
  }

  BackendConfig config_;
  Runtime* runtime_ = nullptr;  // while within() runs
  Context contexts_[kRoles]{};
  PKTHREAD thread_[kRoles]{};
  std::vector<std::pair<Role, HANDLE>> handles_;
};

}  // namespace

std::unique_ptr<ThreadStarter> contract_threads(const BackendConfig& config) {
  return std::make_unique<ContractThreads>(config);
}

}  // namespace tpb::bench::detail::inversion
