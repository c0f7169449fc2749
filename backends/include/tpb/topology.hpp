// tpb/topology.hpp - the machine's processors as hwloc sees them, without hwloc types.
//
// The topology is read once per process (hwloc lives only in backends/topology.cpp). Logical CPUs
// are listed in hwloc order and restricted to the CPUs this process may run on. Thread-safe: the
// object is immutable after construction.
#pragma once

#include <string>
#include <vector>

namespace tpb {

// One logical processor (hwloc PU).
struct LogicalCpu {
  int os_index = 0;  // the Linux CPU number (sched_setaffinity)
  int core = 0;      // index of its core, in hwloc order
  int l3 = 0;        // index of the L3 group it shares (its package when there is no L3)
  int numa = 0;      // index of its NUMA node
  int package = 0;   // index of its package
};

// How two CPUs relate, from closest to farthest. Names are the benchmark placement segments.
enum class Placement { same_cpu, smt_sibling, same_l3, other_l3, other_numa };
const char* to_string(Placement p);

// A placement the machine offers, with one pair of CPUs that shows it, or why it is absent.
struct PlacementPair {
  Placement placement;
  bool available = false;
  int cpu_a = -1;              // os_index
  int cpu_b = -1;              // os_index
  std::string skipped_reason;  // when !available
};

class Topology {
 public:
  // The host's topology, read on first use.
  static const Topology& host();

  const std::vector<LogicalCpu>& cpus() const { return cpus_; }
  int packages() const { return packages_; }
  int numa_nodes() const { return numa_nodes_; }
  int l3_groups() const { return l3_groups_; }
  int cores() const { return cores_; }
  int logical_cpus() const { return static_cast<int>(cpus_.size()); }
  bool smt() const { return cores_ < logical_cpus(); }
  // Each placement in enum order, available or with the reason it is not.
  std::vector<PlacementPair> placements() const;
  // The logical CPU with this os_index, or nullptr.
  const LogicalCpu* find(int os_index) const;
  // A one-line summary, e.g. "1 package, 1 NUMA node, 1 L3, 2 cores, 2 PUs".
  std::string summary() const;

  // Builds a topology from a list (tests).
  explicit Topology(std::vector<LogicalCpu> cpus);

 private:
  std::vector<LogicalCpu> cpus_;
  int packages_ = 0, numa_nodes_ = 0, l3_groups_ = 0, cores_ = 0;
};

}  // namespace tpb
