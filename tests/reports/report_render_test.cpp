// The reporters (reports/report/): a fixed run record from a 16-CPU, two-L3 machine
// (tests/data/reports/run_16cpu.json) renders to Markdown and CSV equal to the checked-in goldens,
// and to HTML with one inline SVG per chart, each titled and with labelled axes. Without gnuplot
// every chart's place says so and the rest is written. The heatmap stays readable at 16, 64 and 128
// CPUs. Text from a record can never become markup. Set TPB_UPDATE_GOLDEN=1 to rewrite goldens.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include <tpb/record.hpp>
#include <tpb/report.hpp>

#include "benchmark_name.hpp"
#include "charts.hpp"
#include "gnuplot.hpp"

namespace tpb::report {
namespace {

const std::filesystem::path kData = TPB_TEST_DATA_DIR "/reports";
const std::filesystem::path kOut = TPB_TEST_OUTPUT_DIR;

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string render(const std::string& format, const RunRecord& record,
                   ReportSettings settings = {}) {
  if (settings.source.empty()) settings.source = "run_16cpu.json";
  for (const auto& entry : reporters())
    if (entry.name == format) return entry.make()->render(record, settings);
  ADD_FAILURE() << "no reporter " << format;
  return {};
}

void expect_golden(const std::string& text, const std::string& golden_name) {
  const auto golden = kData / golden_name;
  if (const char* update = std::getenv("TPB_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    write_text_file(text, golden);
    GTEST_SKIP() << "rewrote " << golden;
  }
  const std::string expected = read(golden);
  ASSERT_FALSE(expected.empty()) << golden << " is missing";
  if (text != expected) {
    write_text_file(text, kOut / ("actual_" + golden_name));
    FAIL() << golden_name << " differs from the golden; actual output in "
           << (kOut / ("actual_" + golden_name));
  }
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The figures of an HTML report: from <figure class="chart ..."> to </figure>.
std::vector<std::string> figures(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t at = html.find("<figure class=\"chart"); at != std::string::npos;
       at = html.find("<figure class=\"chart", at + 1))
    out.push_back(html.substr(at, html.find("</figure>", at) - at));
  return out;
}

class ReportRender : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { record_ = new RunRecord(load_record(kData / "run_16cpu.json")); }
  static void TearDownTestSuite() { delete record_; }
  static RunRecord* record_;
};
RunRecord* ReportRender::record_ = nullptr;

// Markdown: ranking tables, inversion verdicts and warnings, equal to the golden.
TEST_F(ReportRender, MarkdownMatchesGolden) {
  const std::string md = render("md", *record_);
  EXPECT_NE(md.find("### creation/start_latency"), std::string::npos);
  EXPECT_NE(md.find("### Priority inversion"), std::string::npos);
  EXPECT_NE(md.find("### Warnings"), std::string::npos);
  expect_golden(md, "run_16cpu.md");
}

// Markdown for CI has no HTML inside.
TEST_F(ReportRender, MarkdownHasNoHtml) {
  const std::string md = render("md", *record_);
  EXPECT_FALSE(std::regex_search(md, std::regex(R"((^|[^\\])<[a-zA-Z/!])"))) << md;
}

// CSV: one row per benchmark entry plus the header, equal to the golden.
TEST_F(ReportRender, CsvMatchesGolden) {
  const std::string csv = render("csv", *record_);
  EXPECT_EQ(count(csv, "\r\n"), record_->benchmarks.size() + 1);
  expect_golden(csv, "run_16cpu.csv");
}

// CSV: every key:value segment of a name has its own column, every counter too.
TEST_F(ReportRender, CsvHasAColumnPerSegmentAndCounter) {
  const std::string csv = render("csv", *record_);
  const std::string header = csv.substr(0, csv.find("\r\n"));
  for (const char* column :
       {"suite", "case", "backend", "wake", "placement", "priority", "mechanism", "protocol", "ddi",
        "cpus", "flags", "p50_ns", "ctx_switches_per_op", "migrations_per_op", "high_wait_p50_ns"})
    EXPECT_NE(("," + header + ",").find(std::string(",") + column + ","), std::string::npos)
        << column << " missing from " << header;
  // Column names are unique: the name's iterations:5 segment does not shadow the iterations field.
  std::vector<std::string> names;
  std::stringstream columns(header);
  for (std::string name; std::getline(columns, name, ',');) names.push_back(name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_NE(header.find(",name_iterations,"), std::string::npos);
}

// CSV quoting follows RFC 4180: a field with a comma, quote or line break is quoted, quotes
// doubled.
TEST(ReportCsv, QuotesLikeRfc4180) {
  RunRecord record;
  BenchmarkEntry e;
  e.name = e.run_name = "suite/case/backend:a,b/manual_time";
  e.label = "say \"hi\"\nthere";
  e.counters["p50_ns"] = 12.5;
  record.benchmarks.push_back(e);
  const std::string csv = render("csv", record);
  EXPECT_NE(csv.find("\"suite/case/backend:a,b/manual_time\""), std::string::npos) << csv;
  EXPECT_NE(csv.find(",\"a,b\","), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"say \"\"hi\"\"\nthere\""), std::string::npos) << csv;
}

// Names split into suite, case, key:value segments in order, and bare flags.
TEST(ReportNames, SplitIntoSegments) {
  const BenchmarkName n = parse_benchmark_name(
      "creation/start_latency/backend:pool/wake:spin/placement:same_cpu/priority:8/manual_time");
  EXPECT_EQ(n.suite, "creation");
  EXPECT_EQ(n.kase, "start_latency");
  ASSERT_EQ(n.segments.size(), 4u);
  EXPECT_EQ(n.segments[1], std::make_pair(std::string("wake"), std::string("spin")));
  EXPECT_EQ(n.value("priority"), "8");
  EXPECT_EQ(n.flags, std::vector<std::string>{"manual_time"});
}

// HTML: one inline SVG per chart, each with its title and labelled axes, and nothing fetched.
TEST_F(ReportRender, HtmlHasOneSvgPerChartWithTitlesAndLabels) {
  const std::string html = render("html", *record_);
  write_text_file(html, kOut / "run_16cpu.html");
  const auto charts = figures(html);
  // creation: start_latency, round_trip, ddi; ctxswitch; c2c; inversion.
  ASSERT_EQ(charts.size(), 6u);
  for (const auto& figure : charts) {
    SCOPED_TRACE(figure.substr(0, 120));
    EXPECT_EQ(count(figure, "<svg"), 1u);
    EXPECT_EQ(count(figure, "</svg>"), 1u);
    // The title, in the figure and drawn in the SVG.
    const std::size_t title_at = figure.find("data-title=\"") + 12;
    const std::string title = figure.substr(title_at, figure.find('"', title_at) - title_at);
    EXPECT_FALSE(title.empty());
    EXPECT_NE(figure.find(">" + title + "</text>"), std::string::npos) << title;
    // gnuplot writes titles and axis labels as SVG text.
    EXPECT_GE(count(figure, "<text"), 5u);
    EXPECT_NE(figure.find("<figcaption>"), std::string::npos);
  }
  for (const char* label : {"time per operation (us, log scale)", "time per switch (ns)",
                            "switches per op", "migrations per op", "CPU (responder)",
                            "CPU (initiator)", "one-way latency (ns)", "high waits, p50"})
    EXPECT_NE(html.find(label), std::string::npos) << label;
  EXPECT_EQ(count(html, "<svg"), charts.size());
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)=["']?(https?:)?//)")));
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // ids stay unique when several gnuplot SVGs share the page.
  EXPECT_EQ(count(html, "id='chart-c2c-gpPt0'") + count(html, "id=\"chart-c2c-gpPt0\""), 1u);
  // The environment panel and the rankings.
  for (const char* part : {"Environment", "1 package, 1 NUMA node, 2 L3, 16 cores, 16 PUs",
                           "Priority map", "other_l3", "Doctor", "Rankings", "vs_ref"})
    EXPECT_NE(html.find(part), std::string::npos) << part;
}

// Without gnuplot each chart's place says so, and everything else is still written.
TEST_F(ReportRender, HtmlWithoutGnuplotSaysSoPerChart) {
  ReportSettings settings;
  settings.gnuplot = "/nonexistent/gnuplot";
  const std::string html = render("html", *record_, settings);
  const auto charts = figures(html);
  ASSERT_EQ(charts.size(), 6u);
  for (const auto& figure : charts) {
    EXPECT_EQ(figure.find("<svg"), std::string::npos);
    EXPECT_NE(figure.find("Chart not drawn: gnuplot not found"), std::string::npos);
  }
  EXPECT_NE(html.find("creation/start_latency"), std::string::npos);
  EXPECT_NE(html.find("Priority map"), std::string::npos);
}

// Text from the record is escaped: a label cannot inject markup into HTML or Markdown.
TEST(ReportEscaping, RecordTextNeverBecomesMarkup) {
  RunRecord record;
  record.tpbench.topology.summary = "<script>alert(1)</script>";
  BenchmarkEntry e;
  e.name = e.run_name = "inversion/three_thread/backend:x|y/placement:same_cpu/protocol:none";
  e.label = "<img src=x onerror=alert(1)>";
  e.counters = {{"high_wait_p50_ns", 1e6}, {"bounded", 1}, {"unbounded", 0}};
  record.benchmarks.push_back(e);
  ReportSettings settings;
  settings.gnuplot = "/nonexistent/gnuplot";
  const std::string html = render("html", record, settings);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  const std::string md = render("md", record);
  EXPECT_NE(md.find("x\\|y"), std::string::npos) << md;
  EXPECT_NE(md.find("\\<script\\>"), std::string::npos) << md;
  EXPECT_FALSE(std::regex_search(md, std::regex(R"((^|[^\\])<)"))) << md;
}

// gnuplot runs bounded in time: a script that would sit for 30 s is killed at the timeout.
TEST(ReportGnuplot, OverrunIsKilledAndSaidSo) {
  Gnuplot gnuplot("gnuplot", std::chrono::milliseconds(300));
  ASSERT_EQ(gnuplot.unavailable(), "");
  const PlotResult result = gnuplot.plot({"slow", "pause 30\n", {}});
  EXPECT_FALSE(result.svg);
  EXPECT_NE(result.problem.find("did not finish within 300 ms"), std::string::npos)
      << result.problem;
}

// A script gnuplot rejects gives its message, not an SVG.
TEST(ReportGnuplot, FailureGivesGnuplotsMessage) {
  Gnuplot gnuplot("gnuplot", std::chrono::seconds(20));
  const PlotResult result = gnuplot.plot({"bad", "plot nonsense_function(x)\n", {}});
  EXPECT_FALSE(result.svg);
  EXPECT_NE(result.problem.find("gnuplot failed"), std::string::npos) << result.problem;
}

// The SVG inlines without its XML prologue, its ids prefixed so charts can share a page.
TEST(ReportGnuplot, InlineSvgPrefixesIds) {
  const std::string svg = inline_svg(
      "<?xml version=\"1.0\"?>\n<svg id=\"a\"><use xlink:href='#b'/><g fill=\"url(#c)\"/></svg>",
      "x");
  EXPECT_EQ(svg, "<svg id=\"x-a\"><use xlink:href='#x-b'/><g fill=\"url(#x-c)\"/></svg>");
}

C2cMatrix matrix_from(const std::filesystem::path& file) {
  const auto j = nlohmann::json::parse(read(file));
  C2cMatrix m;
  m.cpus = j.at("cpus").get<std::vector<int>>();
  for (const auto& row : j.at("matrix_ns")) {
    m.matrix_ns.emplace_back();
    for (const auto& v : row) m.matrix_ns.back().push_back(v.get<double>());
  }
  return m;
}

// The heatmap keeps at most 16 CPU labels per axis, a colour scale and its label, at 16, 64 and
// 128 CPUs (the SVGs are left in the build tree to look at).
TEST(ReportHeatmap, ReadableAt16And64And128Cpus) {
  Gnuplot gnuplot("gnuplot", std::chrono::seconds(20));
  ASSERT_EQ(gnuplot.unavailable(), "");
  const RunRecord record = load_record(kData / "run_16cpu.json");
  ASSERT_TRUE(record.tpbench.c2c);
  const std::vector<std::pair<std::size_t, C2cMatrix>> cases = {
      {16, *record.tpbench.c2c},
      {64, matrix_from(kData / "c2c_64.json")},
      {128, matrix_from(kData / "c2c_128.json")}};
  for (const auto& [cpus, matrix] : cases) {
    SCOPED_TRACE(cpus);
    ASSERT_EQ(matrix.cpus.size(), cpus);
    const Chart chart = c2c_chart(matrix, "heat" + std::to_string(cpus));
    const PlotResult result = gnuplot.plot(chart.job);
    ASSERT_TRUE(result.svg) << result.problem;
    write_text_file(*result.svg, kOut / ("c2c_" + std::to_string(cpus) + ".svg"));
    EXPECT_NE(result.svg->find("one-way latency (ns)"), std::string::npos);
    EXPECT_NE(result.svg->find("<image"), std::string::npos);
    // Tick labels: "<text>N</text>" for CPU numbers (and colour-scale numbers).
    const std::regex tick(R"(>\s*(\d+)\s*</text>)");
    std::size_t labels = 0;
    for (auto it = std::sregex_iterator(result.svg->begin(), result.svg->end(), tick);
         it != std::sregex_iterator(); ++it)
      ++labels;
    if (cpus == 16) {
      EXPECT_GE(labels, 32u);  // every CPU on both axes
    }
    // Two axes of at most 16 labels, the colour scale's, and the 16-CPU cell values.
    EXPECT_LE(labels, cpus == 16 ? 32u + 12u + 16u * 15u : 32u + 12u);
    EXPECT_NE(result.svg->find(">" + std::to_string(cpus - cpus / 16) + "<"), std::string::npos);
  }
}

}  // namespace
}  // namespace tpb::report
