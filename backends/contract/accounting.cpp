#include "contract/accounting.hpp"

#include <cstdio>

namespace tpb::detail {

void Accounting::report(const std::string& message, bool always) {
  if (!verifier_ && !always) return;
  {
    std::lock_guard lock(report_mutex_);
    reports_.push_back(message);
  }
  std::fprintf(stderr, "systhread verifier: %s\n", message.c_str());
}

std::vector<std::string> Accounting::reports() const {
  std::lock_guard lock(report_mutex_);
  return reports_;
}

}  // namespace tpb::detail
