// The HTML report's template (reports/templates/report.html), compiled into the program so a
// report never depends on an installed file. Generated from the template at configure time.
#pragma once

#include <string_view>

namespace tpb::report {

std::string_view html_template();

}  // namespace tpb::report
