// The project's tables as JSON, shared by `list`, `topology` and the run record: backends with
// their capabilities and variants, suites with their cases, and the host topology.
#pragma once

#include <nlohmann/json.hpp>

#include <tpb/backend.hpp>
#include <tpb/topology.hpp>

namespace tpb::cli {

nlohmann::json to_json(const Capabilities& capabilities);
nlohmann::json backends_json();                          // backend_registry(), in table order
nlohmann::json suites_json();                            // bench::suites(), in run order
nlohmann::json topology_json(const Topology& topology);  // counts, PUs, plan, c2c pairs

}  // namespace tpb::cli
