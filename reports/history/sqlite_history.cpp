// The SQLite history store. All of the SQLite history's SQL is in this file; every statement is
// prepared and bound, never built from values.
#include "sqlite_history.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "counters_json.hpp"

namespace tpb::history {
namespace {

// Version 1. Column names and meanings are shared with the PostgreSQL store.
constexpr const char* kSchemaV1[] = {
    "CREATE TABLE machines(id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, "
    "facts TEXT NOT NULL)",
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, revision TEXT NOT "
    "NULL, "
    "branch TEXT NOT NULL, time TEXT NOT NULL, tpbench_version TEXT NOT NULL, "
    "machine_id INTEGER NOT NULL REFERENCES machines(id))",
    "CREATE INDEX runs_by_machine ON runs(machine_id, branch, time, id)",
    "CREATE TABLE benchmarks(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE samples(run_id INTEGER NOT NULL REFERENCES runs(id), "
    "benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id), repetition INTEGER NOT NULL, "
    "value REAL NOT NULL, counters TEXT NOT NULL, PRIMARY KEY(benchmark_id, run_id, repetition)) "
    "WITHOUT ROWID",
    "CREATE TABLE change_points(benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id), "
    "machine_id INTEGER NOT NULL REFERENCES machines(id), branch TEXT NOT NULL, "
    "run_id INTEGER NOT NULL REFERENCES runs(id), step REAL NOT NULL, p_value REAL NOT NULL, "
    "PRIMARY KEY(benchmark_id, machine_id, branch, run_id))",
};

// The runs a RunFilter selects; ?1 fingerprint ('' any), ?2 branch ('' any), ?3 last N (0 all).
constexpr const char* kRunsWhere =
    "(?1 = '' OR m.fingerprint = ?1) AND (?2 = '' OR r.branch = ?2) AND "
    "(?3 = 0 OR r.id IN (SELECT r2.id FROM runs r2 JOIN machines m2 ON m2.id = r2.machine_id "
    "WHERE (?1 = '' OR m2.fingerprint = ?1) AND (?2 = '' OR r2.branch = ?2) "
    "ORDER BY r2.time DESC, r2.id DESC LIMIT ?3))";

class Database {
 public:
  explicit Database(const std::filesystem::path& path) : path_(path.string()) {
    // No connection mutex: a store is used by one thread at a time (history.hpp), and the mutex
    // is taken on every column read of a 100,000-row query.
    if (sqlite3_open_v2(path_.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      const std::string what = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw HistoryError(fmt::format("{}: cannot open the history: {}", path_, what));
    }
    sqlite3_busy_timeout(db_, 10000);
  }
  ~Database() { sqlite3_close_v2(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(std::string_view doing) const {
    throw HistoryError(fmt::format("{}: {}: {}", path_, doing, sqlite3_errmsg(db_)));
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(const Database& db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db.handle(), sql, -1, &stmt_, nullptr) != SQLITE_OK)
      db.fail("preparing a statement");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::string_view text) {
    check(
        sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int i, double value) {
    check(sqlite3_bind_double(stmt_, i, value));
    return *this;
  }
  Statement& bind(int i, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, i, value));
    return *this;
  }
  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_.fail("executing a statement");
  }
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) db_.fail("binding a value");
  }
  const Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when left by an exception.
class Transaction {
 public:
  explicit Transaction(const Database& db) : db_(db) { Statement(db, "BEGIN IMMEDIATE").run(); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    Statement(db_, "COMMIT").run();
    done_ = true;
  }

 private:
  const Database& db_;
  bool done_ = false;
};

class SqliteHistory final : public HistoryStore {
 public:
  explicit SqliteHistory(const std::filesystem::path& path) : db_(path) {
    Statement wal(db_, "PRAGMA journal_mode=WAL");
    if (!wal.step() || wal.text(0) != "wal") db_.fail("switching to WAL mode");
    wal.reset();
    Statement(db_, "PRAGMA synchronous=NORMAL").run();
    // Reads through a memory map rather than one read call per page: a series over 100,000
    // runs reads tens of megabytes.
    Statement(db_, "PRAGMA mmap_size=268435456").run();
    Statement(db_, "PRAGMA foreign_keys=ON").run();
  }

  std::string location() const override { return db_.path(); }

  int schema_version() override {
    Statement version(db_, "PRAGMA user_version");
    version.step();
    return static_cast<int>(version.integer(0));
  }

  void migrate() override {
    if (const int found = schema_version(); found > kHistorySchemaVersion)
      throw HistorySchemaTooNew(db_.path(), found, kHistorySchemaVersion);
    if (schema_version() == kHistorySchemaVersion) return;
    Transaction transaction(db_);
    const int found = schema_version();  // another process may have migrated meanwhile
    if (found > kHistorySchemaVersion)
      throw HistorySchemaTooNew(db_.path(), found, kHistorySchemaVersion);
    if (found == 0)
      for (const char* sql : kSchemaV1) Statement(db_, sql).run();
    // PRAGMA takes no bound parameters; the version is a compile-time constant.
    Statement(db_, "PRAGMA user_version = 1").run();
    static_assert(kHistorySchemaVersion == 1, "add the migration to the new version here");
    transaction.commit();
  }

  bool append_run(const Run& run) override {
    if (run.info.run_id.empty()) throw HistoryError(db_.path() + ": a run without a run id");
    Transaction transaction(db_);
    Statement exists(db_, "SELECT 1 FROM runs WHERE run_id = ?1");
    exists.bind(1, run.info.run_id);
    if (exists.step()) return false;

    Statement(db_,
              "INSERT INTO machines(fingerprint, facts) VALUES(?1, ?2) "
              "ON CONFLICT(fingerprint) DO NOTHING")
        .bind(1, run.info.fingerprint)
        .bind(2, run.machine_facts)
        .run();
    Statement insert_run(db_,
                         "INSERT INTO runs(run_id, revision, branch, time, tpbench_version, "
                         "machine_id) SELECT ?1, ?2, ?3, ?4, ?5, id FROM machines "
                         "WHERE fingerprint = ?6");
    insert_run.bind(1, run.info.run_id)
        .bind(2, run.info.revision)
        .bind(3, run.info.branch)
        .bind(4, run.info.time)
        .bind(5, run.info.tpbench_version)
        .bind(6, run.info.fingerprint)
        .run();
    const std::int64_t run_row = sqlite3_last_insert_rowid(db_.handle());

    Statement insert_benchmark(db_,
                               "INSERT INTO benchmarks(name) VALUES(?1) "
                               "ON CONFLICT(name) DO NOTHING");
    Statement benchmark_id(db_, "SELECT id FROM benchmarks WHERE name = ?1");
    Statement insert_sample(db_,
                            "INSERT INTO samples(run_id, benchmark_id, repetition, value, "
                            "counters) VALUES(?1, ?2, ?3, ?4, ?5)");
    for (const auto& benchmark : run.benchmarks) {
      insert_benchmark.bind(1, benchmark.name).run();
      benchmark_id.bind(1, benchmark.name);
      benchmark_id.step();
      const std::int64_t id = benchmark_id.integer(0);
      benchmark_id.reset();
      for (const auto& repetition : benchmark.repetitions) {
        if (!std::isfinite(repetition.value))
          throw HistoryError(fmt::format("{}: {} repetition {}: value is not a finite number",
                                         db_.path(), benchmark.name, repetition.index));
        insert_sample.bind(1, run_row)
            .bind(2, id)
            .bind(3, static_cast<std::int64_t>(repetition.index))
            .bind(4, repetition.value)
            .bind(5, counters_to_json(repetition.counters))
            .run();
      }
    }
    transaction.commit();
    return true;
  }

  std::vector<RunInfo> list_runs(const RunFilter& filter) override {
    const std::string sql = fmt::format(
        "SELECT r.run_id, r.revision, r.branch, r.time, r.tpbench_version, m.fingerprint "
        "FROM runs r JOIN machines m ON m.id = r.machine_id WHERE {} ORDER BY r.time, r.id",
        kRunsWhere);
    Statement runs(db_, sql.c_str());
    bind_filter(runs, filter);
    std::vector<RunInfo> out;
    while (runs.step()) out.push_back(run_info(runs, 0));
    return out;
  }

  std::vector<Series> query_series(const SeriesQuery& query) override {
    // The runs the filter keeps, read once; then each benchmark's samples in primary-key order
    // (run row, repetition), so SQLite never sorts: ordering by time happens here, per series.
    const std::string runs_sql = fmt::format(
        "SELECT r.id, r.run_id, r.revision, r.branch, r.time, r.tpbench_version, m.fingerprint "
        "FROM runs r JOIN machines m ON m.id = r.machine_id WHERE {} ORDER BY r.id",
        kRunsWhere);
    Statement runs(db_, runs_sql.c_str());
    bind_filter(runs, query.runs);
    std::vector<std::pair<std::int64_t, RunInfo>> selected;  // by run row, ascending
    while (runs.step()) selected.emplace_back(runs.integer(0), run_info(runs, 1));
    runs.reset();

    // Points per machine are reserved up front: growing 100,000-point vectors by doubling costs
    // more than the query itself.
    std::map<std::string, std::size_t> runs_per_machine;
    {
      const std::string* previous = nullptr;
      std::size_t* count = nullptr;
      for (const auto& [row, info] : selected) {
        if (!previous || *previous != info.fingerprint) count = &runs_per_machine[info.fingerprint];
        previous = &info.fingerprint;
        ++*count;
      }
    }

    Statement samples(db_,
                      "SELECT run_id, value FROM samples WHERE benchmark_id = ?1 "
                      "ORDER BY run_id, repetition");
    std::vector<Series> out;
    const auto benchmarks = matching_benchmarks(query.benchmark_regex);
    // The run facts are copied into each series' points; the last benchmark may take them.
    for (std::size_t b = 0; b < benchmarks.size(); ++b) {
      const auto& [id, name] = benchmarks[b];
      const bool last = b + 1 == benchmarks.size();
      // Per machine, a series and its points' run rows, in run-row order. Machines are few and
      // a history's runs mostly come from one, so the last one found is checked first.
      std::vector<std::pair<Series, std::vector<std::int64_t>>> by_machine;
      std::size_t current = 0;
      std::int64_t last_row = -1;
      std::size_t repetitions = 1;  // the previous point's, to size the next one's values once
      std::vector<double>* values = nullptr;
      auto run = selected.begin();  // both in run-row order: a merge, no lookups
      samples.bind(1, id);
      while (samples.step()) {
        const std::int64_t row = samples.integer(0);
        if (row != last_row) {
          last_row = row;
          if (values) repetitions = std::max<std::size_t>(values->size(), 1);
          values = nullptr;
          while (run != selected.end() && run->first < row) ++run;
          if (run == selected.end() || run->first != row) continue;
          const std::string& fingerprint = run->second.fingerprint;
          if (current >= by_machine.size() || by_machine[current].first.fingerprint != fingerprint)
            current = machine_series(by_machine, name, fingerprint, runs_per_machine[fingerprint]);
          auto& [series, rows] = by_machine[current];
          rows.push_back(row);
          series.points.push_back(SeriesPoint{last ? std::move(run->second) : run->second, {}});
          values = &series.points.back().values;
          values->reserve(repetitions);
        }
        if (values) values->push_back(samples.real(1));
      }
      samples.reset();
      std::sort(by_machine.begin(), by_machine.end(), [](const auto& a, const auto& b) {
        return a.first.fingerprint < b.first.fingerprint;
      });
      for (auto& [series, rows] : by_machine) {
        order_by_time(series.points, rows);
        out.push_back(std::move(series));
      }
    }
    return out;
  }

  void store_change_points(const std::string& benchmark, const std::string& fingerprint,
                           const std::string& branch,
                           const std::vector<ChangePoint>& found) override {
    Transaction transaction(db_);
    Statement(db_,
              "DELETE FROM change_points WHERE benchmark_id = (SELECT id FROM benchmarks "
              "WHERE name = ?1) AND machine_id = (SELECT id FROM machines WHERE fingerprint = ?2) "
              "AND branch = ?3")
        .bind(1, benchmark)
        .bind(2, fingerprint)
        .bind(3, branch)
        .run();
    Statement insert(db_,
                     "INSERT INTO change_points(benchmark_id, machine_id, branch, run_id, step, "
                     "p_value) SELECT b.id, m.id, ?3, r.id, ?5, ?6 FROM benchmarks b, machines m, "
                     "runs r WHERE b.name = ?1 AND m.fingerprint = ?2 AND r.run_id = ?4");
    for (const auto& point : found)
      insert.bind(1, benchmark)
          .bind(2, fingerprint)
          .bind(3, branch)
          .bind(4, point.run_id)
          .bind(5, point.step)
          .bind(6, point.p_value)
          .run();
    transaction.commit();
  }

  std::vector<ChangePoint> change_points(const SeriesQuery& query) override {
    Statement points(db_,
                     "SELECT m.fingerprint, c.branch, r.run_id, c.step, c.p_value "
                     "FROM change_points c JOIN runs r ON r.id = c.run_id "
                     "JOIN machines m ON m.id = c.machine_id WHERE c.benchmark_id = ?1 "
                     "AND (?2 = '' OR m.fingerprint = ?2) AND (?3 = '' OR c.branch = ?3) "
                     "ORDER BY m.fingerprint, c.branch, r.time, r.id");
    std::vector<ChangePoint> out;
    for (const auto& [id, name] : matching_benchmarks(query.benchmark_regex)) {
      points.bind(1, id).bind(2, query.runs.fingerprint).bind(3, query.runs.branch);
      while (points.step())
        out.push_back(ChangePoint{name, points.text(0), points.text(1), points.text(2),
                                  points.real(3), points.real(4)});
      points.reset();
    }
    return out;
  }

  std::optional<Run> read_run(const std::string& run_id) override {
    Statement head(db_,
                   "SELECT r.id, r.run_id, r.revision, r.branch, r.time, r.tpbench_version, "
                   "m.fingerprint, m.facts FROM runs r JOIN machines m ON m.id = r.machine_id "
                   "WHERE r.run_id = ?1");
    head.bind(1, run_id);
    if (!head.step()) return std::nullopt;
    Run run{run_info(head, 1), head.text(7), {}};
    Statement samples(db_,
                      "SELECT b.name, s.repetition, s.value, s.counters FROM samples s "
                      "JOIN benchmarks b ON b.id = s.benchmark_id WHERE s.run_id = ?1 "
                      "ORDER BY b.name, s.repetition");
    samples.bind(1, head.integer(0));
    while (samples.step()) {
      std::string name = samples.text(0);
      if (run.benchmarks.empty() || run.benchmarks.back().name != name)
        run.benchmarks.push_back(BenchmarkResult{std::move(name), {}});
      run.benchmarks.back().repetitions.push_back(
          Repetition{static_cast<int>(samples.integer(1)), samples.real(2),
                     counters_from_json(samples.text(3), db_.path())});
    }
    return run;
  }

 private:
  void bind_filter(Statement& statement, const RunFilter& filter) {
    statement.bind(1, filter.fingerprint)
        .bind(2, filter.branch)
        .bind(3, static_cast<std::int64_t>(filter.last_runs));
  }

  // The index in by_machine of fingerprint's series, added with room for `runs` points if new.
  static std::size_t machine_series(
      std::vector<std::pair<Series, std::vector<std::int64_t>>>& by_machine,
      const std::string& benchmark, const std::string& fingerprint, std::size_t runs) {
    for (std::size_t i = 0; i < by_machine.size(); ++i)
      if (by_machine[i].first.fingerprint == fingerprint) return i;
    auto& [series, rows] =
        by_machine.emplace_back(Series{benchmark, fingerprint, {}}, std::vector<std::int64_t>{});
    series.points.reserve(runs);
    rows.reserve(runs);
    return by_machine.size() - 1;
  }

  // Puts points (in run-row order, rows[i] being points[i]'s run row) in time order, run row
  // breaking ties. Runs are mostly appended in time order: this sorts only when they were not.
  static void order_by_time(std::vector<SeriesPoint>& points,
                            const std::vector<std::int64_t>& rows) {
    const auto earlier = [&](std::size_t a, std::size_t b) {
      const auto& ta = points[a].run.time;
      const auto& tb = points[b].run.time;
      return ta != tb ? ta < tb : rows[a] < rows[b];
    };
    bool sorted = true;
    for (std::size_t i = 1; i < points.size() && sorted; ++i) sorted = !earlier(i, i - 1);
    if (sorted) return;
    std::vector<std::size_t> order(points.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), earlier);
    std::vector<SeriesPoint> in_order;
    in_order.reserve(points.size());
    for (const std::size_t i : order) in_order.push_back(std::move(points[i]));
    points = std::move(in_order);
  }

  static RunInfo run_info(const Statement& row, int first) {
    return RunInfo{row.text(first),     row.text(first + 1), row.text(first + 2),
                   row.text(first + 3), row.text(first + 4), row.text(first + 5)};
  }

  // Benchmarks whose name the regex finds, by name.
  std::vector<std::pair<std::int64_t, std::string>> matching_benchmarks(const std::string& regex) {
    std::regex pattern;
    try {
      pattern = std::regex(regex.empty() ? std::string(".") : regex);
    } catch (const std::regex_error& e) {
      throw HistoryError(
          fmt::format("--benchmark: bad regular expression '{}': {}", regex, e.what()));
    }
    Statement names(db_, "SELECT id, name FROM benchmarks ORDER BY name");
    std::vector<std::pair<std::int64_t, std::string>> out;
    while (names.step()) {
      std::string name = names.text(1);
      if (regex.empty() || std::regex_search(name, pattern))
        out.emplace_back(names.integer(0), std::move(name));
    }
    return out;
  }

  Database db_;
};

}  // namespace

std::unique_ptr<HistoryStore> open_sqlite_history(const std::filesystem::path& path) {
  std::error_code ignored;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ignored);
  auto store = std::make_unique<SqliteHistory>(path);
  store->migrate();
  return store;
}

}  // namespace tpb::history
