// tpb/history.hpp - the history of runs: one interface, HistoryStore, and the factory that opens
// the store a `--db` argument names (a file path: SQLite; a `postgresql://` URI: PostgreSQL).
//
// Every store keeps the same schema (docs/design.md, reports):
//   machines        one row per machine fingerprint, with the facts it hashes (JSON)
//   runs            run id (unique), git revision, branch, time (UTC ISO 8601), tpbench version,
//                   machine; ordered by time, then by insertion
//   benchmarks      one row per benchmark name
//   samples         one row per (run, benchmark, repetition): the gated value (ns) and every
//                   counter of that repetition (JSON object)
//   change_points   the detector's findings: benchmark, machine, branch, first run after the step,
//                   relative step size and its p-value
// The schema is versioned (kHistorySchemaVersion). A store written by a newer tpbench is refused
// with HistorySchemaTooNew naming both versions (exit 2); an older one is migrated on open.
//
// Guarantees of every implementation:
//   - append_run is one transaction: after a crash a run is either wholly stored or absent.
//   - append_run is keyed by RunInfo::run_id: appending the same id again stores nothing more and
//     returns false, so a retried append is stored once.
//   - The interface carries no query language: SQL lives in the implementation files only.
// Thread-safety: a store object is used by one thread at a time; several processes may open the
// same history (each implementation serialises writers).
// Errors: HistoryError (std::runtime_error) naming the store and what failed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <tpb/record.hpp>

namespace tpb::history {

inline constexpr int kHistorySchemaVersion = 1;

// Default `--db`, relative to the working directory.
inline constexpr std::string_view kDefaultHistoryPath = "reports/history.sqlite";

class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The store's schema is newer than this tpbench understands.
class HistorySchemaTooNew : public HistoryError {
 public:
  HistorySchemaTooNew(const std::string& store, int found, int supported);
  int found() const { return found_; }
  int supported() const { return supported_; }

 private:
  int found_;
  int supported_;
};

// One repetition of one benchmark in one run.
struct Repetition {
  int index = 0;
  double value = 0;                        // the gated metric, ns (see tpb/compare.hpp)
  std::map<std::string, double> counters;  // every numeric field of that repetition, as recorded
};

struct BenchmarkResult {
  std::string name;
  std::vector<Repetition> repetitions;
};

struct RunInfo {
  std::string run_id;  // unique key; a record's own id, else derived from its content
  std::string revision;
  std::string branch;
  std::string time;  // UTC, ISO 8601 ("2026-11-30T13:29:38Z"): sorts as text
  std::string tpbench_version;
  std::string fingerprint;
};

struct Run {
  RunInfo info;
  std::string machine_facts = "{}";  // JSON text of what the fingerprint hashes
  std::vector<BenchmarkResult> benchmarks;
};

// Which runs a listing or a series covers. Empty strings match everything.
struct RunFilter {
  std::string fingerprint;
  std::string branch;
  std::size_t last_runs = 0;  // the most recent N runs only; 0: all
};

struct SeriesQuery {
  std::string benchmark_regex;  // ECMAScript regex searched in the name; empty: every benchmark
  RunFilter runs;
};

// One run's values of one benchmark.
struct SeriesPoint {
  RunInfo run;
  std::vector<double> values;  // every repetition's gated value, by repetition index
};

// A benchmark's series on one machine, oldest run first.
struct Series {
  std::string benchmark;
  std::string fingerprint;
  std::vector<SeriesPoint> points;
};

struct ChangePoint {
  std::string benchmark;
  std::string fingerprint;
  std::string branch;
  std::string run_id;  // the first run after the step
  double step = 0;     // relative change of the level: +0.05 is 5% higher after the step
  double p_value = 1;  // of the permutation test that accepted it
};

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // What the store names itself in messages: a path, or a URI without its password.
  virtual std::string location() const = 0;

  // The schema version the store holds (0 for a new, empty store).
  virtual int schema_version() = 0;
  // Brings an older schema to kHistorySchemaVersion. Throws HistorySchemaTooNew for a newer one.
  // Stores returned by open_history_store have already been migrated.
  virtual void migrate() = 0;

  // Stores `run` in one transaction. Returns false (and stores nothing) when a run with the same
  // run_id is already there. Throws HistoryError; then nothing of `run` is stored.
  virtual bool append_run(const Run& run) = 0;

  // Runs matching `filter`, oldest first.
  virtual std::vector<RunInfo> list_runs(const RunFilter& filter) = 0;

  // One series per (benchmark, fingerprint) matching the query, ordered by benchmark name, then
  // fingerprint; points oldest first.
  virtual std::vector<Series> query_series(const SeriesQuery& query) = 0;

  // Replaces the change points stored for (benchmark, fingerprint, branch) with `found`.
  virtual void store_change_points(const std::string& benchmark, const std::string& fingerprint,
                                   const std::string& branch,
                                   const std::vector<ChangePoint>& found) = 0;
  // Stored change points of the benchmarks matching the regex, ordered by benchmark, then run.
  virtual std::vector<ChangePoint> change_points(const SeriesQuery& query) = 0;

  // The whole run stored under `run_id` (its facts, its machine's facts, every repetition with
  // its counters; benchmarks by name, repetitions by index), or nullopt when there is none.
  virtual std::optional<Run> read_run(const std::string& run_id) = 0;
};

// What export_runs did.
struct ExportCounts {
  std::size_t copied = 0;         // runs `to` did not hold
  std::size_t already_there = 0;  // runs `to` held already (same run id): left as they are
};

// Copies the runs of `from` that `filter` selects into `to`, oldest first, each in its own
// transaction: exporting again copies nothing more, and an export that stopped half way is
// finished by running it again. Values and counters arrive bit for bit. Throws HistoryError; the
// runs copied before it stay.
ExportCounts export_runs(HistoryStore& from, HistoryStore& to, const RunFilter& filter = {});

// Opens (creating when absent) the store `db` names: "postgresql://..." or "postgres://..." is a
// PostgreSQL connection URI; anything else is a SQLite file path (parent directories created).
// The store is migrated to kHistorySchemaVersion before it is returned. Throws HistoryError
// (HistorySchemaTooNew for a newer schema), e.g. when PostgreSQL support was not built.
std::unique_ptr<HistoryStore> open_history_store(const std::string& db);

// A run record as a history run: the run id is a hash of the record's content (importing a file
// twice stores it once); revision from git_revision; time from the context's date, in UTC; the
// machine's fingerprint and the parts it hashes (report::machine_identity); every repetition with
// its gated value (tpb/compare.hpp) and its numeric fields and counters. Benchmarks that cannot
// be judged (failed, NaN) are left out. `branch` is stored as given. Throws HistoryError naming
// `source` when the record has no per-repetition entry.
Run run_from_record(const report::RunRecord& record, const std::string& source,
                    const std::string& branch);

// True when `db` names a PostgreSQL store.
bool is_postgres_location(std::string_view db);

}  // namespace tpb::history
