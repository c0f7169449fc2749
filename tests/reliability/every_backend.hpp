// The registry's backend names, for INSTANTIATE_TEST_SUITE_P over every backend (a backend added
// to the registry is tested here without touching these tests).
#pragma once

#include <string>
#include <vector>

#include <tpb/backend.hpp>

namespace tpb::test {

inline std::vector<std::string> every_backend() {
  std::vector<std::string> names;
  for (const auto& entry : backend_registry()) names.emplace_back(entry.name);
  return names;
}

}  // namespace tpb::test
