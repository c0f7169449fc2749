# Requirement: the ThreadSanitizer tree's label filter (`ctest -L concurrency`) selects the
# runtime's contention tests and the backends' concurrent-launch tests, and a test given several
# labels keeps every one of them; the backends' unit tests carry the label `unit`. Run as
# `cmake -DCTEST=... -DBUILD_DIR=... -P` by CTest; fails, naming what is missing, when a label was
# lost on the way to the discovered cases.
foreach(var CTEST BUILD_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "concurrency_label_check: -D${var}=... is required")
  endif()
endforeach()

function(listed label out)
  execute_process(COMMAND "${CTEST}" -N -L "^${label}$" WORKING_DIRECTORY "${BUILD_DIR}"
                  OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ctest -N -L ${label} failed (${rc})")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

listed(concurrency concurrency)
listed(unit unit)
set(missing "")
# Runtime contention (tests/runtime, labelled "unit;concurrency": both labels must survive).
foreach(name Dispatcher.MultipleWaitsSeeSignalsFromOtherThreads
             Dispatcher.SynchronizationEventReleasesOneWaiterPerSet)
  foreach(label concurrency unit)
    string(FIND "${${label}}" " ${name}\n" at)
    if(at EQUAL -1)
      list(APPEND missing "${name} (label ${label})")
    endif()
  endforeach()
endforeach()
# The backends' concurrent launches and the conformance suite (labelled "conformance;concurrency").
foreach(pattern "ConcurrentLaunchTest\\.EachLaunchRunsExactlyOnce"
                "PoolConcurrencyTest\\.NeverRunsMoreThanItsCapacity"
                "Backends/Conformance\\.[A-Za-z]+/pthread")
  if(NOT concurrency MATCHES "${pattern}")
    list(APPEND missing "${pattern} (label concurrency)")
  endif()
endforeach()
# The backends' unit tests (tests/backends, labelled "unit").
if(NOT unit MATCHES "BackendTest\\.RegistryRowAgreesWithTheBackend/")
  list(APPEND missing "BackendTest.RegistryRowAgreesWithTheBackend (label unit)")
endif()
if(missing)
  list(JOIN missing "\n  " lines)
  message(FATAL_ERROR "not selected by their label:\n  ${lines}")
endif()
message(STATUS "the concurrency label selects the runtime's and the backends' contention tests")
