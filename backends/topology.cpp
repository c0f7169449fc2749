// The only file that includes hwloc.h: topologies read from the host, an XML export or a
// synthetic description, restricted to the CPUs the process may use, and the placement plan.
#include <tpb/topology.hpp>

#include <hwloc.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <stdexcept>

namespace tpb {
namespace {

// Index of `obj`'s ancestor of `type`, or `fallback` when the machine has no such level.
int ancestor_index(hwloc_topology_t topo, hwloc_obj_t obj, hwloc_obj_type_t type, int fallback) {
  hwloc_obj_t ancestor = hwloc_get_ancestor_obj_by_type(topo, type, obj);
  return ancestor ? static_cast<int>(ancestor->logical_index) : fallback;
}

int numa_index(hwloc_topology_t topo, hwloc_obj_t pu) {
  // NUMA nodes are memory children in hwloc 2; find the one whose cpuset holds the PU.
  for (hwloc_obj_t node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, nullptr); node;
       node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, node))
    if (hwloc_bitmap_isset(node->cpuset, pu->os_index))
      return static_cast<int>(node->logical_index);
  return 0;
}

// Owns an hwloc topology for the length of one read.
class HwlocTopology {
 public:
  HwlocTopology() {
    if (hwloc_topology_init(&topo_) != 0) throw std::runtime_error("hwloc could not start");
    // Disallowed PUs stay in the tree so they can be listed as excluded, never planned on.
    hwloc_topology_set_flags(topo_, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
  }
  ~HwlocTopology() { hwloc_topology_destroy(topo_); }
  HwlocTopology(const HwlocTopology&) = delete;
  HwlocTopology& operator=(const HwlocTopology&) = delete;
  hwloc_topology_t get() const { return topo_; }

 private:
  hwloc_topology_t topo_{};
};

class Bitmap {
 public:
  explicit Bitmap(hwloc_const_bitmap_t from) : map_(hwloc_bitmap_dup(from)) {}
  Bitmap() : map_(hwloc_bitmap_alloc()) {}
  ~Bitmap() { hwloc_bitmap_free(map_); }
  Bitmap(const Bitmap&) = delete;
  Bitmap& operator=(const Bitmap&) = delete;
  hwloc_bitmap_t get() const { return map_; }

 private:
  hwloc_bitmap_t map_;
};

enum class Source { host, xml, synthetic };

// The usable PUs of a loaded topology, and the CPUs it has that the process may not use.
Topology read_cpus(hwloc_topology_t topo, Source source) {
  Bitmap usable(hwloc_topology_get_allowed_cpuset(topo));
  if (source == Source::host) {
    // The process's affinity (every thread's, so a thread a benchmark pinned does not narrow it).
    Bitmap bound;
    if (hwloc_get_cpubind(topo, bound.get(), HWLOC_CPUBIND_PROCESS) == 0 &&
        hwloc_bitmap_intersects(bound.get(), usable.get()))
      hwloc_bitmap_and(usable.get(), usable.get(), bound.get());
  }
  std::vector<LogicalCpu> cpus;
  for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, nullptr); pu;
       pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu)) {
    if (!hwloc_bitmap_isset(usable.get(), pu->os_index)) continue;
    LogicalCpu cpu;
    cpu.os_index = static_cast<int>(pu->os_index);
    cpu.package = ancestor_index(topo, pu, HWLOC_OBJ_PACKAGE, 0);
    cpu.core = ancestor_index(topo, pu, HWLOC_OBJ_CORE, static_cast<int>(pu->logical_index));
    cpu.l3 = ancestor_index(topo, pu, HWLOC_OBJ_L3CACHE, kNoL3);
    cpu.numa = numa_index(topo, pu);
    cpus.push_back(cpu);
  }
  if (cpus.empty()) throw std::runtime_error("hwloc found no CPU the process may use");
  std::vector<int> excluded;
  hwloc_const_bitmap_t complete = hwloc_topology_get_complete_cpuset(topo);
  for (int i = hwloc_bitmap_first(complete); i >= 0; i = hwloc_bitmap_next(complete, i))
    if (!hwloc_bitmap_isset(usable.get(), static_cast<unsigned>(i))) excluded.push_back(i);
  return Topology(std::move(cpus), std::move(excluded));
}

std::string fmt_too_many(const std::string& what) {
  return "'" + what + "' has more than " + std::to_string(Topology::kMaxLogicalCpus) +
         " PUs, more than Linux supports";
}

// The PUs a synthetic description asks for (the product of its level arities, attributes in
// parentheses ignored), checked before hwloc builds it: hwloc takes minutes on millions.
double synthetic_pus(const std::string& description) {
  double pus = 1;
  int depth = 0;
  for (std::size_t i = 0; i < description.size(); ++i) {
    const char c = description[i];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c != ':' || depth != 0) continue;
    const double arity = std::strtod(description.c_str() + i + 1, nullptr);
    if (arity > 0) pus *= arity;
  }
  return pus;
}

Topology load(Source source, const std::string& what) {
  HwlocTopology topo;
  if (source == Source::xml) {
    if (!std::ifstream(what)) throw std::runtime_error("cannot open '" + what + "'");
    if (hwloc_topology_set_xml(topo.get(), what.c_str()) != 0)
      throw std::runtime_error("hwloc cannot use '" + what + "' as an XML topology");
  }
  if (source == Source::synthetic && synthetic_pus(what) > Topology::kMaxLogicalCpus)
    throw std::runtime_error(fmt_too_many(what));
  if (source == Source::synthetic && hwloc_topology_set_synthetic(topo.get(), what.c_str()) != 0)
    throw std::runtime_error(
        "'" + what + "' is not an hwloc synthetic description (e.g. \"pack:2 core:4 pu:2\")");
  if (hwloc_topology_load(topo.get()) != 0) {
    if (source == Source::xml)
      throw std::runtime_error("hwloc cannot read '" + what +
                               "' (not an hwloc XML export, or a format newer than 2.x)");
    throw std::runtime_error("hwloc could not read the topology");
  }
  if (hwloc_get_nbobjs_by_type(topo.get(), HWLOC_OBJ_PU) > Topology::kMaxLogicalCpus)
    throw std::runtime_error(fmt_too_many(what));
  return read_cpus(topo.get(), source);
}

// How many distinct values `field` takes, not counting kNoL3.
int distinct(const std::vector<LogicalCpu>& cpus, int LogicalCpu::*field) {
  std::set<int> seen;
  for (const auto& c : cpus)
    if (c.*field != kNoL3) seen.insert(c.*field);
  return static_cast<int>(seen.size());
}

constexpr const char* kOneCpu = "the process may use one CPU only";

const char* absent_reason(Placement p) {
  switch (p) {
    case Placement::same_cpu:
      return "";
    case Placement::smt_sibling:
      return "no core has two hardware threads (SMT off or absent)";
    case Placement::same_l3:
      return "no two cores share an L3 cache";
    case Placement::other_l3:
      return "no NUMA node holds CPUs of two L3 caches";
    case Placement::other_numa:
      return "the CPUs the process may use are all in one NUMA node";
  }
  return "";
}

}  // namespace

Placement relation(const LogicalCpu& a, const LogicalCpu& b) {
  if (a.os_index == b.os_index) return Placement::same_cpu;
  if (a.core == b.core) return Placement::smt_sibling;
  if (a.l3 == b.l3 && a.l3 != kNoL3) return Placement::same_l3;
  if (a.numa == b.numa) return Placement::other_l3;
  return Placement::other_numa;
}

const std::vector<std::string>& placement_names() {
  static const std::vector<std::string> names = {"inherit",  "same_cpu",    "other_cpu",
                                                 "spread",   "smt_sibling", "same_l3",
                                                 "other_l3", "other_numa"};
  return names;
}

const char* to_string(Placement p) {
  switch (p) {
    case Placement::same_cpu:
      return "same_cpu";
    case Placement::smt_sibling:
      return "smt_sibling";
    case Placement::same_l3:
      return "same_l3";
    case Placement::other_l3:
      return "other_l3";
    case Placement::other_numa:
      return "other_numa";
  }
  return "?";
}

Topology::Topology(std::vector<LogicalCpu> cpus, std::vector<int> excluded)
    : cpus_(std::move(cpus)), excluded_(std::move(excluded)) {
  packages_ = distinct(cpus_, &LogicalCpu::package);
  numa_nodes_ = distinct(cpus_, &LogicalCpu::numa);
  l3_groups_ = distinct(cpus_, &LogicalCpu::l3);
  cores_ = distinct(cpus_, &LogicalCpu::core);
}

const Topology& Topology::host() {
  static const Topology topology = load(Source::host, {});
  return topology;
}

Topology Topology::from_xml(const std::string& path) {
  return load(Source::xml, path);
}

Topology Topology::from_synthetic(const std::string& description) {
  return load(Source::synthetic, description);
}

const LogicalCpu* Topology::find(int os_index) const {
  for (const auto& c : cpus_)
    if (c.os_index == os_index) return &c;
  return nullptr;
}

std::vector<PlacementPair> Topology::placements() const {
  constexpr std::size_t kRelations = 5;
  std::vector<PlacementPair> out;
  for (Placement p : {Placement::same_cpu, Placement::smt_sibling, Placement::same_l3,
                      Placement::other_l3, Placement::other_numa})
    out.push_back({p, false, -1, -1, {}});
  std::size_t found = 0;
  const auto take = [&](PlacementPair& pair, int a, int b) {
    pair.available = true;
    pair.cpu_a = a;
    pair.cpu_b = b;
    ++found;
  };
  if (!cpus_.empty()) take(out.front(), cpus_.front().os_index, cpus_.front().os_index);
  // One pass over the pairs in hwloc order, keeping the first of each relation.
  for (std::size_t i = 0; i < cpus_.size() && found < kRelations; ++i)
    for (std::size_t j = i + 1; j < cpus_.size() && found < kRelations; ++j) {
      PlacementPair& pair = out[static_cast<std::size_t>(relation(cpus_[i], cpus_[j]))];
      if (!pair.available) take(pair, cpus_[i].os_index, cpus_[j].os_index);
    }
  for (PlacementPair& pair : out)
    if (!pair.available)
      pair.skipped_reason = cpus_.size() < 2 ? kOneCpu : absent_reason(pair.placement);
  return out;
}

namespace {
std::vector<int> ascending_os_indexes(const std::vector<LogicalCpu>& cpus) {
  std::vector<int> out;
  out.reserve(cpus.size());
  for (const auto& c : cpus) out.push_back(c.os_index);
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

std::vector<PlannedPlacement> Topology::plan() const {
  const std::vector<int> ascending = ascending_os_indexes(cpus_);
  const std::vector<PlacementPair> pairs = placements();
  std::vector<PlannedPlacement> out;
  for (const std::string& name : placement_names()) {
    PlannedPlacement row{name, true, {}, {}};
    if (name == "other_cpu") {
      if (ascending.size() > 1)
        row.cpus = {ascending[0], ascending[1]};
      else
        row = {name, false, {}, kOneCpu};
    } else if (name == "spread") {
      row.cpus = ascending;
    } else if (name != "inherit") {
      const auto pair = std::find_if(pairs.begin(), pairs.end(), [&](const PlacementPair& p) {
        return name == to_string(p.placement);
      });
      row.available = pair->available;
      row.skipped_reason = pair->skipped_reason;
      if (pair->available) row.cpus = {pair->cpu_a};
      if (pair->available && pair->cpu_b != pair->cpu_a) row.cpus.push_back(pair->cpu_b);
    }
    out.push_back(row);
  }
  return out;
}

std::vector<CpuPair> Topology::c2c_pairs() const {
  const std::vector<int> cpus = ascending_os_indexes(cpus_);
  const std::size_t n = cpus.size();
  std::vector<CpuPair> pairs;
  const auto add = [&](std::size_t i, std::size_t j) {
    pairs.push_back({cpus[i], cpus[j], relation(*find(cpus[i]), *find(cpus[j]))});
  };
  if (!c2c_sampled()) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) add(i, j);
  } else {
    // Every CPU is measured against one fixed partner, and half of them across the machine's
    // halves, so each level of the topology shows up without n^2 / 2 pairs.
    for (std::size_t j = 1; j < n; ++j) add(0, j);
    for (std::size_t i = 1; i < n / 2; ++i) add(i, i + n / 2);
  }
  return pairs;
}

std::string Topology::summary() const {
  auto plural = [](int n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return plural(packages_, "package", "packages") + ", " +
         plural(numa_nodes_, "NUMA node", "NUMA nodes") + ", " + plural(l3_groups_, "L3", "L3s") +
         ", " + plural(cores_, "core", "cores") + ", " + plural(logical_cpus(), "PU", "PUs");
}

}  // namespace tpb
