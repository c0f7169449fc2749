// Files an option names for output (--md FILE, --junit FILE, --json FILE): checked before any
// work, written atomically and durably after it (report::write_text_file), every failure a
// UsageError (exit 2) that names the option.
#pragma once

#include <string>

namespace tpb::cli {

// Throws UsageError "--OPTION PATH: PROBLEM" when `path` cannot be written.
void check_output_file(const std::string& option, const std::string& path);
// check_output_file, then writes `text` to `path`; throws UsageError "--OPTION: PROBLEM".
void write_output_file(const std::string& option, const std::string& path, const std::string& text);

}  // namespace tpb::cli
