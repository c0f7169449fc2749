// Accounting and the verifier of one runtime: the count of live kernel objects (the leak counter
// behaviour 32 is checked with) and the verifier's misuse reports (docs/contracts.md 6,
// "Violations": off by default, on through the API or SYSTHREAD_VERIFIER=1).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tpb::detail {

class Accounting {
 public:
  explicit Accounting(bool verifier) : verifier_(verifier) {}

  // Every kernel object (thread, process, driver, device, adapter) counts itself in and out.
  void object_created() { live_objects_.fetch_add(1); }
  void object_destroyed() { live_objects_.fetch_sub(1); }
  std::uint64_t live_objects() const { return live_objects_.load(); }

  bool verifier_on() const { return verifier_; }
  // Records `message` and prints it on stderr when the verifier is on. `always`: even when it is
  // off, for reports that explain an apparent hang (an unload waiting for its threads).
  void report(const std::string& message, bool always = false);
  std::vector<std::string> reports() const;

 private:
  const bool verifier_;
  std::atomic<std::uint64_t> live_objects_{0};
  mutable std::mutex report_mutex_;
  std::vector<std::string> reports_;
};

}  // namespace tpb::detail
