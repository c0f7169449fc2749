// The PostgreSQL history store, against a real server (the pg_cluster fixture): the store contract
// suite instantiated over fresh databases, plus what only a server has: samples survive the
// text protocol bit for bit; a newer schema is refused; a missing database, bad credentials and
// no server are one-line errors naming the server and never the password; libpq's environment
// fills in what a URI leaves out; the least privileges the README names are enough; a backend
// killed mid-append leaves nothing of the run, while the retried upload stores it once; and an
// export SQLite -> PostgreSQL -> SQLite round-trips every sample bit for bit.
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <initializer_list>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tpb/history.hpp>

#include "history_store_suite.hpp"
#include "pg_test_server.hpp"
#include "scratch_dir.hpp"

namespace tpb::test {
namespace {

using history::HistoryError;
using history::open_history_store;

// The parts joined: SQL text and keys built from several names.
std::string joined(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto part : parts) out += part;
  return out;
}

std::string fresh_database_name() {
  static std::atomic<int> counter{0};
  return "tpb_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

std::string fresh_postgres() {
  return PgTestServer::get().fresh_database(fresh_database_name());
}

INSTANTIATE_TEST_SUITE_P(Postgres, HistoryStoreTest,
                         ::testing::Values(HistoryStoreParam{"postgres", &fresh_postgres}),
                         history_param_name);

history::Run make_run(const std::string& id, std::vector<double> values) {
  history::Run run;
  run.info = {id, "rev-" + id, "main", "2026-01-01T00:00:00Z", "0.1.0", "fp1"};
  run.machine_facts = R"({"cpu":"test"})";
  for (const char* name : {"creation/a", "wake/b"}) {
    history::BenchmarkResult result{name, {}};
    for (std::size_t rep = 0; rep < values.size(); ++rep)
      result.repetitions.push_back(
          {static_cast<int>(rep), values[rep], {{"p50_ns", values[rep]}, {"samples", 10}}});
    run.benchmarks.push_back(result);
  }
  return run;
}

// What a store error says: one line, naming the server.
void expect_one_line_naming_server(const std::string& message) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find("postgresql://"), std::string::npos) << message;
}

std::string error_of(const std::string& uri) {
  try {
    open_history_store(uri);
  } catch (const HistoryError& e) {
    return e.what();
  }
  ADD_FAILURE() << uri << " opened";
  return {};
}

// Doubles travel as text; every bit of awkward values (subnormal, extremes, negative zero,
// values with no short decimal form) comes back unchanged.
TEST(PostgresHistory, SamplesRoundTripBitForBit) {
  const std::vector<double> values = {0.1 + 0.2,
                                      1.0 / 3.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::lowest(),
                                      -0.0,
                                      123456789.00000001,
                                      std::bit_cast<double>(std::uint64_t{0x3ff0000000000001})};
  auto store = open_history_store(fresh_postgres());
  ASSERT_TRUE(store->append_run(make_run("bits", values)));
  const auto series = store->query_series({"^creation/a$", {}});
  ASSERT_EQ(series.size(), 1u);
  ASSERT_EQ(series[0].points.size(), 1u);
  const auto& back = series[0].points[0].values;
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(std::bit_cast<std::uint64_t>(back[i]), std::bit_cast<std::uint64_t>(values[i]))
        << "repetition " << i << ": " << values[i] << " came back as " << back[i];
}

// A database written by a newer tpbench is refused, naming both versions.
TEST(PostgresHistory, NewerSchemaRefusedNamingBothVersions) {
  const auto name = fresh_database_name();
  const auto uri = PgTestServer::get().fresh_database(name);
  open_history_store(uri);
  PgTestServer::get().admin(name, "UPDATE tpbench_schema SET version = 7");
  try {
    open_history_store(uri);
    FAIL() << "a newer schema was accepted";
  } catch (const history::HistorySchemaTooNew& e) {
    EXPECT_EQ(e.found(), 7);
    EXPECT_EQ(e.supported(), history::kHistorySchemaVersion);
    expect_one_line_naming_server(e.what());
  }
}

// A database that does not exist: one line naming the server and the database.
TEST(PostgresHistory, MissingDatabaseIsOneLineNamingIt) {
  const auto message = error_of(PgTestServer::get().uri("tpb_no_such_database"));
  expect_one_line_naming_server(message);
  EXPECT_NE(message.find("tpb_no_such_database"), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

// Bad credentials: one line naming the server and the cause, never the password given.
TEST(PostgresHistory, BadPasswordIsOneLineWithoutThePassword) {
  const auto& server = PgTestServer::get();
  const auto name = fresh_database_name();
  server.fresh_database(name);
  // tpb_secret is the one role pg_cluster makes give a password.
  server.admin("postgres",
               "DO $$ BEGIN CREATE ROLE tpb_secret LOGIN PASSWORD 'right-password';"
               " EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  const auto uri = "postgresql://tpb_secret:wrong-password@/" + name +
                   "?host=" + server.socket_dir() + "&port=" + server.port();
  const auto message = error_of(uri);
  expect_one_line_naming_server(message);
  EXPECT_NE(message.find("password authentication failed"), std::string::npos) << message;
  EXPECT_EQ(message.find("wrong-password"), std::string::npos) << message;
}

// No server where the URI points: one line naming where it looked.
TEST(PostgresHistory, NoServerIsOneLineNamingWhere) {
  const auto& server = PgTestServer::get();
  const auto other_port = std::to_string(std::stoi(server.port()) + 1);
  const auto message = error_of("postgresql://postgres@/postgres?host=" + server.socket_dir() +
                                "&port=" + other_port);
  expect_one_line_naming_server(message);
  EXPECT_NE(message.find(other_port), std::string::npos) << message;
}

// A URI without host and port takes them from libpq's environment (PGHOST, PGPORT).
TEST(PostgresHistory, EnvironmentFillsWhatTheUriLeavesOut) {
  const auto name = fresh_database_name();
  PgTestServer::get().fresh_database(name);
  // GoogleTest runs the cases one at a time on this thread, and no other thread reads the
  // environment while the variables are set.
  for (const auto& [variable, value] : PgTestServer::get().environment())
    ::setenv(variable.c_str(), value.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  auto store = open_history_store("postgresql:///" + name);
  EXPECT_TRUE(store->append_run(make_run("env", {1, 2, 3})));
  EXPECT_EQ(store->list_runs({}).size(), 1u);
}

// The README's least privileges are enough: CONNECT and USAGE + CREATE on a schema to migrate;
// CONNECT, USAGE and SELECT + INSERT (DELETE on change_points) to append and read a migrated one.
// Without CREATE, opening an unmigrated database is a one-line privilege error.
TEST(PostgresHistory, LeastPrivilegedRolesSuffice) {
  const auto& server = PgTestServer::get();
  const auto db = fresh_database_name();
  server.fresh_database(db);
  const auto owner = db + "_owner";
  const auto writer = db + "_writer";
  for (const auto& sql : std::vector<std::string>{
           "REVOKE ALL ON DATABASE " + db + " FROM PUBLIC",
           std::string("CREATE SCHEMA tpbench"),
           "CREATE ROLE " + owner + " LOGIN",
           "CREATE ROLE " + writer + " LOGIN",
           joined({"GRANT CONNECT ON DATABASE ", db, " TO ", owner, ", ", writer}),
           "GRANT USAGE ON SCHEMA tpbench TO " + writer,
           joined({"ALTER ROLE ", owner, " IN DATABASE ", db, " SET search_path = tpbench"}),
           joined({"ALTER ROLE ", writer, " IN DATABASE ", db, " SET search_path = tpbench"}),
       })
    server.admin(db, sql);

  // The writer cannot create the schema.
  const auto refused = error_of(server.uri(db, writer));
  expect_one_line_naming_server(refused);
  EXPECT_NE(refused.find("permission denied"), std::string::npos) << refused;

  server.admin(db, "GRANT USAGE, CREATE ON SCHEMA tpbench TO " + owner);
  auto migrated = open_history_store(server.uri(db, owner));
  EXPECT_EQ(migrated->schema_version(), history::kHistorySchemaVersion);

  server.admin(db, "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA tpbench TO " + writer);
  server.admin(db, "GRANT DELETE ON tpbench.change_points TO " + writer);
  auto store = open_history_store(server.uri(db, writer));
  ASSERT_TRUE(store->append_run(make_run("least", {1, 2, 3})));
  EXPECT_FALSE(store->append_run(make_run("least", {1, 2, 3})));
  EXPECT_EQ(store->list_runs({}).size(), 1u);
  EXPECT_EQ(store->query_series({"", {}}).size(), 2u);
  store->store_change_points("creation/a", "fp1", "main",
                             {{"creation/a", "fp1", "main", "least", 0.1, 0.001}});
  EXPECT_EQ(store->change_points({"", {}}).size(), 1u);
}

// Every value and counter of every run, as bit patterns, keyed by run, benchmark and repetition.
std::map<std::string, std::uint64_t> bit_patterns(history::HistoryStore& store) {
  std::map<std::string, std::uint64_t> bits;
  for (const auto& info : store.list_runs({})) {
    const auto run = store.read_run(info.run_id);
    if (!run) continue;
    for (const auto& benchmark : run->benchmarks) {
      for (const auto& repetition : benchmark.repetitions) {
        const auto key =
            info.run_id + "/" + benchmark.name + "/" + std::to_string(repetition.index);
        bits[key] = std::bit_cast<std::uint64_t>(repetition.value);
        for (const auto& [name, value] : repetition.counters)
          bits[joined({key, "/", name})] = std::bit_cast<std::uint64_t>(value);
      }
    }
  }
  return bits;
}

// Export SQLite -> PostgreSQL -> SQLite gives back every sample and counter bit for bit: random
// bit patterns (every finite double is a possible sample) and the awkward values.
TEST(PostgresHistory, ExportRoundTripsEverySampleBitForBit) {
  const auto& dir = scratch_dir("tpbench-export");
  std::mt19937_64 bits(20261130);
  auto random_double = [&] {
    for (;;) {
      const auto value = std::bit_cast<double>(bits());
      if (std::isfinite(value) && value != 0) return value;
    }
  };
  auto source = open_history_store((dir / "source.sqlite").string());
  for (int r = 0; r < 5; ++r) {
    std::vector<double> values = {0.1 + 0.2, 1.0 / 3.0, std::numeric_limits<double>::denorm_min(),
                                  std::numeric_limits<double>::max()};
    for (int i = 0; i < 12; ++i) values.push_back(random_double());
    auto run = make_run("export-" + std::to_string(r), values);
    run.info.time = "2026-01-0" + std::to_string(r + 1) + "T00:00:00Z";
    for (auto& benchmark : run.benchmarks)
      for (auto& repetition : benchmark.repetitions) repetition.counters["noise"] = random_double();
    ASSERT_TRUE(source->append_run(run));
  }
  auto fleet = open_history_store(fresh_postgres());
  auto back = open_history_store((dir / "back.sqlite").string());
  EXPECT_EQ(history::export_runs(*source, *fleet).copied, 5u);
  EXPECT_EQ(history::export_runs(*fleet, *back).copied, 5u);
  EXPECT_EQ(history::export_runs(*fleet, *back).copied, 0u);

  const auto expected = bit_patterns(*source);
  EXPECT_EQ(expected.size(), 5u * 2 * 16 * 4);  // runs x benchmarks x repetitions x numbers
  EXPECT_EQ(bit_patterns(*fleet), expected);
  EXPECT_EQ(bit_patterns(*back), expected);
}

struct ConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};

// The backend serving an append is killed while the append waits inside its transaction: the
// append fails with one line naming the server, nothing of the run is stored, and the retried
// upload stores it once, whole. Meanwhile readers are not blocked by the waiting writer.
TEST(PostgresHistory, KilledBackendMidAppendLeavesNothingAndRetryStoresOnce) {
  const auto& server = PgTestServer::get();
  const auto db = fresh_database_name();
  const auto uri = server.fresh_database(db);
  auto store = open_history_store(uri);
  const auto run = make_run("killed", {1, 2, 3, 4});

  // A second session holds a lock that makes the append wait at its samples, after its run row.
  std::unique_ptr<PGconn, ConnectionDeleter> locker(PQconnectdb(uri.c_str()));
  ASSERT_EQ(PQstatus(locker.get()), CONNECTION_OK);
  PQclear(PQexec(locker.get(), "BEGIN"));
  PQclear(PQexec(locker.get(), "LOCK TABLE samples IN SHARE MODE"));

  auto append = std::async(std::launch::async, [&] {
    try {
      store->append_run(run);
      return std::string("stored");
    } catch (const HistoryError& e) {
      return std::string(e.what());
    }
  });

  std::string waiting;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (waiting.empty() && std::chrono::steady_clock::now() < deadline) {
    const auto pids =
        server.admin(db,
                     "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                     " AND application_name = 'tpbench' AND wait_event_type = 'Lock'");
    if (!pids.empty()) waiting = pids.front();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(waiting.empty()) << "the append never waited for the lock";
  // A reader is not blocked by the writer in the middle of its transaction, and does not see its
  // run yet (a blocked read would fail on its statement timeout, not hang the test).
  auto reader = open_history_store(uri + "&options=-c%20statement_timeout%3D10000");
  EXPECT_TRUE(reader->list_runs({}).empty());
  EXPECT_TRUE(reader->query_series({"", {}}).empty());
  server.admin(db, "SELECT pg_terminate_backend(" + waiting + ")");
  ASSERT_EQ(append.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto message = append.get();
  expect_one_line_naming_server(message);
  PQclear(PQexec(locker.get(), "ROLLBACK"));
  locker.reset();

  EXPECT_EQ(server.admin(db, "SELECT count(*) FROM runs"), std::vector<std::string>{"0"});
  EXPECT_EQ(server.admin(db, "SELECT count(*) FROM samples"), std::vector<std::string>{"0"});

  auto retry = open_history_store(uri);
  EXPECT_TRUE(retry->append_run(run));
  EXPECT_FALSE(retry->append_run(run));
  EXPECT_EQ(server.admin(db, "SELECT count(*) FROM runs"), std::vector<std::string>{"1"});
  EXPECT_EQ(server.admin(db, "SELECT count(*) FROM samples"), std::vector<std::string>{"8"});
}

}  // namespace
}  // namespace tpb::test
