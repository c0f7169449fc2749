# tpb_add_backend(NAME SOURCES ... [LIBS ...])
#   Compiles one backend folder into the systhread library. The registry table
#   (backends/registry.cpp) names it explicitly; nothing registers itself.
function(tpb_add_backend name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  target_sources(systhread PRIVATE ${ARG_SOURCES})
  if(ARG_LIBS)
    target_link_libraries(systhread PRIVATE ${ARG_LIBS})
  endif()
  string(TOUPPER "${name}" upper)
  target_compile_definitions(systhread PRIVATE TPB_HAVE_BACKEND_${upper}=1)
endfunction()

# tpb_add_test(NAME SOURCES ... [LIBS ...] LABELS ... [FIXTURES ...] [SERIAL] [TPBENCH]
#              [TIMEOUT seconds])
#   A GoogleTest executable whose cases are discovered into CTest, each carrying every label and
#   requiring every fixture (e.g. pg_cluster, the throwaway PostgreSQL server of tests/support).
#   SERIAL: no other test runs beside its cases (real measurements that a neighbour would skew).
#   TPBENCH: the test runs the built tpbench as a child process (tests/cli/process.hpp): process.cpp
#   is compiled in, tests/cli and tests/support are on its include path, TPB_TPBENCH names the
#   binary, and tpbench is built first.
#   LABELS is required: the test trees select by label (`ctest -L`), and a test without one is
#   silently left out of every such selection.
function(tpb_add_test name)
  cmake_parse_arguments(ARG "SERIAL;TPBENCH" "TIMEOUT" "SOURCES;LIBS;LABELS;FIXTURES" ${ARGN})
  if(NOT ARG_LABELS)
    message(FATAL_ERROR "tpb_add_test(${name}): give it LABELS (unit, concurrency, cli, ...)")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main tpb::build_flags)
  if(ARG_TPBENCH)
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/cli/process.cpp)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/cli
                               ${PROJECT_SOURCE_DIR}/tests/support)
    target_compile_definitions(${name} PRIVATE TPB_TPBENCH="$<TARGET_FILE:tpbench>")
    add_dependencies(${name} tpbench)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_LIST ${name}_TESTS
                       PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  if(ARG_LABELS OR ARG_FIXTURES)
    # Not through gtest_discover_tests' PROPERTIES: it hands them to the discovery step on a
    # command line and re-splits them there, so no escaping keeps a list whole ("unit;concurrency"
    # became LABELS unit plus a property named "concurrency"). A CTest include file that runs after
    # the discovered cases are defined sets each whole list on each of them instead.
    set(properties "")
    if(ARG_LABELS)
      string(APPEND properties " LABELS [==[${ARG_LABELS}]==]")
    endif()
    if(ARG_FIXTURES)
      string(APPEND properties " FIXTURES_REQUIRED [==[${ARG_FIXTURES}]==]")
    endif()
    if(ARG_SERIAL)
      string(APPEND properties " RUN_SERIAL TRUE")
    endif()
    set(properties_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_properties.cmake")
    file(WRITE "${properties_file}"
         "if(NOT \"\${${name}_TESTS}\" STREQUAL \"\")\n"
         "  set_tests_properties(\${${name}_TESTS} PROPERTIES${properties})\n"
         "endif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${properties_file}")
  endif()
endfunction()
