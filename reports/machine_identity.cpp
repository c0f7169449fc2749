// The machine fingerprint: the facts that make two runs comparable, as canonical strings, hashed.
// FNV-1a 64 is enough: the hash tells machines apart, it is not a defence against forgery, and it
// needs no library. Each part is written "name=value\n" so no two part lists hash the same text.
#include <tpb/record.hpp>

#include <fmt/format.h>

namespace tpb::report {
namespace {

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string virtualisation_part(const VirtualisationInfo& v) {
  std::string out = v.vm.value_or(v.hypervisor_flag ? "unknown-vm" : "none");
  if (v.container) out += "/container:" + *v.container;
  return out;
}

std::string backends_part(const std::vector<BackendInfo>& backends) {
  std::string out;
  for (const auto& b : backends) {
    if (!out.empty()) out += ",";
    out += b.name;
    for (const auto& v : b.variants) out += fmt::format("/{}:{}", v.key, v.value);
  }
  return out;
}

std::string priority_map_part(const std::vector<PriorityMapping>& map) {
  std::string out;
  for (const auto& row : map)
    out += fmt::format("{}{}={}", out.empty() ? "" : ",", row.kpriority, row.host);
  return out;
}

}  // namespace

MachineIdentity machine_identity(const RunContext& c) {
  MachineIdentity id;
  id.parts = {{"cpu_model", c.cpu_model.value_or("unknown")},
              {"kernel", c.kernel ? c.kernel->release : std::string("unknown")},
              {"virtualisation", virtualisation_part(c.virtualisation)},
              {"topology", c.topology.summary},
              {"backends", backends_part(c.backends)},
              {"priority_map", priority_map_part(c.priority_map)}};
  std::string text;
  for (const auto& [name, value] : id.parts) text += fmt::format("{}={}\n", name, value);
  id.fingerprint = fmt::format("{:016x}", fnv1a64(text));
  return id;
}

std::vector<std::string> machine_differences(const MachineIdentity& a, const MachineIdentity& b) {
  std::vector<std::string> out;
  if (a.fingerprint == b.fingerprint) return out;
  for (const auto& [name, value] : a.parts) {
    std::string other = "(absent)";
    for (const auto& [other_name, other_value] : b.parts)
      if (other_name == name) other = other_value;
    if (other != value) out.push_back(fmt::format("{}: {} vs {}", name, value, other));
  }
  for (const auto& [name, value] : b.parts) {
    bool known = false;
    for (const auto& part : a.parts) known = known || part.first == name;
    if (!known) out.push_back(fmt::format("{}: (absent) vs {}", name, value));
  }
  if (out.empty())
    out.push_back(fmt::format("fingerprint: {} vs {}", a.fingerprint, b.fingerprint));
  return out;
}

}  // namespace tpb::report
