# Run by CTest (install.driver_example): cmake -P install_test.cmake with
#   BUILD_DIR    the build tree to install
#   WORK_DIR     scratch directory (wiped first)
#   SOURCE_DIR   tests/install
#   BACKENDS     comma-separated backend names present in the build
#   GENERATOR, C_COMPILER, PKG_CONFIG
cmake_minimum_required(VERSION 3.16)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 120)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

# 1. Install the build tree into a fresh prefix.
run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

# 2. Consumer 1: find_package(systhread) and systhread::systhread.
run("configure the CMake consumer"
    ${CMAKE_COMMAND} -S "${SOURCE_DIR}/consumer" -B "${WORK_DIR}/consumer" -G "${GENERATOR}"
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_PREFIX_PATH=${prefix}
    -DDRIVER_EXAMPLE_SOURCE=${SOURCE_DIR}/driver_example.c)
run("build the CMake consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
set(bin_cmake "${WORK_DIR}/consumer/driver_example_cmake")

# 3. Consumer 2: pkg-config --cflags --libs systhread, then cc.
file(GLOB_RECURSE pc_files "${prefix}/*/systhread.pc")
if(NOT pc_files)
  message(FATAL_ERROR "no systhread.pc installed under ${prefix}")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir} PKG_CONFIG_LIBDIR=${pc_dir}
                        ${PKG_CONFIG} --cflags --libs systhread
                RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs systhread failed:\n${err}")
endif()
message(STATUS "pkg-config flags: ${flags}")
separate_arguments(flag_list UNIX_COMMAND "${flags}")
set(bin_pc "${WORK_DIR}/driver_example_pc")
run("cc with pkg-config flags"
    ${C_COMPILER} -std=c11 -Wall -Wextra -o "${bin_pc}" "${SOURCE_DIR}/driver_example.c" ${flag_list})

# 4. Both binaries, once per backend.
string(REPLACE "," ";" backends "${BACKENDS}")
if(NOT backends)
  message(FATAL_ERROR "no backends given")
endif()
set(failed "")
foreach(backend IN LISTS backends)
  foreach(bin IN ITEMS "${bin_cmake}" "${bin_pc}")
    get_filename_component(name "${bin}" NAME)
    execute_process(COMMAND ${CMAKE_COMMAND} -E env SYSTHREAD_BACKEND=${backend} "${bin}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
    message(STATUS "${name} with SYSTHREAD_BACKEND=${backend}: exit ${rc}\n${out}${err}")
    if(NOT rc EQUAL 0)
      list(APPEND failed "${name}/${backend}")
    endif()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "driver_example failed for: ${failed}")
endif()
message(STATUS "driver_example passed for backends: ${BACKENDS}")
