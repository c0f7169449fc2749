// tpb/topology.hpp - the machine's processors as hwloc sees them, without hwloc types, and the
// placement plan: which CPUs each benchmark placement uses on them.
//
// A topology is read from this host (once per process), from an hwloc XML export or from hwloc's
// synthetic description (hwloc lives only in backends/topology.cpp). Logical CPUs are listed in
// hwloc order and restricted to the CPUs the process may use: for the host, hwloc's allowed cpuset
// (cgroups, offline CPUs) intersected with the process's affinity (taskset, sched_setaffinity);
// for an XML export, the allowed cpuset it records. Every plan is drawn from those CPUs only.
// Thread-safe: a Topology is immutable after construction.
#pragma once

#include <string>
#include <vector>

namespace tpb {

inline constexpr int kNoL3 = -1;

// One logical processor (hwloc PU).
struct LogicalCpu {
  int os_index = 0;  // the Linux CPU number (sched_setaffinity)
  int core = 0;      // index of its core, in hwloc order
  int l3 = 0;        // index of the L3 cache it shares, or kNoL3 when it has none
  int numa = 0;      // index of its NUMA node
  int package = 0;   // index of its package
};

// How two CPUs relate, from closest to farthest. Names are the benchmark placement segments.
enum class Placement { same_cpu, smt_sibling, same_l3, other_l3, other_numa };
const char* to_string(Placement p);

// The closest level two CPUs share: same_cpu when they are one, smt_sibling when they share a
// core, same_l3 when they share an L3 cache, other_l3 when they share a NUMA node (but no L3),
// else other_numa.
Placement relation(const LogicalCpu& a, const LogicalCpu& b);

// A placement the machine offers, with one pair of CPUs that shows it, or why it is absent.
struct PlacementPair {
  Placement placement;
  bool available = false;
  int cpu_a = -1;              // os_index
  int cpu_b = -1;              // os_index
  std::string skipped_reason;  // when !available
};

// A benchmark placement (the name's `placement:` segment) and the CPUs it uses on a topology.
struct PlannedPlacement {
  std::string name;
  bool available = false;
  // os_index values: both CPUs of a pair (one when the pair is one CPU), every usable CPU for
  // spread, none for inherit (the creator is not pinned).
  std::vector<int> cpus;
  std::string skipped_reason;  // when !available
};

// Every placement name `tpbench run --placement` accepts, in plan order: inherit, same_cpu,
// other_cpu, spread, smt_sibling, same_l3, other_l3, other_numa.
const std::vector<std::string>& placement_names();

// A pair of CPUs the c2c suite measures, and how they relate.
struct CpuPair {
  int cpu_a = -1;  // os_index
  int cpu_b = -1;  // os_index
  Placement placement = Placement::other_numa;
};

class Topology {
 public:
  // Up to this many usable CPUs, c2c measures every pair; above it, a sample (see c2c_pairs()).
  static constexpr int kC2cAllPairsLimit = 64;
  // Topologies with more PUs are refused: Linux's largest configuration (NR_CPUS) is 8192.
  static constexpr int kMaxLogicalCpus = 8192;

  // The host's topology, read on first use.
  static const Topology& host();
  // Reads an hwloc XML export (lstopo --of xml). Throws std::runtime_error with a one-line reason
  // (unreadable, not hwloc XML 2.x, more than kMaxLogicalCpus PUs, no usable PU).
  static Topology from_xml(const std::string& path);
  // Builds hwloc's synthetic topology, e.g. "pack:2 numa:2 l3:2 core:4 pu:2". Throws
  // std::runtime_error with a one-line reason (not hwloc's syntax, more than kMaxLogicalCpus).
  static Topology from_synthetic(const std::string& description);

  const std::vector<LogicalCpu>& cpus() const { return cpus_; }
  // CPUs the machine has (online or not) that the process may not use, ascending os_index.
  const std::vector<int>& excluded_cpus() const { return excluded_; }
  int packages() const { return packages_; }
  int numa_nodes() const { return numa_nodes_; }
  int l3_groups() const { return l3_groups_; }
  int cores() const { return cores_; }
  int logical_cpus() const { return static_cast<int>(cpus_.size()); }
  bool smt() const { return cores_ < logical_cpus(); }
  // Each relation in enum order, available with the first pair in hwloc order that shows it, or
  // with the reason it is not.
  std::vector<PlacementPair> placements() const;
  // Every name of placement_names(), in that order, with its CPUs or why it cannot run here.
  // same_cpu and the relations come from placements(); other_cpu is the two lowest-numbered
  // usable CPUs, whatever they share.
  std::vector<PlannedPlacement> plan() const;
  // The c2c pairs, each once, in ascending os_index order: every pair up to kC2cAllPairsLimit
  // usable CPUs; above it the lowest CPU with every other, and CPU i with CPU i + n/2.
  std::vector<CpuPair> c2c_pairs() const;
  bool c2c_sampled() const { return logical_cpus() > kC2cAllPairsLimit; }
  // The logical CPU with this os_index, or nullptr.
  const LogicalCpu* find(int os_index) const;
  // A one-line summary, e.g. "1 package, 1 NUMA node, 1 L3, 2 cores, 2 PUs".
  std::string summary() const;

  // Builds a topology from a list (tests).
  explicit Topology(std::vector<LogicalCpu> cpus, std::vector<int> excluded = {});

 private:
  std::vector<LogicalCpu> cpus_;
  std::vector<int> excluded_;
  int packages_ = 0, numa_nodes_ = 0, l3_groups_ = 0, cores_ = 0;
};

}  // namespace tpb
