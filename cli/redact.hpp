// Passwords kept out of what tpbench records. A run record carries the command line that made it,
// and the record travels: into reports, CI artifacts and the history. A `--db` (or `--to`) naming a
// PostgreSQL server may hold its password; it is replaced by *** before the command line is
// recorded, and every other byte is kept.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tpb::cli {

// `argument` with each PostgreSQL password in it replaced by ***:
//  - the password of a postgresql:// or postgres:// URI's user info (`user:PASSWORD@host`: up to
//    the last @ before the path's /, so an unescaped @ in it is masked too), and the value of its
//    `password` or `sslpassword` query parameter (up to the next &);
//  - in a key/value connection string, the value of the keyword `password` or `sslpassword`
//    (`password=VALUE`, `password = 'quoted \' value'`), the keyword at the start or after a
//    space or an `=` (`--db=password=...`).
// An empty password is left empty. Text with none is returned unchanged.
std::string redact_passwords(std::string_view argument);

// Each argument through redact_passwords(): the command line as a run record keeps it.
std::vector<std::string> redact_passwords(const std::vector<std::string>& argv);

}  // namespace tpb::cli
