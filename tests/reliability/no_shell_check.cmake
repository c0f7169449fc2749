# Requirement: no string tpbench handles reaches a shell. The sources of the library, the
# benchmarks, the command and the reports call no popen(3) or system(3); helper programs run through
# host::command_output (backends/host/command.hpp) or posix_spawn with an argument vector. Run as
# `cmake -DSOURCE_DIR=... -P` by CTest; fails naming each file and line that calls one.
cmake_minimum_required(VERSION 3.20)
if(NOT DEFINED SOURCE_DIR)
  message(FATAL_ERROR "no_shell_check: -DSOURCE_DIR=... is required")
endif()
set(found "")
foreach(folder backends bench cli reports)
  file(GLOB_RECURSE sources "${SOURCE_DIR}/${folder}/*.c" "${SOURCE_DIR}/${folder}/*.cpp"
       "${SOURCE_DIR}/${folder}/*.h" "${SOURCE_DIR}/${folder}/*.hpp")
  foreach(source ${sources})
    file(STRINGS "${source}" lines REGEX "(^|[^A-Za-z0-9_.>])(popen|system)[ \t]*\\([^)]")
    foreach(line ${lines})
      file(RELATIVE_PATH where "${SOURCE_DIR}" "${source}")
      string(STRIP "${line}" line)
      string(REPLACE ";" "," line "${line}")  # a list separator in CMake
      list(APPEND found "${where}: ${line}")
    endforeach()
  endforeach()
endforeach()
if(found)
  list(JOIN found "\n  " text)
  message(FATAL_ERROR "a shell is reached through popen or system:\n  ${text}")
endif()
message(STATUS "no popen or system call in backends, bench, cli or reports")
