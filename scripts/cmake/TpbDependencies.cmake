# Every external dependency, found once; each optional one switched off where it cannot run.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)

if(TPB_WITH_TBB)
  find_package(TBB REQUIRED)
endif()

if(TPB_BUILD_BENCH)
  find_package(benchmark REQUIRED)
  find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
  find_package(nlohmann_json 3.10 REQUIRED)
  find_package(fmt REQUIRED)
  find_package(SQLite3 REQUIRED)  # the history store's default database
  find_package(PostgreSQL REQUIRED)  # libpq: the history store of a fleet
endif()

if(TPB_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
