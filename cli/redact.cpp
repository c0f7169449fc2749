#include "redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace tpb::cli {
namespace {

constexpr std::string_view kMask = "***";
constexpr std::array<std::string_view, 2> kSchemes = {"postgresql://", "postgres://"};
constexpr std::array<std::string_view, 2> kSecretKeys = {"password", "sslpassword"};

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

bool is_secret_key(std::string_view key) {
  for (const auto secret : kSecretKeys)
    if (key == secret) return true;
  return false;
}

// Replaces text[begin, end) with the mask unless it is empty; returns the index just past it.
std::size_t mask(std::string& text, std::size_t begin, std::size_t end) {
  if (end <= begin) return end;
  text.replace(begin, end - begin, kMask);
  return begin + kMask.size();
}

// The URI starting at `at` (its scheme `scheme` characters long): the user info's password, then
// the query's secret parameters. Returns where the URI ends (the end of the text or a space).
std::size_t redact_uri(std::string& text, std::size_t at, std::size_t scheme) {
  const std::size_t authority = at + scheme;
  const auto uri_end = [&] {
    std::size_t end = authority;
    while (end < text.size() && !is_space(text[end])) ++end;
    return end;
  };
  // The user info ends at an '@' before the path's '/'. libpq takes the first such '@'; the last
  // one is taken here, so a password holding an unescaped '@' is masked whole.
  const std::size_t path = std::min(text.find('/', authority), uri_end());
  const std::size_t user_end = path > authority ? text.rfind('@', path - 1) : std::string::npos;
  if (user_end != std::string::npos && user_end >= authority) {
    const std::size_t colon = text.find(':', authority);
    if (colon < user_end) mask(text, colon + 1, user_end);
  }
  std::size_t end = uri_end();
  const std::size_t query = text.find('?', authority);
  if (query >= end) return end;
  for (std::size_t key = query + 1; key < end;) {
    std::size_t next = std::min(text.find('&', key), end);
    const std::size_t equals = text.find('=', key);
    if (equals < next && is_secret_key(std::string_view(text).substr(key, equals - key))) {
      const std::size_t masked_end = mask(text, equals + 1, next);
      end = end - next + masked_end;
      next = masked_end;
    }
    key = next + 1;
  }
  return end;
}

// A key/value connection string's value starting at `at`: quoted (with backslash escapes) or up
// to the next space. Returns where it ends.
std::size_t conninfo_value_end(const std::string& text, std::size_t at) {
  if (at >= text.size() || text[at] != '\'') {
    while (at < text.size() && !is_space(text[at])) ++at;
    return at;
  }
  for (++at; at < text.size(); ++at) {
    if (text[at] == '\\' && at + 1 < text.size())
      ++at;
    else if (text[at] == '\'')
      return at + 1;
  }
  return at;
}

bool starts_uri(const std::string& text, std::size_t at, std::size_t& scheme) {
  for (const auto s : kSchemes)
    if (text.compare(at, s.size(), s) == 0) {
      scheme = s.size();
      return true;
    }
  return false;
}

}  // namespace

std::string redact_passwords(std::string_view argument) {
  std::string text(argument);
  for (std::size_t at = 0; at < text.size();) {
    std::size_t scheme = 0;
    if (starts_uri(text, at, scheme)) {
      at = redact_uri(text, at, scheme);
      continue;
    }
    const bool keyword_may_start = at == 0 || is_space(text[at - 1]) || text[at - 1] == '=';
    if (keyword_may_start && std::isalpha(static_cast<unsigned char>(text[at])) != 0) {
      std::size_t key_end = at;
      while (key_end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[key_end])) != 0 || text[key_end] == '_'))
        ++key_end;
      std::size_t equals = key_end;
      while (equals < text.size() && is_space(text[equals])) ++equals;
      if (equals < text.size() && text[equals] == '=' &&
          is_secret_key(std::string_view(text).substr(at, key_end - at))) {
        std::size_t value = equals + 1;
        while (value < text.size() && is_space(text[value])) ++value;
        at = mask(text, value, conninfo_value_end(text, value));
        continue;
      }
      at = key_end;
      continue;
    }
    ++at;
  }
  return text;
}

std::vector<std::string> redact_passwords(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  for (const auto& argument : argv) out.push_back(redact_passwords(argument));
  return out;
}

}  // namespace tpb::cli
