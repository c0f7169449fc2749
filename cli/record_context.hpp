// Assembles the "tpbench" block of a run record from typed parts, each from its owner: the command
// line and options, the source revision, the registry, the topology, host facts, the priority map
// and rights, what the bench library registered, skipped and measured, and the doctor's findings.
#pragma once

#include <map>
#include <string>
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

// Per benchmark run name, how its measured repetitions disagree (report::Dispersion): the value
// of a repetition is its p50_ns counter where it has one, else its time in ns.
std::map<std::string, report::Dispersion> dispersion_of(
    const std::vector<report::BenchmarkEntry>& benchmarks);

}  // namespace tpb::cli
