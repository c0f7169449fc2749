// Sentences every human-readable report shares, so HTML and Markdown say the same thing: the
// run line (when, where, what), the machine line, and the warnings (doctor's warnings, failed
// benchmarks, skipped cases, an interrupted run).
#pragma once

#include <string>
#include <vector>

#include <tpb/record.hpp>

#include "results.hpp"

namespace tpb::report {

// "2026-11-30T13:30:34+00:00 on vm: tpbench 0.1.0 (318f2b2), 110 benchmarks x 3 repetitions"
std::string run_line(const RunRecord& record);

// "1 package, 1 NUMA node, 1 L3, 2 cores, 2 PUs; Linux 6.18.44; kvm VM in docker; SCHED_FIFO
// permitted"
std::string machine_line(const RunRecord& record);

std::vector<std::string> warning_lines(const RunRecord& record, const std::vector<Result>& results);

}  // namespace tpb::report
