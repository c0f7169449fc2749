// Requirement: the placement plan (tpb::Topology::plan() and c2c_pairs()) uses only CPUs the
// process may use, and every pair it picks has the relation its placement names. Checked on hwloc
// synthetic topologies and on hwloc XML exports of real machines (tests/data/topologies), against
// relations derived here without hwloc: from the XML text itself (a PU's Core, L3Cache and
// NUMANode are the objects whose cpuset holds it) or, for synthetic descriptions, from the level
// arities (PU i of "core:4 pu:2" is in core i / 2).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <tpb/topology.hpp>

namespace {

using tpb::Placement;
using tpb::Topology;

// What the test knows about each usable PU, derived without hwloc.
struct Derived {
  std::set<int> usable;               // os_index
  std::set<int> excluded;             // in the machine, not usable
  std::map<int, int> core, l3, numa;  // os_index -> group id; l3 -1: none
};

Placement derived_relation(const Derived& d, int a, int b) {
  if (a == b) return Placement::same_cpu;
  if (d.core.at(a) == d.core.at(b)) return Placement::smt_sibling;
  if (d.l3.at(a) >= 0 && d.l3.at(a) == d.l3.at(b)) return Placement::same_l3;
  if (d.numa.at(a) == d.numa.at(b)) return Placement::other_l3;
  return Placement::other_numa;
}

// ---- derivation from the XML text -------------------------------------------------------------

// hwloc's bitmap text: 32-bit hex words, most significant first, e.g. "0x000000ff,0xffff0000";
// an empty word is zero ("0x00000001,,0x0").
std::set<int> parse_cpuset(const std::string& text) {
  std::vector<std::string> words;
  std::stringstream in(text);
  for (std::string word; std::getline(in, word, ',');) words.push_back(word);
  std::set<int> cpus;
  for (std::size_t w = 0; w < words.size(); ++w) {
    const std::string& word = words[words.size() - 1 - w];
    const unsigned long bits = word.empty() ? 0 : std::stoul(word, nullptr, 16);
    for (int bit = 0; bit < 32; ++bit)
      if ((bits >> bit) & 1UL) cpus.insert(static_cast<int>(w) * 32 + bit);
  }
  return cpus;
}

std::string attribute(const std::string& attributes, const std::string& name) {
  std::smatch m;
  if (std::regex_search(attributes, m, std::regex("(^|\\s)" + name + "=\"([^\"]*)\""))) return m[2];
  return {};
}

std::string data_path(const std::string& file) {
  return std::string(TPB_TOPOLOGY_DATA) + "/" + file;
}

Derived derive_from_xml(const std::string& file) {
  std::ifstream in(data_path(file));
  std::stringstream text;
  text << in.rdbuf();
  const std::string xml = text.str();
  std::vector<std::set<int>> cores, l3s, numas;
  std::set<int> pus, allowed, complete;
  const std::regex object("<object type=\"(\\w+)\"([^>]*)>");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), object); it != std::sregex_iterator();
       ++it) {
    const std::string type = (*it)[1];
    const std::string attrs = (*it)[2];
    if (type == "Machine") {
      allowed = parse_cpuset(attribute(attrs, "allowed_cpuset"));
      complete = parse_cpuset(attribute(attrs, "complete_cpuset"));
    } else if (type == "PU") {
      pus.insert(std::stoi(attribute(attrs, "os_index")));
    } else if (type == "Core") {
      cores.push_back(parse_cpuset(attribute(attrs, "cpuset")));
    } else if (type == "L3Cache") {
      l3s.push_back(parse_cpuset(attribute(attrs, "cpuset")));
    } else if (type == "NUMANode") {
      numas.push_back(parse_cpuset(attribute(attrs, "cpuset")));
    }
  }
  const auto group_of = [](const std::vector<std::set<int>>& groups, int pu, int none) {
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (groups[g].count(pu) != 0) return static_cast<int>(g);
    return none;
  };
  Derived d;
  for (int pu : pus) {
    if (allowed.count(pu) == 0) continue;
    d.usable.insert(pu);
    d.core[pu] = group_of(cores, pu, 100000 + pu);  // no core object: a core of its own
    d.l3[pu] = group_of(l3s, pu, -1);
    d.numa[pu] = group_of(numas, pu, 0);
  }
  for (int cpu : complete)
    if (d.usable.count(cpu) == 0) d.excluded.insert(cpu);
  return d;
}

// ---- derivation from a synthetic description --------------------------------------------------

// PU i (os_index i: synthetic topologies number PUs in order) belongs to group i / (PUs per group)
// at every level; a level the description lacks is absent (no L3) or single (one NUMA node).
Derived derive_from_synthetic(const std::string& description) {
  std::vector<std::pair<std::string, int>> levels;
  std::stringstream in(description);
  for (std::string level; in >> level;) {
    const auto colon = level.find(':');
    levels.emplace_back(level.substr(0, colon), std::stoi(level.substr(colon + 1)));
  }
  const auto pus_below = [&](const std::string& type) {
    int product = 1;
    bool below = false;
    for (const auto& [name, arity] : levels) {
      if (below) product *= arity;
      if (name == type) below = true;
    }
    return below ? product : 0;  // 0: no such level
  };
  int total = 1;
  for (const auto& level : levels) total *= level.second;
  Derived d;
  for (int pu = 0; pu < total; ++pu) {
    d.usable.insert(pu);
    const int core = pus_below("core"), l3 = pus_below("l3"), numa = pus_below("numa");
    d.core[pu] = core != 0 ? pu / core : pu;
    d.l3[pu] = l3 != 0 ? pu / l3 : -1;
    d.numa[pu] = numa != 0 ? pu / numa : 0;
  }
  return d;
}

// ---- the checks -----------------------------------------------------------------------------

const std::vector<Placement> kRelations = {Placement::same_cpu, Placement::smt_sibling,
                                           Placement::same_l3, Placement::other_l3,
                                           Placement::other_numa};

// Every check the plan must pass against the derived relations; returns the plan by name.
std::map<std::string, tpb::PlannedPlacement> check_plan(const Topology& topology,
                                                        const Derived& d) {
  std::set<int> seen;
  for (const auto& c : topology.cpus()) EXPECT_TRUE(seen.insert(c.os_index).second) << c.os_index;
  EXPECT_EQ(seen, d.usable) << "the topology lists exactly the usable PUs";
  EXPECT_EQ(std::set<int>(topology.excluded_cpus().begin(), topology.excluded_cpus().end()),
            d.excluded);

  std::set<Placement> present;  // relations some usable pair has
  for (int a : d.usable)
    for (int b : d.usable)
      if (a <= b) present.insert(derived_relation(d, a, b));

  std::map<std::string, tpb::PlannedPlacement> by_name;
  const auto plan = topology.plan();
  EXPECT_EQ(plan.size(), tpb::placement_names().size());
  if (plan.size() != tpb::placement_names().size()) return by_name;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto& p = plan[i];
    EXPECT_EQ(p.name, tpb::placement_names()[i]);
    by_name[p.name] = p;
    for (int cpu : p.cpus) EXPECT_EQ(d.usable.count(cpu), 1U) << p.name << " uses CPU " << cpu;
    EXPECT_EQ(p.available, p.skipped_reason.empty()) << p.name;
  }
  for (Placement r : kRelations) {
    const auto& p = by_name.at(tpb::to_string(r));
    EXPECT_EQ(p.available, present.count(r) == 1) << p.name;
    if (!p.available) continue;
    const int a = p.cpus.front(), b = p.cpus.back();
    EXPECT_EQ(p.cpus.size(), r == Placement::same_cpu ? 1U : 2U) << p.name;
    EXPECT_EQ(derived_relation(d, a, b), r) << p.name << " picked CPUs " << a << " and " << b;
  }
  const std::vector<int> ascending(d.usable.begin(), d.usable.end());
  EXPECT_TRUE(by_name.at("inherit").available);
  EXPECT_TRUE(by_name.at("inherit").cpus.empty());
  EXPECT_EQ(by_name.at("spread").cpus, ascending);
  if (ascending.size() > 1)
    EXPECT_EQ(by_name.at("other_cpu").cpus, std::vector<int>({ascending[0], ascending[1]}));
  else
    EXPECT_FALSE(by_name.at("other_cpu").available);

  const long n = static_cast<long>(d.usable.size());
  const auto pairs = topology.c2c_pairs();
  std::set<std::pair<int, int>> distinct;
  std::set<int> covered;
  for (const auto& pair : pairs) {
    EXPECT_LT(pair.cpu_a, pair.cpu_b);
    EXPECT_EQ(d.usable.count(pair.cpu_a) + d.usable.count(pair.cpu_b), 2U);
    EXPECT_TRUE(distinct.insert({pair.cpu_a, pair.cpu_b}).second)
        << "c2c pair " << pair.cpu_a << "-" << pair.cpu_b << " twice";
    EXPECT_EQ(derived_relation(d, pair.cpu_a, pair.cpu_b), pair.placement)
        << pair.cpu_a << "-" << pair.cpu_b;
    covered.insert(pair.cpu_a);
    covered.insert(pair.cpu_b);
  }
  EXPECT_EQ(topology.c2c_sampled(), n > Topology::kC2cAllPairsLimit);
  if (n > Topology::kC2cAllPairsLimit) {
    EXPECT_EQ(static_cast<long>(pairs.size()), (n - 1) + (n / 2 - 1));
    EXPECT_EQ(covered, d.usable) << "a sample still measures every CPU";
  } else {
    EXPECT_EQ(static_cast<long>(pairs.size()), n * (n - 1) / 2);
  }
  return by_name;
}

std::vector<int> cpus(std::initializer_list<int> list) {
  return list;
}

// The two-socket shape: pairs are the first in hwloc order showing each relation.
TEST(TopologyPlan, TwoPackagesTwoNumaTwoL3Smt) {
  const std::string desc = "pack:2 numa:2 l3:2 core:4 pu:2";
  const Topology topology = Topology::from_synthetic(desc);
  EXPECT_EQ(topology.logical_cpus(), 64);
  EXPECT_EQ(topology.numa_nodes(), 4);
  EXPECT_EQ(topology.l3_groups(), 8);
  const auto plan = check_plan(topology, derive_from_synthetic(desc));
  EXPECT_EQ(plan.at("smt_sibling").cpus, cpus({0, 1}));
  EXPECT_EQ(plan.at("same_l3").cpus, cpus({0, 2}));
  EXPECT_EQ(plan.at("other_l3").cpus, cpus({0, 8}));
  EXPECT_EQ(plan.at("other_numa").cpus, cpus({0, 16}));
  EXPECT_FALSE(topology.c2c_sampled());
}

// 128 PUs: c2c samples pairs; one NUMA node, so other_numa is skipped with a reason.
TEST(TopologyPlan, OnePackageEightL3s128Pus) {
  const std::string desc = "pack:1 l3:8 core:8 pu:2";
  const Topology topology = Topology::from_synthetic(desc);
  EXPECT_EQ(topology.logical_cpus(), 128);
  const auto plan = check_plan(topology, derive_from_synthetic(desc));
  EXPECT_TRUE(topology.c2c_sampled());
  EXPECT_FALSE(plan.at("other_numa").available);
  EXPECT_EQ(plan.at("other_l3").cpus, cpus({0, 16}));
}

// Four NUMA nodes without SMT, with and without an L3 level: a CPU without an L3 shares none.
TEST(TopologyPlan, FourNumaNodesNoSmt) {
  for (const std::string desc : {"pack:2 numa:2 l3:1 core:4 pu:1", "numa:4 core:4 pu:1"}) {
    SCOPED_TRACE(desc);
    const Topology topology = Topology::from_synthetic(desc);
    EXPECT_EQ(topology.numa_nodes(), 4);
    EXPECT_FALSE(topology.smt());
    const auto plan = check_plan(topology, derive_from_synthetic(desc));
    EXPECT_FALSE(plan.at("smt_sibling").available);
    EXPECT_EQ(plan.at("other_numa").cpus, cpus({0, 4}));
  }
}

// The machines the exports come from, and what each must offer.
struct Machine {
  const char* file;
  int pus;         // usable
  int numa_nodes;  // with a usable CPU
  std::set<std::string> unavailable;
};

// Real machines' exports: every plan and c2c pair agrees with the relations in the XML text.
TEST(TopologyPlan, RealMachines) {
  const std::vector<Machine> machines = {
      {"2s-intel-smt.xml", 32, 2, {"other_l3"}},
      {"2s-epyc-zen1-8numa.xml", 96, 8, {}},
      {"2s-epyc-zen4-384pu.xml", 384, 2, {}},
      {"16s-intel-4numa-nosmt.xml", 96, 4, {"smt_sibling"}},
      {"uv2000-disallowed.xml", 16, 2, {"smt_sibling", "other_l3"}},
      {"hybrid-raptorlake.xml", 20, 1, {"other_l3", "other_numa"}},
  };
  for (const Machine& m : machines) {
    SCOPED_TRACE(m.file);
    const Topology topology = Topology::from_xml(data_path(m.file));
    EXPECT_EQ(topology.logical_cpus(), m.pus);
    EXPECT_EQ(topology.numa_nodes(), m.numa_nodes);
    const auto plan = check_plan(topology, derive_from_xml(m.file));
    for (const auto& [name, p] : plan)
      EXPECT_EQ(p.available, m.unavailable.count(name) == 0) << name;
  }
}

// PUs the export marks disallowed (cgroup) or offline are listed as excluded and never planned.
TEST(TopologyPlan, DisallowedAndOfflineCpusExcluded) {
  const Topology uv = Topology::from_xml(data_path("uv2000-disallowed.xml"));
  EXPECT_EQ(uv.excluded_cpus().size(), 48U);
  EXPECT_EQ(uv.excluded_cpus().front(), 16);
  check_plan(uv, derive_from_xml("uv2000-disallowed.xml"));

  const Topology offline = Topology::from_xml(data_path("offline-cpu2.xml"));
  EXPECT_EQ(offline.excluded_cpus(), cpus({2}));
  EXPECT_EQ(offline.find(2), nullptr);
  const auto plan = check_plan(offline, derive_from_xml("offline-cpu2.xml"));
  EXPECT_EQ(plan.at("spread").cpus, cpus({0, 1, 3, 4, 5, 6, 7}));
}

// Unreadable inputs are refused with a reason, never a crash.
TEST(TopologyPlan, BadInputsThrow) {
  EXPECT_THROW(Topology::from_xml(data_path("no-such-file.xml")), std::runtime_error);
  EXPECT_THROW(Topology::from_xml(data_path("README.md")), std::runtime_error);
  EXPECT_THROW(Topology::from_synthetic("bogus:3"), std::runtime_error);
  // Refused before hwloc spends minutes building four million PUs.
  EXPECT_THROW(Topology::from_synthetic("pack:1000 core:1000 pu:4"), std::runtime_error);
}

}  // namespace
