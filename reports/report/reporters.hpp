// The reporters' factories, one per format file; reporter_table.cpp lists them by name.
#pragma once

#include <memory>

#include <tpb/report.hpp>

namespace tpb::report {

std::unique_ptr<Reporter> make_html_reporter();
std::unique_ptr<Reporter> make_markdown_reporter();
std::unique_ptr<Reporter> make_csv_reporter();

}  // namespace tpb::report
