// Command-line parsing shared by every subcommand: Boost.Program_options, `--help`, and the
// TPB_<OPTION> environment variables (TPB_MIN_TIME for --min-time), which apply to any option the
// command line leaves unset.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options.hpp>

#include "command.hpp"

namespace tpb::cli {

namespace po = boost::program_options;

// Bad usage or an unreadable input: main prints "tpbench <command>: <what>" and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a command's --help shows around its option table.
struct CommandHelp {
  std::string_view name;      // "run"
  std::string_view synopsis;  // "[--json]"
  std::string_view description;
};

// Parses invocation.args against `options` (a --help option is added), then the TPB_<OPTION>
// environment variables. Returns false after printing help to stdout when --help was given.
// Throws UsageError naming the option on anything malformed. Positional words are an error unless
// `positional` maps them to an option of `options`.
bool parse_options(const Invocation& invocation, const CommandHelp& help,
                   po::options_description options, po::variables_map& values,
                   const po::positional_options_description& positional = {});

// An on/off option: `--name` sets it; TPB_NAME=1/0 (true/false, yes/no, on/off) too.
po::typed_value<bool>* flag();

// An option table laid out for a 100-column terminal.
po::options_description option_table();

// "a, b,c" -> {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> split_list(std::string_view list);

// How to name an option in an error message: "--min-time", or "TPB_MIN_TIME (--min-time)" when
// the value came from the environment.
std::string option_source(const Invocation& invocation, std::string_view option);

// "min-time" -> "TPB_MIN_TIME".
std::string environment_name(std::string_view option);

}  // namespace tpb::cli
