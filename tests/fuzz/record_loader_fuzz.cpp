// Fuzz target: the run-record loader behind `report`, `compare` and `history import`.
// Requirement: any file content is either a record or a RecordError (the one-line error those
// commands print before exiting 2); never a crash, another exception, a hang or a leak. A record
// that loads must also survive what the commands do next: dumping it, and turning it into a
// history run (which may refuse it only with HistoryError).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <tpb/history.hpp>
#include <tpb/record.hpp>

#include "fuzz_file.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path path = tpb::fuzz::scratch_path("record.json");
  tpb::fuzz::write_file(path, data, size);
  try {
    const tpb::report::RunRecord record = tpb::report::load_record(path);
    (void)tpb::report::dump_record(record);
    try {
      (void)tpb::history::run_from_record(record, path.string(), "fuzz");
    } catch (const tpb::history::HistoryError&) {
      // documented: a record with no per-repetition entry
    }
  } catch (const tpb::report::RecordError& e) {
    // documented refusal; its message must be one line
    for (const char* c = e.what(); *c != '\0'; ++c)
      if (*c == '\n') std::abort();
  }
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  return 0;
}
