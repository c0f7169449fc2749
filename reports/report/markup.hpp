// Escaping text for HTML and XML (the HTML report, JUnit output): one home for it. Text from a
// record (names, labels, error messages) must never become markup.
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace tpb::report {

// & < > " ' as entities (&apos; is valid in XML and HTML5); control characters other than tab and
// newline, which XML 1.0 cannot carry, are dropped.
inline std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(ch) >= 0x20 || ch == '\n' || ch == '\t') out += ch;
    }
  }
  return out;
}

}  // namespace tpb::report
