// The PostgreSQL history store, for a fleet of machines sharing one history: libpq, bound
// parameters only, the schema of tpb/history.hpp in the tables of the connection's search_path
// (its first schema), the schema version in the table `tpbench_schema`.
//
// Every guarantee of tpb/history.hpp holds, and across machines:
//   - Many writers at once: an append is one READ COMMITTED transaction whose inserts of shared
//     rows (machines, benchmark names) are ON CONFLICT DO NOTHING in a fixed order; a transaction
//     that still loses a race (deadlock, serialization failure, unique violation) is retried
//     whole, a bounded number of times, with a randomised back-off.
//   - Readers are never blocked by writers (PostgreSQL's snapshots).
//   - A retried upload is stored once: runs.run_id is unique and its insert is ON CONFLICT DO
//     NOTHING; a connection lost mid-append leaves nothing of the run (the server rolls back).
//   - Migrations from several processes at once are serialised by an advisory lock.
// Least privileges: opening a migrated store needs CONNECT, USAGE on the schema, SELECT and INSERT
// on its tables (DELETE on change_points to replace them); migrating needs CREATE on the schema.
// Errors: HistoryError naming the server (postgresql://user@host:port/db, never a password) and
// the cause on one line.
#pragma once

#include <memory>
#include <string>

#include <tpb/history.hpp>

namespace tpb::history {

// Connects to `uri` (a libpq connection URI; whatever it leaves out comes from libpq's
// environment: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGPASSFILE, ...) and migrates the store.
// Throws HistoryError (HistorySchemaTooNew for a newer schema).
std::unique_ptr<HistoryStore> open_postgres_history(const std::string& uri);

}  // namespace tpb::history
