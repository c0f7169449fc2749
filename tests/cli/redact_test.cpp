// A run record's command line never holds a PostgreSQL password: redact_passwords() replaces the
// password of a postgresql:// or postgres:// URI, of its password/sslpassword query parameter and
// of a key/value connection string's password keyword with ***, and keeps every other byte.
#include <gtest/gtest.h>

#include "redact.hpp"

namespace tpb::cli {
namespace {

// The user info's password, in both schemes, alone or after an option's '='.
TEST(Redact, UriUserInfoPassword) {
  EXPECT_EQ(redact_passwords("postgresql://user:secret@host/db"), "postgresql://user:***@host/db");
  EXPECT_EQ(redact_passwords("postgres://user:secret@host:5432/db?sslmode=require"),
            "postgres://user:***@host:5432/db?sslmode=require");
  EXPECT_EQ(redact_passwords("--db=postgresql://u:secret@/db?host=/nonexistent"),
            "--db=postgresql://u:***@/db?host=/nonexistent");
  EXPECT_EQ(redact_passwords("postgresql://u:s%40cr3t@[::1]:5432/db"),
            "postgresql://u:***@[::1]:5432/db");
}

// A password holding an unescaped '@' or '?' is masked whole.
TEST(Redact, UriPasswordWithSeparators) {
  EXPECT_EQ(redact_passwords("postgresql://u:p@ss@host/db"), "postgresql://u:***@host/db");
  EXPECT_EQ(redact_passwords("postgresql://u:pa?ss@host/db"), "postgresql://u:***@host/db");
}

// password= and sslpassword= in the query, wherever they stand; other parameters are kept.
TEST(Redact, UriQueryPassword) {
  EXPECT_EQ(redact_passwords("postgresql:///db?host=/run/pg&password=secret&port=5433"),
            "postgresql:///db?host=/run/pg&password=***&port=5433");
  EXPECT_EQ(redact_passwords("postgresql://u@h/db?password=secret"),
            "postgresql://u@h/db?password=***");
  EXPECT_EQ(redact_passwords("postgresql://u@h/db?sslpassword=k&passfile=/p"),
            "postgresql://u@h/db?sslpassword=***&passfile=/p");
}

// Key/value connection strings: plain and quoted values, spaces around '=', after an option's '='.
TEST(Redact, KeyValuePassword) {
  EXPECT_EQ(redact_passwords("host=h password=secret dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(redact_passwords("password = 'sec \\' ret' user=u"), "password = *** user=u");
  EXPECT_EQ(redact_passwords("--db=password=secret"), "--db=password=***");
  EXPECT_EQ(redact_passwords("sslpassword=k host=h"), "sslpassword=*** host=h");
}

// Nothing to hide: returned byte for byte, including look-alikes that are not passwords.
TEST(Redact, EverythingElseUnchanged) {
  for (const std::string text :
       {"", "tpbench", "--db", "history.sqlite", "postgresql://user@host:5432/db",
        "postgresql://host/db?passfile=/home/u/.pgpass", "postgresql://u:@host/db",
        "--filter=creation/start_latency", "mypassword=x", "host=h passwords=x", "password",
        "postgresql://"})
    EXPECT_EQ(redact_passwords(text), text);
}

// A whole command line: each argument on its own, the order and count kept.
TEST(Redact, CommandLine) {
  const std::vector<std::string> argv = {"tpbench", "run", "--db", "postgresql://u:secret@h/db",
                                         "--quick"};
  const std::vector<std::string> expected = {"tpbench", "run", "--db", "postgresql://u:***@h/db",
                                             "--quick"};
  EXPECT_EQ(redact_passwords(argv), expected);
}

}  // namespace
}  // namespace tpb::cli
