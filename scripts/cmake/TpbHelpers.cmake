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

# tpb_add_test(NAME SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT seconds] [FIXTURES ...])
#   A GoogleTest executable whose cases are discovered into CTest. FIXTURES: CTest fixtures every
#   case requires (e.g. pg_cluster, the throwaway PostgreSQL server of tests/support).
function(tpb_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS;FIXTURES" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main tpb::build_flags)
  # PROPERTIES takes key/value pairs: a list value must keep its ';' escaped.
  string(REPLACE ";" "\\;" labels "${ARG_LABELS}")
  set(fixture_properties)
  if(ARG_FIXTURES)
    string(REPLACE ";" "\\;" fixtures "${ARG_FIXTURES}")
    set(fixture_properties FIXTURES_REQUIRED "${fixtures}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${labels}" ${fixture_properties})
endfunction()
