// The `tpbench history` subcommands that act on whole stores rather than series:
//   history migrate [--db FILE|URI]                 create or migrate the schema
//   history export --db FILE|URI --to FILE|URI ...  copy runs between stores
// run_history dispatches to them by their first word; each is handed the invocation with that word
// still first. Errors: UsageError (exit 2) naming the store and the cause.
#pragma once

#include "command.hpp"

namespace tpb::cli {

int run_history_migrate(const Invocation& invocation);
int run_history_export(const Invocation& invocation);

}  // namespace tpb::cli
