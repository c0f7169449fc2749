#include "output_file.hpp"

#include <exception>

#include <fmt/format.h>
#include <tpb/report.hpp>

#include "options.hpp"

namespace tpb::cli {

void check_output_file(const std::string& option, const std::string& path) {
  if (const auto problem = report::check_writable(path); !problem.empty())
    throw UsageError(fmt::format("--{} {}: {}", option, path, problem));
}

void write_output_file(const std::string& option, const std::string& path,
                       const std::string& text) {
  check_output_file(option, path);
  try {
    report::write_text_file(text, path);
  } catch (const std::exception& e) {
    throw UsageError(fmt::format("--{}: {}", option, e.what()));
  }
}

}  // namespace tpb::cli
