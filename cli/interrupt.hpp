// Ctrl-C, SIGINT and SIGTERM during a run: the first sets bench::stop_requested() (the running
// benchmark finishes or abandons its measurement, later ones end at once, the bench library
// restores priorities) so the run can still write what it measured; the second exits at once
// with 130.
#pragma once

namespace tpb::cli {

// Installs the handlers for SIGINT and SIGTERM. Call once, before benchmarks run.
void install_interrupt_handlers();

// True once a signal arrived.
bool interrupted();

}  // namespace tpb::cli
