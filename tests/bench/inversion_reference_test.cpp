// Requirement: the inversion suite has a raw-OS reference for each protocol (none, inherit,
// ceiling): plain pthreads created SCHED_FIFO by explicit attributes, named like every suite's
// reference (backend:reference) and registered before the backends' cases. It runs under the same
// rules and shows what the kernel's own protocols do: none leaves high's wait unbounded, inherit
// and ceiling bound it. Every inversion case reports vs_ref against it, even when a filter leaves
// the reference out (it is then calibrated before the case). Where SCHED_FIFO is
// refused, it is skipped with the backends' reason, and `tpbench run --dry-run` lists it.
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tpb/bench.hpp>
#include <tpb/runtime.hpp>

#include "../cli/process.hpp"
#include "capture_reporter.hpp"

namespace {

using tpb::test::BenchRun;
using namespace std::chrono_literals;

const std::vector<std::string> kProtocols = {"none", "inherit", "ceiling"};

std::string case_name(const std::string& backend, const std::string& protocol) {
  return "inversion/three_thread/backend:" + backend + "/placement:same_cpu/protocol:" + protocol;
}

// One quick inversion run over the reference and the pthread backend, shared by the cases.
class InversionReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (registration_ != nullptr) return;
    tpb::test::initialize_benchmark("inversion_reference_test");
    tpb::bench::Selection selection;
    selection.quick = true;
    selection.suites = {"inversion"};
    selection.backends = {"pthread"};
    registration_ = new tpb::bench::Registration(tpb::bench::register_benchmarks(selection));
    runs_ = new std::vector<BenchRun>(tpb::test::run_registered());
    facts_ = new tpb::bench::RunFacts(tpb::bench::run_facts());
  }

  static bool rt() { return tpb::host_scheduling_rights().rt_permitted; }

  static const BenchRun* find(const std::string& name) {
    for (const BenchRun& r : *runs_)
      if (r.run_name.function_name == name) return &r;
    return nullptr;
  }

  static std::ptrdiff_t position(const std::string& name) {
    const auto& names = registration_->names;
    return std::find(names.begin(), names.end(), name) - names.begin();
  }

  static tpb::bench::Registration* registration_;
  static std::vector<BenchRun>* runs_;
  static tpb::bench::RunFacts* facts_;
};
tpb::bench::Registration* InversionReference::registration_ = nullptr;
std::vector<BenchRun>* InversionReference::runs_ = nullptr;
tpb::bench::RunFacts* InversionReference::facts_ = nullptr;

// One reference per protocol, under the references' name, before every backend's case.
TEST_F(InversionReference, RegisteredPerProtocolBeforeTheBackends) {
  if (!rt()) GTEST_SKIP() << "no SCHED_FIFO here: " << tpb::host_scheduling_rights().detail;
  const auto backends_start = position(case_name("pthread", "none"));
  ASSERT_LT(backends_start, static_cast<std::ptrdiff_t>(registration_->names.size()));
  for (const std::string& protocol : kProtocols) {
    const auto at = position(case_name("reference", protocol));
    ASSERT_LT(at, static_cast<std::ptrdiff_t>(registration_->names.size()))
        << case_name("reference", protocol) << " is not registered";
    EXPECT_LT(at, backends_start) << protocol;
    // Pinned like the backends' cases: all four threads on the same CPU.
    EXPECT_EQ(registration_->cpus.at(case_name("reference", protocol)),
              registration_->cpus.at(case_name("pthread", protocol)));
  }
}

// Refused SCHED_FIFO: each reference is skipped with the very reason its backend case gets.
TEST_F(InversionReference, SkippedWithTheBackendsReasonWhenRtIsRefused) {
  if (rt())
    GTEST_SKIP() << "SCHED_FIFO is permitted here (the refused path runs in DryRunWithoutRt)";
  std::map<std::string, std::string> reason;
  for (const auto& s : registration_->skipped) reason[s.what] = s.reason;
  for (const std::string& protocol : kProtocols) {
    ASSERT_TRUE(reason.count(case_name("reference", protocol))) << protocol;
    EXPECT_EQ(reason[case_name("reference", protocol)], reason[case_name("pthread", protocol)]);
  }
}

// The kernel's protocols: none unbounded (high waits for medium's spin), inherit and ceiling
// bounded by the critical section.
TEST_F(InversionReference, ReferenceVerdictsFollowTheProtocol) {
  if (!rt()) GTEST_SKIP() << "no SCHED_FIFO here: " << tpb::host_scheduling_rights().detail;
  for (const std::string& protocol : kProtocols) {
    const std::string name = case_name("reference", protocol);
    const BenchRun* r = find(name);
    ASSERT_NE(r, nullptr) << name << " did not run";
    ASSERT_FALSE(r->error_occurred) << name << ": " << r->error_message;
    EXPECT_EQ(r->counters.at("priority_applied").value, 1)
        << name << " (" << r->report_label << ")";
    const double wait = r->counters.at("high_wait_p50_ns").value;
    const double c = r->counters.at("critical_section_ns").value;
    const double s = r->counters.at("medium_spin_ns").value;
    if (protocol == "none") {
      EXPECT_GE(wait, 0.9 * s) << name << " (" << r->report_label << ")";
      EXPECT_EQ(r->counters.at("bounded").value, 0) << name;
      EXPECT_NE(r->report_label.find("unbounded"), std::string::npos) << r->report_label;
    } else {
      EXPECT_LE(wait, 1.5 * c) << name << " (" << r->report_label << ")";
      // A VM hiccup may make one run "mixed" (see the smoke test); never a medium spin-through.
      EXPECT_EQ(r->counters.at("unbounded").value, 0) << name << " (" << r->report_label << ")";
    }
  }
}

// vs_ref: 1 on the reference itself; on a backend's case, its median over the reference's
// median of the same protocol, as the run's facts record it.
TEST_F(InversionReference, EveryCaseReportsVsRef) {
  if (!rt()) GTEST_SKIP() << "no SCHED_FIFO here: " << tpb::host_scheduling_rights().detail;
  for (const std::string& protocol : kProtocols) {
    const BenchRun* ref = find(case_name("reference", protocol));
    const BenchRun* backend = find(case_name("pthread", protocol));
    ASSERT_NE(ref, nullptr);
    ASSERT_NE(backend, nullptr);
    ASSERT_FALSE(backend->error_occurred) << backend->error_message;
    ASSERT_EQ(ref->counters.count("vs_ref"), 1u) << protocol;
    EXPECT_DOUBLE_EQ(ref->counters.at("vs_ref").value, 1.0) << protocol;
    const auto key = "inversion/three_thread/same_cpu/" + protocol;
    ASSERT_EQ(facts_->bench.references_p50_ns.count(key), 1u) << key;
    const double ref_median = facts_->bench.references_p50_ns.at(key);
    EXPECT_DOUBLE_EQ(ref_median, ref->counters.at("p50_ns").value) << protocol;
    ASSERT_EQ(backend->counters.count("vs_ref"), 1u) << protocol;
    EXPECT_DOUBLE_EQ(backend->counters.at("vs_ref").value,
                     backend->counters.at("p50_ns").value / ref_median)
        << protocol;
  }
}

// util-linux's tools, by path (the child is started without a PATH search).
constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kPrlimit = "/usr/bin/prlimit";

// The lines of `tpbench run --dry-run` over `suites` (same_cpu, the pthread backend).
std::vector<std::string> dry_run_lines(std::vector<std::string> prefix, const std::string& suites) {
  prefix.insert(prefix.end(), {TPB_TPBENCH, "run", "--dry-run", "--quick", "--suite", suites,
                               "--backend", "pthread", "--placement", "same_cpu"});
  const tpb::test::ProcessResult r = tpb::test::run_process(prefix, {}, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::string line;
  for (char ch : r.out) {
    if (ch != '\n') {
      line += ch;
      continue;
    }
    lines.push_back(line);
    line.clear();
  }
  return lines;
}

bool any_line_has(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

// A dry run lists each protocol's reference where SCHED_FIFO may be used.
TEST(InversionReferenceDryRun, ListsTheReferencePerProtocol) {
  if (!tpb::host_scheduling_rights().rt_permitted)
    GTEST_SKIP() << "no SCHED_FIFO here: " << tpb::host_scheduling_rights().detail;
  const auto lines = dry_run_lines({}, "inversion");
  for (const std::string& protocol : kProtocols)
    EXPECT_TRUE(any_line_has(lines, case_name("reference", protocol) + "/")) << protocol;
}

// Without SCHED_FIFO (root that lost CAP_SYS_NICE, RLIMIT_RTPRIO 0), the dry run lists each
// reference as skipped, with the backends' reason.
TEST(InversionReferenceDryRun, DryRunWithoutRt) {
  if (::geteuid() != 0 || !std::filesystem::exists(kSetpriv) || !std::filesystem::exists(kPrlimit))
    GTEST_SKIP() << "needs root, setpriv and prlimit to refuse SCHED_FIFO to a child";
  // With ctxswitch: a selection that registers nothing at all is refused as "nothing to run".
  const auto lines = dry_run_lines(
      {kSetpriv, "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", kPrlimit, "--rtprio=0", "--"},
      "ctxswitch,inversion");
  for (const std::string& protocol : kProtocols) {
    const std::string ref = "  " + case_name("reference", protocol) + ": ";
    const std::string backend = "  " + case_name("pthread", protocol) + ": ";
    const auto ref_line =
        std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.starts_with(ref); });
    const auto backend_line = std::find_if(lines.begin(), lines.end(),
                                           [&](const auto& l) { return l.starts_with(backend); });
    ASSERT_NE(ref_line, lines.end()) << protocol << " reference not listed as skipped";
    ASSERT_NE(backend_line, lines.end()) << protocol << " backend not listed as skipped";
    EXPECT_EQ(ref_line->substr(ref.size()), backend_line->substr(backend.size()));
    EXPECT_NE(ref_line->find("SCHED_FIFO refused"), std::string::npos) << *ref_line;
  }
}

// A backend's case run without its reference (filtered out) still gets vs_ref: the reference
// group is calibrated before the case, as the other suites calibrate theirs.
TEST(InversionReferenceRun, FilteredBackendCaseStillHasVsRef) {
  if (!tpb::host_scheduling_rights().rt_permitted)
    GTEST_SKIP() << "no SCHED_FIFO here: " << tpb::host_scheduling_rights().detail;
  const auto out = std::filesystem::temp_directory_path() /
                   ("inversion_reference_" + std::to_string(::getpid()) + ".json");
  const tpb::test::ProcessResult r = tpb::test::run_process(
      {TPB_TPBENCH, "run", "--quick", "--no-progress", "--suite", "inversion", "--backend",
       "pthread", "--filter", "^inversion/.*backend:pthread/.*protocol:inherit/", "--out",
       out.string()},
      {}, 60s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(out);
  const auto record = nlohmann::json::parse(text.str(), nullptr, false);
  ASSERT_FALSE(record.is_discarded()) << "no record";
  int measured = 0;
  for (const auto& b : record.at("benchmarks")) {
    const std::string name = b.value("run_name", "");
    EXPECT_EQ(name.find("backend:reference"), std::string::npos) << name << " ran: not filtered";
    if (b.value("run_type", "") != "iteration") continue;
    ++measured;
    ASSERT_TRUE(b.contains("vs_ref")) << name;
    EXPECT_GT(b.at("vs_ref").get<double>(), 0) << name;
  }
  EXPECT_GT(measured, 0);
}

}  // namespace
