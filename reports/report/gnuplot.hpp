// Drawing charts with gnuplot (Debian's gnuplot-nox) as inline SVG. tpbench does not draw: it
// writes a chart's data and gnuplot script into a private directory (mkdtemp, mode 0700), runs
// the gnuplot program directly (posix_spawn, no shell; its only argument is the script's fixed
// name, never anything from the user), waits a bounded time, and returns the SVG ready to inline
// in an HTML page: the XML prologue dropped and every id prefixed so several charts can share a
// page. When gnuplot is missing, fails or overruns, the result says so in one line instead.
//
// Thread-safety: one Gnuplot per thread; it owns its directory and removes it when destroyed.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tpb::report {

struct PlotData {
  std::string file_name;  // as the script names it, e.g. "creation.dat"
  std::string text;
};

struct PlotJob {
  std::string id;      // unique in the page; prefixes the SVG's ids
  std::string script;  // writes 'chart.svg' in the working directory
  std::vector<PlotData> data;
};

struct PlotResult {
  std::optional<std::string> svg;  // the <svg> element, or nullopt
  std::string problem;             // why there is no SVG, one line
};

class Gnuplot {
 public:
  // `program`: a path, or a name looked up in PATH (e.g. "gnuplot"). `timeout`: per chart.
  Gnuplot(const std::filesystem::path& program, std::chrono::milliseconds timeout);
  ~Gnuplot();
  Gnuplot(const Gnuplot&) = delete;
  Gnuplot& operator=(const Gnuplot&) = delete;

  // Empty when gnuplot can be run, else why not (one line).
  const std::string& unavailable() const { return unavailable_; }

  PlotResult plot(const PlotJob& job);

 private:
  std::filesystem::path program_;
  std::chrono::milliseconds timeout_;
  std::filesystem::path directory_;  // empty until the first plot
  std::string unavailable_;
  int jobs_ = 0;
};

// Strips what comes before <svg and prefixes the ids (id="x", href="#x", url(#x)) with `id`-.
std::string inline_svg(const std::string& svg_file_text, const std::string& id);

}  // namespace tpb::report
