// The history store contract suite (tpb/history.hpp), written once and instantiated per store
// implementation: each instantiation supplies a function that returns the `--db` location of a
// fresh, empty store (a new SQLite file; a new PostgreSQL database).
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

namespace tpb::test {

struct HistoryStoreParam {
  std::string name;                             // the instantiation's name, e.g. "sqlite"
  std::function<std::string()> fresh_location;  // a new, empty store each call
};

// Prints the instantiation's name: CTest names the discovered cases after it, and the default
// (the object's bytes, pointers included) would change with every build.
// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
inline void PrintTo(const HistoryStoreParam& param, std::ostream* out) {
  *out << param.name;
}

inline std::string history_param_name(const ::testing::TestParamInfo<HistoryStoreParam>& info) {
  return info.param.name;
}

class HistoryStoreTest : public ::testing::TestWithParam<HistoryStoreParam> {};

}  // namespace tpb::test
