// The inversion roles as raw pthreads: the raw-OS reference of each protocol. Each role's thread is
// created by pthread_create already pinned to the experiment's CPU and already at its role's host
// priority (SCHED_FIFO by explicit attributes, the contract's map of the role's KPRIORITY), so the
// group measures the kernel's own mutex protocols with nothing of a backend in between.
#include <fmt/format.h>

#include <ctime>
#include <system_error>
#include <utility>

#include "priority_inversion.hpp"
#include "raw_thread_attr.hpp"

namespace tpb::bench::detail::inversion {
namespace {

class RawThreads final : public ThreadStarter {
 public:
  void within(int /*cpu*/, const std::function<void()>& experiment) override { experiment(); }

  std::string start(Group& g, Role role, int cpu) override {
    contexts_[role] = {&g, role};
    pthread_attr_t attr;
    init_raw_attr(attr, cpu, kRolePriority[role]);
    pthread_t thread{};
    const int rc = pthread_create(&thread, &attr, &routine, &contexts_[role]);
    pthread_attr_destroy(&attr);
    if (rc != 0)
      return fmt::format("pthread_create ({}) at SCHED_FIFO {}: {}", kRoleName[role],
                         host_priority_for(kRolePriority[role]).rt_priority,
                         std::generic_category().message(rc));
    threads_.push_back({role, thread});
    return {};
  }

  // Created at its priority: nothing to raise, and the thread ends with the role.
  void raise_self(Role /*role*/) override {}
  void lower_self() override {}

  std::string explain() const override {
    return "raw pthreads created SCHED_FIFO by explicit attributes; ";
  }

  std::string join_all() override {
    std::string error;
    for (const auto& [role, thread] : threads_) {
      timespec deadline{};
      clock_gettime(CLOCK_REALTIME, &deadline);
      deadline.tv_sec += 5;
      if (pthread_timedjoin_np(thread, nullptr, &deadline) == 0) continue;
      // Still running after 5 s: detached, so it is not leaked if it ends; the case fails.
      pthread_detach(thread);
      if (error.empty())
        error = fmt::format("the {} thread did not end within 5 s", kRoleName[role]);
    }
    threads_.clear();
    return error;
  }

 private:
  struct Context {
    Group* group;
    Role role;
  };
  static void* routine(void* raw) {
    auto* ctx = static_cast<Context*>(raw);
    role_main(*ctx->group, ctx->role);
    return nullptr;
  }

  Context contexts_[kRoles]{};
  std::vector<std::pair<Role, pthread_t>> threads_;
};

}  // namespace

std::unique_ptr<ThreadStarter> raw_threads() {
  return std::make_unique<RawThreads>();
}

}  // namespace tpb::bench::detail::inversion
