// host/command.hpp - running a helper program and reading what it prints, without a shell: the
// arguments go to the program as they are, so no argument is ever parsed as shell syntax.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tpb::host {

// stdout of the program argv[0] (looked up in PATH) run with these arguments, stdin and stderr on
// /dev/null, trimmed of surrounding whitespace. nullopt when it cannot be started, exits non-zero
// or is killed, or prints nothing. Waits for the program to end.
std::optional<std::string> command_output(const std::vector<std::string>& argv);

}  // namespace tpb::host
