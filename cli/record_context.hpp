// Assembles the "tpbench" block of a run record from typed parts, each from its owner: the command
// line and options, the source revision, the registry, the topology, host facts, the priority map
// and rights, what the bench library registered, skipped and measured, and the doctor's findings.
#pragma once

#include <vector>

#include <tpb/bench.hpp>
#include <tpb/record.hpp>

#include "command.hpp"
#include "doctor_checks.hpp"
#include "run_options.hpp"

namespace tpb::cli {

report::RecordedOptions to_record(const RunOptions& options);

report::RunContext build_record_context(const Invocation& invocation, const RunOptions& options,
                                        const bench::Registration& registration,
                                        const bench::RunFacts& facts,
                                        const std::vector<Finding>& findings);

}  // namespace tpb::cli
