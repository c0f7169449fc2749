# Run by CTest (install.driver_example, install.deb_package): cmake -P install_test.cmake with
#   MODE         install: `cmake --install --prefix` into a scratch prefix;
#                deb: `cpack -G DEB`, then `dpkg -x` of the package into a scratch root
#   BUILD_DIR    the build tree to install
#   WORK_DIR     scratch directory (wiped first)
#   SOURCE_DIR   tests/install
#   BACKENDS     comma-separated backend names present in the build
#   GENERATOR, C_COMPILER, PKG_CONFIG
#   TPBENCH      ON when the build has the tpbench command: the installed one must run
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

# 1. Install the build tree into a fresh prefix, or build its Debian package and unpack it.
if(MODE STREQUAL "deb")
  run("cpack -G DEB" ${CMAKE_CPACK_COMMAND} -G DEB --config "${BUILD_DIR}/CPackConfig.cmake"
      -B "${WORK_DIR}/package")
  file(GLOB debs "${WORK_DIR}/package/*.deb")
  list(LENGTH debs count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "cpack -G DEB made ${count} packages in ${WORK_DIR}/package, not one")
  endif()
  run("dpkg -x" dpkg -x "${debs}" "${WORK_DIR}/root")
  set(prefix "${WORK_DIR}/root/usr")
else()
  set(prefix "${WORK_DIR}/prefix")
  run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
endif()

# 1b. The installed command runs from where it was installed, against the installed library.
if(TPBENCH)
  execute_process(COMMAND "${prefix}/bin/tpbench" list RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err TIMEOUT 60)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "pthread")
    message(FATAL_ERROR "installed tpbench list failed (${rc}):\n${out}\n${err}")
  endif()
  execute_process(COMMAND ldd "${prefix}/bin/tpbench" OUTPUT_VARIABLE linked)
  if(NOT linked MATCHES "libsysthread[^\n]*=> ${prefix}/")
    message(FATAL_ERROR "installed tpbench does not use the installed libsysthread:\n${linked}")
  endif()
  execute_process(COMMAND "${prefix}/bin/tpbench" --version OUTPUT_VARIABLE version)
  if(NOT version MATCHES "^tpbench [0-9]+\\.[0-9]+\\.[0-9]+ \\(git ")
    message(FATAL_ERROR "tpbench --version printed '${version}', not the version and git revision")
  endif()
  message(STATUS "installed tpbench list, --version: ok")
endif()

# 2. Consumer 1: find_package(systhread) and systhread::systhread.
run("configure the CMake consumer"
    ${CMAKE_COMMAND} -S "${SOURCE_DIR}/consumer" -B "${WORK_DIR}/consumer" -G "${GENERATOR}"
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_PREFIX_PATH=${prefix}
    -DDRIVER_EXAMPLE_SOURCE=${SOURCE_DIR}/driver_example.c)
run("build the CMake consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
set(bin_cmake "${WORK_DIR}/consumer/driver_example_cmake")

# 3. Consumer 2: pkg-config --cflags --libs systhread, then cc. A failure here is recorded and the
#    CMake consumer still runs below, so one report shows both.
set(failed "")
set(bin_pc "")
file(GLOB_RECURSE pc_files "${prefix}/*/systhread.pc")
if(NOT pc_files)
  list(APPEND failed "pkg-config: no systhread.pc installed under ${prefix}")
else()
  list(GET pc_files 0 pc_file)
  get_filename_component(pc_dir "${pc_file}" DIRECTORY)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir}
                          PKG_CONFIG_LIBDIR=${pc_dir} ${PKG_CONFIG} --cflags --libs systhread
                  RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  message(STATUS "pkg-config flags: ${flags}")
  if(NOT rc EQUAL 0)
    list(APPEND failed "pkg-config --cflags --libs systhread: ${err}")
  elseif(NOT flags MATCHES "-I${prefix}/")
    # The package was installed with --prefix; a .pc naming another prefix is not relocatable.
    list(APPEND failed "pkg-config: systhread.pc does not name the install prefix ${prefix} (flags: ${flags}), so it is not relocatable (e.g. prefix=\${pcfiledir}/../..)")
  else()
    separate_arguments(flag_list UNIX_COMMAND "${flags}")
    set(bin_pc "${WORK_DIR}/driver_example_pc")
    execute_process(COMMAND ${C_COMPILER} -std=c11 -Wall -Wextra -o "${bin_pc}"
                            "${SOURCE_DIR}/driver_example.c" ${flag_list}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      list(APPEND failed "cc with pkg-config flags: ${out}${err}")
      set(bin_pc "")
    else()
      message(STATUS "cc with pkg-config flags: ok")
    endif()
  endif()
endif()

# 4. Both binaries, once per backend.
string(REPLACE "," ";" backends "${BACKENDS}")
if(NOT backends)
  message(FATAL_ERROR "no backends given")
endif()
foreach(backend IN LISTS backends)
  foreach(bin IN ITEMS "${bin_cmake}" "${bin_pc}")
    if(bin STREQUAL "")
      continue()
    endif()
    get_filename_component(name "${bin}" NAME)
    execute_process(COMMAND ${CMAKE_COMMAND} -E env SYSTHREAD_BACKEND=${backend} "${bin}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
    message(STATUS "${name} with SYSTHREAD_BACKEND=${backend}: exit ${rc}\n${out}${err}")
    if(NOT rc EQUAL 0)
      list(APPEND failed "${name} with SYSTHREAD_BACKEND=${backend}: exit ${rc}")
    endif()
  endforeach()
endforeach()
if(failed)
  string(REPLACE ";" "\n  " failed_text "${failed}")
  message(FATAL_ERROR "install test failed:\n  ${failed_text}")
endif()
message(STATUS "${MODE}: driver_example passed (CMake and pkg-config builds) for backends: ${BACKENDS}")
