// The throwaway PostgreSQL server of the build tree (started by tests/support/pg_cluster as the
// CTest fixture `pg_cluster`), seen from a test: URIs that reach it, a fresh database per case,
// and SQL run as its superuser for what only an administrator does (roles, grants, ending a
// backend). Every function throws std::runtime_error when the server is not there: a test that
// needs it fails, it never passes without it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tpb::test {

class PgTestServer {
 public:
  // Reads the cluster's environment file written by pg_cluster start.
  static const PgTestServer& get();

  // postgresql://USER@/DATABASE?host=SOCKET_DIR&port=PORT
  std::string uri(const std::string& database, const std::string& user = "postgres") const;
  // libpq's environment reaching the server as its superuser (PGHOST, PGPORT, PGUSER), for URIs
  // that leave them out.
  std::vector<std::pair<std::string, std::string>> environment() const;

  // Drops the database `name` if it exists (ending its sessions), creates it empty, returns its
  // URI as the superuser.
  std::string fresh_database(const std::string& name) const;

  // Runs `sql` as the superuser in `database`; returns the first column of every row.
  std::vector<std::string> admin(const std::string& database, const std::string& sql) const;

  const std::string& socket_dir() const { return socket_dir_; }
  const std::string& port() const { return port_; }

 private:
  PgTestServer() = default;
  std::string socket_dir_;
  std::string port_;
};

}  // namespace tpb::test
