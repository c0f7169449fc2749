// The record's benchmarks reduced to what a report shows: one Result per benchmark (its
// repetitions folded into medians), the ranking of backends per suite and case, and the
// inversion verdicts. HTML, Markdown and the charts all read these, so they agree.
//
// Conventions (the same as the summary printed after a run): a repetition's value is its p50_ns
// counter (per operation, ns) where it has one, else Google Benchmark's real time in ns. A
// backend measured in several scenarios (placements, priorities, mechanisms) is ranked by the
// geometric mean over the scenarios every backend of the case measured.
//
// Thread-safety: plain values and free functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <tpb/record.hpp>

#include "benchmark_name.hpp"

namespace tpb::report {

struct Result {
  std::string run_name;
  BenchmarkName name;
  std::string backend;             // "pool wake:spin": the backend and its variant segments
  std::string scenario;            // the other key:value segments, "placement:same_cpu/priority:8"
  int repetitions = 0;             // without error
  int failed = 0;                  // repetitions with an error
  std::optional<double> value_ns;  // median over repetitions (see above)
  std::map<std::string, double> counters;  // each counter's median over repetitions
  std::optional<std::string> label;        // of the first repetition that has one
  std::optional<std::string> error;        // of the first failed repetition

  std::optional<double> counter(const std::string& key) const;
};

// One Result per run_name, in the record's order. Variant keys (name segments that belong to the
// backend, not the scenario) come from the record's backends (e.g. pool's "wake"), the references'
// "wait", and `extra_variant_keys`.
std::vector<Result> collect_results(const RunRecord& record,
                                    const std::vector<std::string>& extra_variant_keys = {});

struct RankingRow {
  std::string backend;
  double median_ns = 0;          // geometric mean over the scenarios (see above)
  double vs_best = 1;            // median_ns / the case's best
  std::optional<double> vs_ref;  // geometric mean over the scenarios of median / the raw
                                 // reference's median: the one measured sample by sample beside
                                 // the benchmark (`ref_p50_ns`), else the reference row of that
                                 // scenario, else the vs_ref counter
  std::size_t scenarios = 0;
  // The same geometric mean for p90/p99/max (charts), when every scenario has them.
  std::optional<double> p90_ns, p99_ns, max_ns;
};

struct CaseRanking {
  std::string suite;
  std::string kase;
  std::vector<RankingRow> rows;  // fastest first
};

// Every suite/case except inversion (judged by verdict: inversion_rows).
std::vector<CaseRanking> rank_cases(const std::vector<Result>& results);

enum class Verdict { bounded, mixed, unbounded, failed };
std::string to_string(Verdict verdict);

// The verdict a protocol should produce when the host runs the group at its priorities: `none`
// unbounded (an unprotected lock lets medium starve low, so the experiment reproduces the
// inversion), `inherit` and `ceiling` bounded (the protocol lifts low above medium). Nothing for
// a protocol this code does not know.
std::optional<Verdict> expected_verdict(const std::string& protocol);

// How an inversion line stands against that expectation, best first; lines rank in this order.
// A line meets it when its threads ran at their host priorities and its verdict is the protocol's
// expected one; it misses it when they ran at their priorities and the verdict is another one
// (mixed before the opposite verdict, being nearer); a line whose threads did not run at their
// host priorities cannot be judged (its verdict shows the backend, not the protocol), so it ranks
// below every judged line, whatever its verdict; a failed run comes last.
enum class Standing { met, missed, unjudged, failed };
std::string to_string(Standing standing);

struct InversionRow {
  std::string protocol;  // none, inherit, ceiling
  std::string backend;
  std::string placement;
  Verdict verdict = Verdict::failed;
  std::string detail;  // the benchmark's label or error, verbatim
  std::optional<double> high_wait_ns, critical_section_ns, medium_spin_ns;
  // high's wait over the raw reference's, same protocol and placement (else the vs_ref counter).
  std::optional<double> vs_ref;
  bool priority_applied = false;
  Standing standing = Standing::failed;
};

// Why a line stands where it does, for a reader: "expected bounded" for a miss, "host priorities
// not applied" for a line that cannot be judged; empty for a line that met its verdict or failed
// (its verdict says so).
std::string standing_note(const InversionRow& row);
// The standing with its note, for a report's column: "met", "missed (expected bounded)".
std::string standing_text(const InversionRow& row);

// By protocol (as the record lists them), then standing (see Standing: lines meeting the
// protocol's expected verdict first, lines that could not be judged after every judged one), then
// high's wait.
std::vector<InversionRow> inversion_rows(const std::vector<Result>& results);

// "3.55 us", "1.00 ms": three significant digits with a unit that fits.
std::string format_ns(double ns);

}  // namespace tpb::report
