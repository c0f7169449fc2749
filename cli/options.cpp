#include "options.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

namespace tpb::cli {

po::typed_value<bool>* flag() {
  // implicit_value keeps `--flag` argument-free on the command line, while the environment can
  // still give a value (TPB_NO_PROGRESS=1).
  return po::value<bool>()->default_value(false, "off")->implicit_value(true, "on");
}

po::options_description option_table() {
  return po::options_description("Options", 100, 50);
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    std::string item(list.substr(start, comma - start));
    const auto not_space = [](unsigned char c) { return !std::isspace(c); };
    item.erase(item.begin(), std::find_if(item.begin(), item.end(), not_space));
    item.erase(std::find_if(item.rbegin(), item.rend(), not_space).base(), item.end());
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

std::string environment_name(std::string_view option) {
  std::string out = "TPB_";
  for (char c : option)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string option_source(const Invocation& invocation, std::string_view option) {
  std::string flag = "--" + std::string(option);
  for (const auto& arg : invocation.args)
    if (arg == flag || arg.rfind(flag + "=", 0) == 0) return flag;
  const std::string variable = environment_name(option);
  if (std::getenv(variable.c_str())) return variable + " (" + flag + ")";
  return flag;
}

bool parse_options(const Invocation& invocation, const CommandHelp& help,
                   po::options_description options, po::variables_map& values,
                   const po::positional_options_description& positional) {
  options.add_options()("help,h", "show this help");
  const auto is_positional = [&positional](const std::string& name) {
    for (unsigned i = 0; i < positional.max_total_count() && i < 16; ++i)
      if (positional.name_for_position(i) == name) return true;
    return false;
  };
  // Boost.Program_options 1.74 builds its error text by replacing placeholders such as
  // %original_token% with the offending text until none is left: text that holds a placeholder
  // never ends that loop (tpbench hung). Such text, on the command line or in a TPB_ variable, is
  // refused before Boost sees it.
  std::vector<std::string> texts = invocation.args;
  for (char** variable = environ; *variable != nullptr; ++variable)
    if (std::string_view(*variable).starts_with("TPB_")) texts.emplace_back(*variable);
  for (const auto& text : texts)
    for (const char* placeholder :
         {"%canonical_option%", "%option%", "%original_token%", "%value%", "%prefix%"})
      if (text.find(placeholder) != std::string::npos)
        throw UsageError(fmt::format("'{}': '{}' is reserved in option text", text, placeholder));
  try {
    // Without a positional description a stray word is an error instead of being ignored.
    po::store(
        po::command_line_parser(invocation.args).options(options).positional(positional).run(),
        values);
    if (values.count("help")) {
      std::cout << "Usage: tpbench " << help.name << ' ' << help.synopsis << "\n\n"
                << help.description << "\n\n"
                << options << '\n'
                << "Every option can also be set as TPB_<OPTION> in the environment (e.g. "
                << environment_name(options.options().front()->long_name())
                << "); the command line wins.\n"
                << "Exit codes: 0 success, 1 regression, 2 bad usage or unreadable input, "
                   "3 untrustworthy results, 130 interrupted.\n";
      return false;
    }
    // store() keeps the first value it sees, so the command line wins over the environment.
    // A value the environment gave is refused naming its variable: nothing on the command line
    // shows where it came from.
    try {
      po::store(
          po::parse_environment(
              options,
              [&options, &is_positional](const std::string& variable) -> std::string {
                for (const auto& option : options.options()) {
                  const std::string& name = option->long_name();
                  if (name != "help" && !is_positional(name) && environment_name(name) == variable)
                    return name;
                }
                return {};
              }),
          values);
    } catch (const po::error_with_option_name& e) {
      std::string name = e.get_option_name();
      name.erase(0, name.find_first_not_of('-'));
      throw UsageError(fmt::format("{}: {}", environment_name(name), e.what()));
    }
    po::notify(values);
  } catch (const po::too_many_positional_options_error&) {
    throw UsageError(
        fmt::format("takes no arguments other than options; see tpbench {} --help", help.name));
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return true;
}

}  // namespace tpb::cli
