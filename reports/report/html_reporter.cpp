// HTML: one self-contained page from the one template (reports/templates/report.html). The
// reporter builds the rankings, the inversion verdicts and the environment panel as tables, has
// gnuplot draw each chart to SVG (charts.hpp, gnuplot.hpp) and inlines it; a chart gnuplot could
// not draw becomes a line saying why, and the rest of the page is still written. Every piece of
// text from the record is escaped.
#include <fmt/format.h>

#include <tpb/record.hpp>
#include <tpb/report.hpp>

#include "charts.hpp"
#include "gnuplot.hpp"
#include "markup.hpp"
#include "report_template.hpp"
#include "report_text.hpp"
#include "reporters.hpp"
#include "results.hpp"

namespace tpb::report {
namespace {

std::string escaped(std::string_view text) {
  return xml_escape(text);
}

std::string ratio(std::optional<double> r) {
  return r ? fmt::format("{:.2f}", *r) : std::string("-");
}

std::string rankings_html(const std::vector<CaseRanking>& rankings) {
  std::string out;
  for (const CaseRanking& c : rankings) {
    out += fmt::format(
        "<div><h3>{}/{}</h3>\n<table><thead><tr><th class=\"num\">#</th><th>backend</th>"
        "<th class=\"num\">median</th><th class=\"num\">vs best</th><th class=\"num\">vs_ref</th>"
        "</tr></thead><tbody>\n",
        escaped(c.suite), escaped(c.kase));
    int rank = 0;
    for (const RankingRow& row : c.rows)
      out += fmt::format(
          "<tr{}><td class=\"num\">{}</td><td class=\"name\">{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{:.2f}</td><td class=\"num\">{}</td></tr>\n",
          rank == 0 ? " class=\"best\"" : "", rank + 1, escaped(row.backend),
          format_ns(row.median_ns), row.vs_best, ratio(row.vs_ref)),
          ++rank;
    out += "</tbody></table></div>\n";
  }
  return out;
}

// A long explanation folds away behind its first words, so the verdict table stays scannable.
std::string detail_html(const std::string& detail) {
  constexpr std::size_t kShown = 48;
  if (detail.size() <= kShown) return escaped(detail);
  std::size_t cut = detail.rfind(' ', kShown);
  if (cut == std::string::npos || cut < kShown / 2) cut = kShown;
  return fmt::format("<details><summary>{}&hellip;</summary>{}</details>",
                     escaped(detail.substr(0, cut)), escaped(detail));
}

std::string inversion_html(const std::vector<InversionRow>& rows) {
  if (rows.empty()) return "<p class=\"detail\">The inversion suite did not run.</p>\n";
  std::string out =
      "<p class=\"detail\">Per protocol, the lines meeting the verdict it is expected to "
      "produce first (none: unbounded, the unprotected lock shows the inversion; inherit and "
      "ceiling: bounded), then the misses, then the lines whose threads did not run at their host "
      "priorities (their verdict shows the backend, not the protocol), then by high's wait. "
      "Bounded: high waited about the critical section C at most; unbounded: about the medium "
      "spin S. vs_ref is that wait over the raw-pthread reference's with the same protocol.</p>\n"
      "<table><thead><tr><th>protocol</th><th>backend</th><th>placement</th>"
      "<th>verdict</th><th>standing</th><th class=\"num\">high waits (p50)</th>"
      "<th class=\"num\">vs_ref</th>"
      "<th class=\"num\">C</th><th class=\"num\">S</th><th>priorities "
      "applied</th><th>detail</th></tr></thead><tbody>\n";
  for (const InversionRow& r : rows) {
    // Coloured by standing, not by verdict: unbounded is what `none` should show.
    const std::string standing = to_string(r.standing);
    out += fmt::format(
        "<tr><td>{}</td><td class=\"name\">{}</td><td>{}</td><td class=\"verdict {}\">{}</td>"
        "<td class=\"standing {}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td>{}</td><td class=\"detail\">{}</td></tr>\n",
        escaped(r.protocol), escaped(r.backend), escaped(r.placement), standing,
        to_string(r.verdict), standing, escaped(standing_text(r)),
        r.high_wait_ns ? format_ns(*r.high_wait_ns) : "-", ratio(r.vs_ref),
        r.critical_section_ns ? format_ns(*r.critical_section_ns) : "-",
        r.medium_spin_ns ? format_ns(*r.medium_spin_ns) : "-", r.priority_applied ? "yes" : "no",
        detail_html(r.detail));
  }
  return out + "</tbody></table>\n";
}

std::string figure_html(Gnuplot& gnuplot, const Chart& chart, const std::string& css_class) {
  const PlotResult result = gnuplot.plot(chart.job);
  // gnuplot's SVG carries the title; without it the title heads the note saying why.
  std::string body = result.svg
                         ? *result.svg
                         : fmt::format("<h3>{}</h3>\n<p class=\"missing\">Chart not drawn: {}.</p>",
                                       escaped(chart.title), escaped(result.problem));
  return fmt::format(
      "<figure class=\"chart {}\" id=\"{}\" data-title=\"{}\">\n{}\n"
      "<figcaption>{}</figcaption>\n</figure>\n",
      css_class, chart.job.id, escaped(chart.title), body, escaped(chart.caption));
}

std::string charts_html(const RunRecord& record, const std::vector<Result>& results,
                        const std::vector<CaseRanking>& rankings,
                        const std::vector<InversionRow>& inversion,
                        const ReportSettings& settings) {
  Gnuplot gnuplot(settings.gnuplot, settings.gnuplot_timeout);
  const BackendColours colours = backend_colours(results);
  std::string out;
  for (const CaseRanking& c : rankings)
    if (c.suite == "creation" && !c.rows.empty())
      out += figure_html(gnuplot, creation_chart(c, "chart-creation-" + c.kase), "creation");
  if (auto chart = ctxswitch_chart(results, colours, "chart-ctxswitch"))
    out += figure_html(gnuplot, *chart, "ctxswitch");
  if (record.tpbench.c2c && !record.tpbench.c2c->cpus.empty())
    out += figure_html(gnuplot, c2c_chart(*record.tpbench.c2c, "chart-c2c"), "heatmap");
  if (auto chart = inversion_chart(inversion, "chart-inversion"))
    out += figure_html(gnuplot, *chart, "inversion");
  if (out.empty()) out = "<p class=\"detail\">No suite with a chart ran.</p>\n";
  return out;
}

std::string row(std::string_view name, const std::string& value_html) {
  return fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escaped(name), value_html);
}

std::string environment_html(const RunRecord& record) {
  const auto& t = record.tpbench;
  std::string machine = "<table>\n";
  machine += row("host", escaped(record.context.host_name));
  if (t.cpu_model) machine += row("CPU", escaped(*t.cpu_model));
  machine +=
      row("topology", escaped(t.topology.summary) + (t.topology.smt ? ", SMT on" : ", no SMT"));
  if (t.kernel)
    machine +=
        row("kernel", escaped(fmt::format("{} {} {} ({})", t.kernel->sysname, t.kernel->release,
                                          t.kernel->version, t.kernel->machine)));
  const auto& v = t.virtualisation;
  machine +=
      row("virtualisation",
          escaped(v.virtualised ? fmt::format("yes: {}{}{} (detected by {})", v.vm.value_or("vm"),
                                              v.container ? ", container " : "",
                                              v.container.value_or(""), v.method)
                  : v.container ? "container " + *v.container
                                : "none detected (" + v.method + ")"));
  machine += row("RT permission",
                 escaped(fmt::format("{}: {}", t.rt.permitted ? "SCHED_FIFO permitted" : "no RT",
                                     t.rt.detail)));
  if (t.scheduler.sched_rt_runtime_us && t.scheduler.sched_rt_period_us)
    machine += row("RT throttling",
                   escaped(fmt::format("{} of every {} us", *t.scheduler.sched_rt_runtime_us,
                                       *t.scheduler.sched_rt_period_us)));
  machine +=
      row("run", escaped(fmt::format("{} repetitions, at least {} s each{}; {:.1f} s wall",
                                     t.options.repetitions, t.options.min_time_s,
                                     t.options.quick ? ", quick" : "", t.wall_seconds.total)));
  machine += row("command", "<code>" + escaped([&] {
                              std::string s;
                              for (const auto& a : t.command_line) s += (s.empty() ? "" : " ") + a;
                              return s;
                            }()) +
                                "</code>");
  machine += "</table>\n";

  std::string placements =
      "<table><thead><tr><th>placement</th><th>CPUs or why skipped</th>"
      "</tr></thead><tbody>\n";
  for (const auto& p : t.topology.placements) {
    std::string what;
    if (p.available && p.cpus) {
      for (int cpu : *p.cpus) what += (what.empty() ? "" : " and ") + std::to_string(cpu);
    } else {
      what = "skipped: " + p.skipped_reason.value_or("unavailable");
    }
    placements +=
        fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", escaped(p.placement), escaped(what));
  }
  placements += "</tbody></table>\n";
  std::string skipped;
  for (const auto& s : t.skipped)
    skipped += fmt::format("<li><code>{}</code>: {}</li>\n", escaped(s.what), escaped(s.reason));
  if (!skipped.empty()) skipped = "<h3>Skipped</h3><ul class=\"detail\">\n" + skipped + "</ul>\n";

  std::string prio = "<div class=\"prio\">\n";
  for (const auto& m : t.priority_map)
    prio += fmt::format("<span>{:>2} &rarr; {}</span>\n", m.kpriority, escaped(m.host));
  prio += "</div>\n";

  std::string doctor =
      "<table><thead><tr><th>check</th><th>severity</th><th>observed</th>"
      "<th>fix</th></tr></thead><tbody>\n";
  for (const auto& f : t.doctor)
    doctor += fmt::format(
        "<tr><td>{}</td><td class=\"sev-{}\">{}</td><td>{}</td><td class=\"detail\">{}</td></tr>\n",
        escaped(f.check), escaped(f.severity), escaped(f.severity), escaped(f.observed),
        escaped(f.fix.value_or("")));
  doctor += "</tbody></table>\n";

  std::string backends =
      "<table><thead><tr><th>backend</th><th>summary</th><th>priority</th>"
      "<th>affinity</th></tr></thead><tbody>\n";
  for (const auto& b : t.backends)
    backends += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                            escaped(b.name), escaped(b.summary), escaped(b.capabilities.priority),
                            b.capabilities.affinity ? "yes" : "no");
  backends += "</tbody></table>\n";

  return "<div class=\"grid\">\n<div><h3>Machine and run</h3>\n" + machine +
         "</div>\n<div><h3>Placements</h3>\n" + placements + skipped +
         "</div>\n</div>\n<h3>Doctor's findings at the start of the run</h3>\n" + doctor +
         "<h3>Backends</h3>\n" + backends +
         "<h3>Priority map: KPRIORITY &rarr; host scheduling</h3>\n" + prio;
}

std::string fill(std::string_view page, const std::map<std::string, std::string>& slots) {
  std::string out;
  out.reserve(page.size() * 4);
  std::size_t i = 0;
  while (i < page.size()) {
    const std::size_t open = page.find("{{", i);
    if (open == std::string_view::npos) {
      out += page.substr(i);
      break;
    }
    const std::size_t close = page.find("}}", open);
    if (close == std::string_view::npos) throw std::runtime_error("HTML template: unclosed {{");
    out += page.substr(i, open - i);
    const std::string name(page.substr(open + 2, close - open - 2));
    const auto slot = slots.find(name);
    if (slot == slots.end()) throw std::runtime_error("HTML template: unknown slot " + name);
    out += slot->second;
    i = close + 2;
  }
  return out;
}

class HtmlReporter : public Reporter {
 public:
  std::string render(const RunRecord& record, const ReportSettings& settings) const override {
    const std::vector<Result> results = collect_results(record);
    const std::vector<CaseRanking> rankings = rank_cases(results);
    const std::vector<InversionRow> inversion = inversion_rows(results);
    std::string warnings;
    for (const auto& w : warning_lines(record, results))
      warnings += "<li>" + escaped(w) + "</li>\n";
    if (!warnings.empty())
      warnings =
          "<div class=\"warnings\"><strong>Warnings</strong><ul>\n" + warnings + "</ul></div>";
    const std::string title =
        "tpbench report" + (settings.source.empty() ? "" : ": " + settings.source);
    return fill(html_template(),
                {{"title", escaped(title)},
                 {"version", escaped(record.tpbench.version)},
                 {"source", escaped(settings.source.empty() ? "a run record" : settings.source)},
                 {"run_line", escaped(run_line(record))},
                 {"machine_line", escaped(machine_line(record))},
                 {"warnings", warnings},
                 {"rankings", rankings_html(rankings)},
                 {"inversion", inversion_html(inversion)},
                 {"charts", charts_html(record, results, rankings, inversion, settings)},
                 {"environment", environment_html(record)}});
  }
};

}  // namespace

std::unique_ptr<Reporter> make_html_reporter() {
  return std::make_unique<HtmlReporter>();
}

}  // namespace tpb::report
