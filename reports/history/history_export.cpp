// Copying runs between history stores (`tpbench history export`): through the interface only, so
// any store exports to any other, and each run through append_run, so the copy keeps its run id
// and a run the target holds already is left as it is.
#include <tpb/history.hpp>

#include <fmt/format.h>

namespace tpb::history {

ExportCounts export_runs(HistoryStore& from, HistoryStore& to, const RunFilter& filter) {
  ExportCounts counts;
  for (const auto& info : from.list_runs(filter)) {
    auto run = from.read_run(info.run_id);
    if (!run)
      throw HistoryError(
          fmt::format("{}: run {} listed but not readable", from.location(), info.run_id));
    if (to.append_run(*run))
      ++counts.copied;
    else
      ++counts.already_there;
  }
  return counts;
}

}  // namespace tpb::history
