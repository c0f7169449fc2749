// The project's tables as record parts, shared by `list`, `topology` and the run record: backends
// with their capabilities and variants, suites with their cases, and the host topology. Each has
// one shape, the run record's (tpb/record.hpp), wherever it is printed.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include <tpb/backend.hpp>
#include <tpb/record.hpp>
#include <tpb/topology.hpp>

namespace tpb::cli {

std::vector<report::BackendInfo> backend_infos();              // backend_registry(), in table order
report::TopologyInfo topology_info(const Topology& topology);  // counts, per-PU table, placements

nlohmann::json backends_json();  // backend_infos() as JSON, with every registry capability
nlohmann::json suites_json();    // bench::suites(), in run order
nlohmann::json topology_json(const Topology& topology);  // topology_info(), plus the c2c pairs

}  // namespace tpb::cli
