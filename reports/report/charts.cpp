#include "charts.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace tpb::report {
namespace {

// Okabe & Ito (2008), without yellow (too pale on white) and with black last.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                    "#CC79A7", "#56B4E9", "#000000", "#999999"};
constexpr std::size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

// A gnuplot single-quoted string: only the quote itself needs doubling.
std::string quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "'";
}

// Data fields are tab-separated; strings are double-quoted (gnuplot's data-file quoting).
std::string field(std::string_view text) {
  std::string out = "\"";
  for (char c : text) out += (c == '"' || c == '\t' || c == '\n') ? ' ' : c;  // NOLINT
  return out + "\"";
}

std::string num(std::optional<double> v) {
  return v && std::isfinite(*v) ? fmt::format("{:.6g}", *v) : std::string("NaN");
}

std::string preamble(int width, int height) {
  return fmt::format(
      "set terminal svg size {},{} dynamic noenhanced font 'sans,12' background '#ffffff'\n"
      "set output 'chart.svg'\n"
      "set encoding utf8\n"
      "set datafile separator '\\t'\n"
      "set datafile missing 'NaN'\n"
      "set border 3 lc rgb '#555555'\n"
      "set tics nomirror\n"
      "set grid ytics lc rgb '#e0e0e0' lw 1\n"
      "set key outside right top vertical Left reverse samplen 2 spacing 1.2 box lc rgb "
      "'#cccccc'\n",
      width, height);
}

// Latencies are written in microseconds: the axis then reads 1, 10, 100 instead of 1e+06.
constexpr double kNsPerUs = 1e3;
std::string us(std::optional<double> ns) {
  return num(ns ? std::optional<double>(*ns / kNsPerUs) : std::nullopt);
}
constexpr double kNsPerMs = 1e6;
std::string ms(std::optional<double> ns) {
  return num(ns ? std::optional<double>(*ns / kNsPerMs) : std::nullopt);
}

}  // namespace

BackendColours backend_colours(const std::vector<Result>& results) {
  std::set<std::string> names;
  for (const Result& r : results) names.insert(r.backend);
  BackendColours colours;
  std::size_t i = 0;
  for (const auto& name : names) {
    // The reference is the yardstick: always black.
    colours[name] =
        name.rfind("reference", 0) == 0 ? "#000000" : kPalette[i++ % (kPaletteSize - 2)];
  }
  return colours;
}

Chart creation_chart(const CaseRanking& ranking, const std::string& id) {
  Chart chart;
  chart.title = fmt::format("Creation latency: {}/{}", ranking.suite, ranking.kase);
  std::string data;
  std::optional<double> reference;
  double low = INFINITY, high = 0;
  int x = 0;
  for (const RankingRow& row : ranking.rows) {
    if (row.backend == "reference") reference = row.median_ns;
    const std::string vs_ref = row.vs_ref ? fmt::format("vs_ref {:.2f}", *row.vs_ref) : "";
    data += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\n", x++, field(row.backend), us(row.median_ns),
                        us(row.p90_ns), us(row.p99_ns), us(row.max_ns), field(vs_ref));
    low = std::min(low, row.median_ns);
    high = std::max({high, row.median_ns, row.max_ns.value_or(0)});
  }
  const int n = std::max(x, 1);
  std::string script = preamble(1000, 440);
  script += fmt::format(
      "set title {}\n"
      "set xlabel 'backend (fastest p50 first)'\n"
      "set ylabel 'time per operation (us, log scale)'\n"
      "set logscale y\n"
      "set format y '%g'\n"
      "set xrange [-0.6:{}]\n"
      "set yrange [{}:{}]\n"
      "set xtics norotate\n",
      quote(chart.title), n - 0.4, us(low / 2), us(high * 6));
  std::string plot =
      "plot 'creation.dat' using 1:3:3:6 with yerrorbars lc rgb '#bbbbbb' lw 2 pt 0 notitle, "
      "'' using 1:3:xtic(2) with points pt 7 ps 1.6 lc rgb '#0072B2' title 'p50', "
      "'' using 1:4 with points pt 9 ps 1.3 lc rgb '#009E73' title 'p90', "
      "'' using 1:5 with points pt 5 ps 1.1 lc rgb '#E69F00' title 'p99', "
      "'' using 1:6 with points pt 2 ps 1.1 lc rgb '#D55E00' title 'max', "
      "'' using 1:6:7 with labels offset 0,1.2 font ',10' tc rgb '#333333' notitle";
  if (reference)
    plot += fmt::format(", {} with lines dt 2 lw 1.5 lc rgb '#000000' title 'reference p50 ({})'",
                        us(reference), format_ns(*reference));
  script += plot + "\n";
  chart.caption =
      "Per backend: p50 (filled circle), p90, p99 and max of the time from the creating call to "
      "the measured point, geometric mean over the scenarios every backend ran; the dashed line "
      "is the raw OS reference's p50, and vs_ref the ratio of each backend's p50 to it.";
  if (ranking.rows.size() && ranking.rows.front().scenarios > 1)
    chart.caption += fmt::format(" {} scenarios per backend.", ranking.rows.front().scenarios);
  chart.job = {id, script, {{"creation.dat", data}}};
  return chart;
}

std::optional<Chart> ctxswitch_chart(const std::vector<Result>& results,
                                     const BackendColours& colours, const std::string& id) {
  std::vector<std::string> groups, backends;
  std::map<std::pair<std::string, std::string>, const Result*> cell;
  for (const Result& r : results) {
    if (r.name.suite != "ctxswitch" || !r.value_ns) continue;
    const std::string group = r.name.value("mechanism") + "\\n" + r.name.value("placement");
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
    if (std::find(backends.begin(), backends.end(), r.backend) == backends.end())
      backends.push_back(r.backend);
    cell[{group, r.backend}] = &r;
  }
  if (groups.empty()) return std::nullopt;
  // Column 1 the group, then per backend: one-way p50, context switches/op, migrations/op.
  std::string data;
  for (const auto& g : groups) {
    data += field(g);
    for (const auto& b : backends) {
      const auto it = cell.find({g, b});
      const Result* r = it == cell.end() ? nullptr : it->second;
      data += "\t" + num(r ? r->value_ns : std::nullopt) + "\t" +
              num(r ? r->counter("ctx_switches_per_op") : std::nullopt) + "\t" +
              num(r ? r->counter("migrations_per_op") : std::nullopt);
    }
    data += "\n";
  }
  Chart chart;
  chart.title = "Context switch: one-way latency per mechanism and placement";
  const int width = std::max(1000, static_cast<int>(groups.size() * backends.size()) * 16 + 300);
  std::string script = preamble(width, 820);
  script +=
      "set style data histogram\nset style histogram clustered gap 1\n"
      "set style fill solid 0.9 border -1\nset boxwidth 0.9\n"
      "set multiplot title " +
      quote(chart.title) +
      " font ',13'\n"
      // The panels share their x positions: fixed side margins, the key in the right one.
      "set lmargin at screen 0.09\nset rmargin at screen 0.80\n" +
      fmt::format("set xrange [-0.6:{}]\n", static_cast<double>(groups.size()) - 0.4);
  auto panel = [&](int offset, const std::string& title, const std::string& ylabel,
                   const std::string& margins, bool with_xlabel, bool with_key) {
    std::string p = "set title " + quote(title) + "\nset ylabel " + quote(ylabel) + "\n" + margins;
    p += with_xlabel ? "set xlabel 'mechanism and placement'\n" : "unset xlabel\n";
    p += with_key ? "set key outside right top vertical\n" : "unset key\n";
    p += "set yrange [0:*]\nset xtics scale 0\nplot ";
    for (std::size_t i = 0; i < backends.size(); ++i) {
      const std::size_t column = 2 + 3 * i + static_cast<std::size_t>(offset);
      p += fmt::format("{}'ctxswitch.dat' using {}{} title {} lc rgb '{}'", i ? ", " : "", column,
                       i == 0 ? ":xtic(1)" : "", quote(backends[i]),
                       colours.count(backends[i]) ? colours.at(backends[i]) : "#777777");
    }
    return p + "\n";
  };
  script += panel(0, "one-way latency (p50)", "time per switch (ns)",
                  "set size 1,0.47\nset origin 0,0.48\nset bmargin 4\n", false, true);
  script += panel(1, "context switches per operation", "switches per op",
                  "set size 1,0.23\nset origin 0,0.25\nset bmargin 3\n", false, false);
  script += panel(2, "CPU migrations per operation", "migrations per op",
                  "set size 1,0.25\nset origin 0,0\nset bmargin 5\n", true, false);
  script += "unset multiplot\n";
  chart.caption =
      "Bars per backend: the one-way wake-up latency (p50 of half a round trip) for each wake "
      "mechanism and thread placement; below, the context switches and CPU migrations each "
      "operation caused (perf software events).";
  chart.job = {id, script, {{"ctxswitch.dat", data}}};
  return chart;
}

Chart c2c_chart(const C2cMatrix& matrix, const std::string& id) {
  const std::size_t n = matrix.cpus.size();
  std::string data, labels;
  double low = INFINITY, high = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      std::optional<double> v;
      if (i != j && i < matrix.matrix_ns.size() && j < matrix.matrix_ns[i].size())
        v = matrix.matrix_ns[i][j];
      if (v && std::isfinite(*v)) {
        low = std::min(low, *v);
        high = std::max(high, *v);
        if (n <= 16) labels += fmt::format("{}\t{}\t\"{:.0f}\"\n", j, i, *v);
      }
      data += (j ? "\t" : "") + num(v);
    }
    data += "\n";
  }
  if (labels.empty()) labels = "NaN\tNaN\t\"\"\n";
  // One label every `step` CPUs keeps ~16 labels per axis at most.
  const std::size_t step = n <= 16 ? 1 : (n + 15) / 16;
  std::string tics;
  for (std::size_t i = 0; i < n; i += step)
    tics += fmt::format("{}'{}' {}", tics.empty() ? "" : ", ", matrix.cpus[i], i);
  Chart chart;
  chart.title = fmt::format("Core-to-core latency: {} CPUs", n);
  std::string script = preamble(640, 600);
  script += fmt::format(
      "set title {}\n"
      "set xlabel 'CPU (responder)'\nset ylabel 'CPU (initiator)'\n"
      "set cblabel 'one-way latency (ns)'\n"
      "set size ratio -1\nunset grid\nset border 15\n"
      "set xrange [-0.5:{}]\nset yrange [{}:-0.5]\n"
      "set xtics ({}) out\nset ytics ({}) out\n"
      "set cbrange [{}:{}]\n"
      "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n"
      "set colorbox vertical\nunset key\n"
      "plot 'c2c.dat' matrix with image notitle, "
      "'labels.dat' using 1:2:3 with labels font ',{}' tc rgb '#ffffff' notitle\n",
      quote(chart.title), static_cast<double>(n) - 0.5, static_cast<double>(n) - 0.5, tics, tics,
      std::isfinite(low) ? num(low == high ? low * 0.9 : low) : "0",
      std::isfinite(low) ? num(low == high ? high * 1.1 + 1 : high) : "1", n <= 4 ? 14 : 9);
  chart.caption = fmt::format(
      "Median one-way latency of a cache line bouncing between two CPUs, for every pair "
      "measured; the diagonal and unmeasured pairs are blank. Range {} to {}.",
      std::isfinite(low) ? format_ns(low) : "-", std::isfinite(low) ? format_ns(high) : "-");
  chart.job = {id, script, {{"c2c.dat", data}, {"labels.dat", labels}}};
  return chart;
}

std::optional<Chart> inversion_chart(const std::vector<InversionRow>& rows, const std::string& id) {
  if (rows.empty()) return std::nullopt;
  std::vector<std::string> backends, protocols;
  for (const auto& r : rows) {
    if (std::find(backends.begin(), backends.end(), r.backend) == backends.end())
      backends.push_back(r.backend);
    if (std::find(protocols.begin(), protocols.end(), r.protocol) == protocols.end())
      protocols.push_back(r.protocol);
  }
  std::optional<double> c, s;
  double low = INFINITY, high = 0;
  for (const auto& r : rows) {
    if (r.critical_section_ns) c = r.critical_section_ns;
    if (r.medium_spin_ns) s = r.medium_spin_ns;
    if (r.high_wait_ns && *r.high_wait_ns > 0) {
      low = std::min(low, *r.high_wait_ns);
      high = std::max(high, *r.high_wait_ns);
    }
  }
  if (c) low = std::min(low, *c), high = std::max(high, *c);
  if (s) low = std::min(low, *s), high = std::max(high, *s);
  if (!std::isfinite(low)) low = 1e3, high = 1e7;
  const double floor = low / 4;
  const double width = 0.8 / static_cast<double>(protocols.size());
  // x, wait, verdict text, protocol index
  std::string data;
  for (const auto& r : rows) {
    const auto b = std::find(backends.begin(), backends.end(), r.backend) - backends.begin();
    const auto p = std::find(protocols.begin(), protocols.end(), r.protocol) - protocols.begin();
    const double x =
        static_cast<double>(b) +
        (static_cast<double>(p) - (static_cast<double>(protocols.size()) - 1) / 2) * width;
    const std::optional<double> wait = r.verdict == Verdict::failed ? std::nullopt : r.high_wait_ns;
    data += fmt::format("{:.4f}\t{}\t{}\t{}\t{}\n", x, ms(wait), field(to_string(r.verdict)), p,
                        ms(wait ? *wait : floor * 1.3));
  }
  std::string xtics;
  for (std::size_t i = 0; i < backends.size(); ++i)
    xtics += fmt::format("{}{} {}", i ? ", " : "", quote(backends[i]), i);
  Chart chart;
  chart.title = "Priority inversion: how long the high-priority thread waits";
  std::string script = preamble(std::max(720, static_cast<int>(backends.size()) * 150 + 220), 460);
  script += fmt::format(
      "set title {}\n"
      "set xlabel 'backend'\nset ylabel 'high waits, p50 ({})'\n"
      "set logscale y\nset format y '%g'\nset yrange [{}:{}]\nset xrange [-0.6:{}]\n"
      "set xtics ({})\n"
      "set style fill solid 0.85 border -1\nset boxwidth {:.4f}\n"
      "set key top left horizontal\n",
      quote(chart.title), "ms, log scale", ms(floor), ms(high * 60),
      static_cast<double>(backends.size()) - 0.4, xtics, width * 0.9);
  std::string plot = "plot ";
  for (std::size_t p = 0; p < protocols.size(); ++p)
    plot +=
        fmt::format("'inversion.dat' using ($4=={} ? $1 : NaN):2 with boxes lc rgb '{}' title {}, ",
                    p, kPalette[p % kPaletteSize], quote("protocol " + protocols[p]));
  plot += "'' using 1:5:3 with labels rotate by 90 left offset 0,0.6 font ',10' notitle";
  if (c)
    plot +=
        fmt::format(", {} with lines dt 2 lw 1.5 lc rgb '#000000' title 'C, critical section ({})'",
                    ms(c), format_ns(*c));
  if (s)
    plot += fmt::format(", {} with lines dt 4 lw 1.5 lc rgb '#666666' title 'S, medium spin ({})'",
                        ms(s), format_ns(*s));
  script += plot + "\n";
  chart.caption =
      "Low holds a lock for C while medium spins for S above low; high waits for the lock. "
      "Bounded: high waits about C at most (the protocol works); unbounded: about S (medium "
      "starved low); failed: no measurement (the reason is in the table below).";
  chart.job = {id, script, {{"inversion.dat", data}}};
  return chart;
}

}  // namespace tpb::report
