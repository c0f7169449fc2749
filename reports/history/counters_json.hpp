// A repetition's counters as both stores keep them: one JSON object per sample row. JSON has no
// NaN or infinity, so only the finite counters are kept. Numbers are written in the shortest form
// that reads back to the same double, so counters survive a store and an export bit for bit.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <tpb/history.hpp>

namespace tpb::history {

inline std::string counters_to_json(const std::map<std::string, double>& counters) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : counters)
    if (std::isfinite(value)) out[name] = value;
  return out.dump();
}

// Throws HistoryError naming `store` when the text is not a JSON object of numbers.
inline std::map<std::string, double> counters_from_json(std::string_view text,
                                                        const std::string& store) {
  std::map<std::string, double> counters;
  try {
    const auto object = nlohmann::json::parse(text);
    for (const auto& [name, value] : object.items()) counters.emplace(name, value.get<double>());
  } catch (const nlohmann::json::exception& e) {
    throw HistoryError(store + ": unreadable counters in the history: " + e.what());
  }
  return counters;
}

}  // namespace tpb::history
