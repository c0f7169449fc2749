// host::command_output, the one way tpbench runs a helper program: arguments reach the program
// exactly as given (no shell ever parses them), and a program that cannot run, fails or prints
// nothing gives nullopt rather than a guess.
#include <gtest/gtest.h>

#include "host/command.hpp"

namespace tpb::host {
namespace {

// Shell syntax in an argument is text for the program, never a command.
TEST(HostCommand, ArgumentsReachTheProgramUnparsed) {
  const std::string hostile = "a; echo injected $(echo sub) `echo tick` | cat > /dev/null && b";
  EXPECT_EQ(command_output({"printf", "%s", hostile}), hostile);
  EXPECT_EQ(command_output({"printf", "%s", "*"}), "*");
}

// Output is trimmed of surrounding whitespace only.
TEST(HostCommand, OutputIsTrimmed) {
  EXPECT_EQ(command_output({"printf", "  two words \n\n"}), "two words");
}

// A failing, missing or silent program gives nullopt.
TEST(HostCommand, FailureIsNullopt) {
  EXPECT_EQ(command_output({"sh", "-c", "echo out; exit 3"}), std::nullopt);
  EXPECT_EQ(command_output({"tpbench-no-such-program"}), std::nullopt);
  EXPECT_EQ(command_output({"true"}), std::nullopt);
  EXPECT_EQ(command_output({}), std::nullopt);
}

}  // namespace
}  // namespace tpb::host
