// One writer of the history concurrency tests, run as its own process: opens the store `--db`
// names, waits until the file GO exists (so that every writer appends at once), then appends RUNS
// runs of its own (ids w<WRITER>-<i>) and, between them, the runs every writer uploads (ids
// shared-<i>, the same content from everyone: a retried upload). Machines and benchmark names are
// shared between writers and listed in a different order by each, to provoke lock-order races.
// Prints "appended A stored S seconds T": appends made, how many stored a run, and the time spent
// in append_run. Exits 0, or 2 with the error on one line.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <tpb/history.hpp>

#include "history_concurrency_runs.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: history_append_worker DB GO_FILE WRITER RUNS\n");
    return 2;
  }
  const std::string db = argv[1];
  const std::filesystem::path go = argv[2];
  const int writer = std::stoi(argv[3]);
  const int runs = std::stoi(argv[4]);
  try {
    auto store = tpb::history::open_history_store(db);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(go)) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "history_append_worker: %s never appeared\n", go.c_str());
        return 2;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    int appended = 0;
    int stored = 0;
    std::chrono::nanoseconds spent{0};
    const auto append = [&](const tpb::history::Run& run) {
      const auto start = std::chrono::steady_clock::now();
      stored += store->append_run(run) ? 1 : 0;
      spent += std::chrono::steady_clock::now() - start;
      ++appended;
    };
    for (int i = 0; i < runs; ++i) {
      append(tpb::test::concurrency_run("w" + std::to_string(writer) + "-" + std::to_string(i),
                                        writer, i));
      if (i < tpb::test::kSharedRuns)
        append(tpb::test::concurrency_run("shared-" + std::to_string(i), 0, i));
    }
    std::printf("appended %d stored %d seconds %.6f\n", appended, stored,
                std::chrono::duration<double>(spent).count());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "history_append_worker %d: %s\n", writer, e.what());
    return 2;
  }
}
