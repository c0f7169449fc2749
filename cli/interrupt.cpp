#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include <tpb/bench.hpp>

namespace tpb::cli {
namespace {

// Resolved before any handler runs: a handler must not trigger the function-local static's
// initialisation inside bench::stop_requested().
std::atomic<bool>* g_stop = nullptr;
volatile std::sig_atomic_t g_signals = 0;

void write_message(const char* text, std::size_t size) {
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, text, size);
}

extern "C" void on_signal(int) {
  g_signals = g_signals + 1;
  if (g_signals > 1) {
    static const char kNow[] = "\ntpbench: interrupted again; exiting now\n";
    write_message(kNow, sizeof(kNow) - 1);
    ::_exit(130);
  }
  if (g_stop) g_stop->store(true);
  static const char kFirst[] =
      "\ntpbench: interrupted; stopping after the current measurement and writing a partial "
      "record (interrupt again to exit at once)\n";
  write_message(kFirst, sizeof(kFirst) - 1);
}

}  // namespace

void install_interrupt_handlers() {
  static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");
  g_stop = &bench::stop_requested();
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() {
  return g_signals > 0;
}

}  // namespace tpb::cli
