#include "pg_test_server.hpp"

#include <libpq-fe.h>

#include <fstream>
#include <memory>
#include <stdexcept>

namespace tpb::test {
namespace {

struct ConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};

}  // namespace

const PgTestServer& PgTestServer::get() {
  static const PgTestServer server = [] {
    const std::string path = std::string(TPB_PG_CLUSTER_DIR) + "/cluster.env";
    std::ifstream in(path);
    if (!in)
      throw std::runtime_error(path + " missing: the pg_cluster fixture did not start the server");
    PgTestServer read;
    for (std::string line; std::getline(in, line);) {
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      const auto name = line.substr(0, eq);
      if (name == "PGHOST") read.socket_dir_ = line.substr(eq + 1);
      if (name == "PGPORT") read.port_ = line.substr(eq + 1);
    }
    if (read.socket_dir_.empty() || read.port_.empty())
      throw std::runtime_error(path + ": no PGHOST or PGPORT");
    return read;
  }();
  return server;
}

std::string PgTestServer::uri(const std::string& database, const std::string& user) const {
  return "postgresql://" + user + "@/" + database + "?host=" + socket_dir_ + "&port=" + port_;
}

std::vector<std::pair<std::string, std::string>> PgTestServer::environment() const {
  return {{"PGHOST", socket_dir_}, {"PGPORT", port_}, {"PGUSER", "postgres"}};
}

std::vector<std::string> PgTestServer::admin(const std::string& database,
                                             const std::string& sql) const {
  std::unique_ptr<PGconn, ConnectionDeleter> connection(PQconnectdb(uri(database).c_str()));
  if (PQstatus(connection.get()) != CONNECTION_OK)
    throw std::runtime_error("test server: " + std::string(PQerrorMessage(connection.get())));
  PQsetNoticeProcessor(
      connection.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<PGresult, ResultDeleter> result(PQexec(connection.get(), sql.c_str()));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("test server: " + sql + ": " + PQresultErrorMessage(result.get()));
  std::vector<std::string> rows;
  if (status == PGRES_TUPLES_OK)
    for (int row = 0; row < PQntuples(result.get()); ++row)
      rows.emplace_back(PQgetvalue(result.get(), row, 0));
  return rows;
}

std::string PgTestServer::fresh_database(const std::string& name) const {
  admin("postgres", "DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
  admin("postgres", "CREATE DATABASE \"" + name + "\"");
  return uri(name);
}

}  // namespace tpb::test
