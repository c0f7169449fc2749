# Compiler warnings and sanitizers, as one interface target every tpbench target links.
add_library(tpb_build_flags INTERFACE)
add_library(tpb::build_flags ALIAS tpb_build_flags)
target_compile_options(tpb_build_flags INTERFACE -Wall -Wextra -Wpedantic
                       $<$<BOOL:${TPB_WERROR}>:-Werror>)
# GCC 12 at -O2 reports -Wrestrict inside libstdc++'s own std::string code wherever a string is
# built from a literal and another string (GCC bug 105329, fixed in GCC 13): no line of ours is
# at fault, and rewriting every such expression would only obscure it.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(tpb_build_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
endif()

if(TPB_SANITIZE)
  string(REPLACE ";" "," _tpb_san "${TPB_SANITIZE}")
  # Sanitizers apply to every target (libraries included) so reports cross library boundaries.
  add_compile_options(-fsanitize=${_tpb_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_tpb_san})
  if("thread" IN_LIST TPB_SANITIZE AND TPB_WITH_TBB)
    # oneTBB's prebuilt library is not instrumented: its internal synchronisation is invisible
    # to TSan and every use would report. The TSan tree covers the runtime and the pool.
    message(STATUS "tpbench: TPB_WITH_TBB switched off under ThreadSanitizer")
    set(TPB_WITH_TBB OFF CACHE BOOL "Build the oneTBB backend" FORCE)
  endif()
endif()
