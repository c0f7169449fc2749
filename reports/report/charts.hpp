// The report's charts as gnuplot jobs: each function turns results into the data and the script
// of one chart (gnuplot.hpp draws it). Every chart has a title, axis labels with units and a key;
// colours come from the Okabe-Ito palette, which stays distinguishable with the common forms of
// colour blindness, and the heatmap uses viridis (perceptually ordered, readable in grey).
//
// Thread-safety: plain values and free functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <tpb/record.hpp>

#include "gnuplot.hpp"
#include "results.hpp"

namespace tpb::report {

struct Chart {
  std::string title;    // also the figure's heading
  std::string caption;  // how to read it, one or two sentences
  PlotJob job;
};

// One colour per backend label, the same in every chart of a report.
using BackendColours = std::map<std::string, std::string>;
BackendColours backend_colours(const std::vector<Result>& results);

// Creation latency of one case: p50/p90/p99/max per backend on a log axis, the reference's p50
// as a line, vs_ref written above each backend.
Chart creation_chart(const CaseRanking& ranking, const std::string& id);

// Context-switch one-way latency per mechanism and placement (grouped bars per backend), with
// context switches and migrations per operation in two panels below. nullopt without results.
std::optional<Chart> ctxswitch_chart(const std::vector<Result>& results,
                                     const BackendColours& colours, const std::string& id);

// The core-to-core matrix as a heatmap with a colour scale and CPU labels (every CPU up to 16,
// then a label every 4th, 8th... CPU so labels never overlap).
Chart c2c_chart(const C2cMatrix& matrix, const std::string& id);

// High's wait per protocol and backend on a log axis, the critical section C and the medium
// spin S as lines, the verdict above each bar.
std::optional<Chart> inversion_chart(const std::vector<InversionRow>& rows, const std::string& id);

}  // namespace tpb::report
