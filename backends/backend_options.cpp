// BackendOptions: the settings a backend reads by key (tpb/backend.hpp).
#include <charconv>
#include <stdexcept>
#include <string>

#include <tpb/backend.hpp>

namespace tpb {

BackendOptions& BackendOptions::set(std::string_view key, std::string_view value) {
  for (auto& [k, v] : settings_) {
    if (k == key) {
      v = value;
      return *this;
    }
  }
  settings_.emplace_back(key, value);
  return *this;
}

const std::string* BackendOptions::find(std::string_view key) const {
  for (const auto& [k, v] : settings_)
    if (k == key) return &v;
  return nullptr;
}

unsigned BackendOptions::count(std::string_view key, unsigned fallback) const {
  const std::string* value = find(key);
  if (value == nullptr) return fallback;
  unsigned out = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, out);
  if (ec != std::errc() || ptr != end || value->empty())
    throw std::invalid_argument("backend setting '" + std::string(key) +
                                "' must be a count, not '" + *value + "'");
  return out;
}

}  // namespace tpb
