// The HTML report in a real browser: headless Chromium (Debian's `chromium`, which
// scripts/install-deps installs) opens the report of a fixed 16-CPU record and of the same record
// with a 128-CPU core-to-core matrix. The page renders without any console message (the report
// writes none, so any is an error), every chart's SVG has drawn marks and the page fetched no
// resource (the page's own render check writes both into the DOM, read back with --dump-dom),
// and a screenshot is saved under the build tree. Without Chromium this test fails: it must never
// pass unseen.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include <tpb/record.hpp>
#include <tpb/report.hpp>

#include "process.hpp"

namespace tpb::report {
namespace {

const std::filesystem::path kData = TPB_TEST_DATA_DIR "/reports";
const std::filesystem::path kOut = std::filesystem::path(TPB_TEST_OUTPUT_DIR) / "browser";
constexpr auto kBrowserTimeout = std::chrono::seconds(90);

std::filesystem::path find_chromium() {
  if (const char* path = std::getenv("TPB_CHROMIUM"); path && *path)
    return ::access(path, X_OK) == 0 ? std::filesystem::path(path) : std::filesystem::path();
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const std::size_t colon = std::min(dirs.find(':'), dirs.size());
    for (const char* name : {"chromium", "chromium-browser"}) {
      auto candidate = std::filesystem::path(dirs.substr(0, colon)) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    dirs.remove_prefix(std::min(colon + 1, dirs.size()));
  }
  return {};
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string render_html(const RunRecord& record) {
  ReportSettings settings;
  settings.source = "run_16cpu.json";
  for (const auto& entry : reporters())
    if (entry.name == "html") return entry.make()->render(record, settings);
  return {};
}

// Chromium with no network, no first-run work, no GPU, a fresh profile; `extra` says what to do.
test::ProcessResult run_chromium(const std::filesystem::path& chromium,
                                 const std::filesystem::path& page,
                                 const std::vector<std::string>& extra) {
  std::string profile = (kOut / "profile-XXXXXX").string();
  if (::mkdtemp(profile.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  std::vector<std::string> argv = {
      chromium.string(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
      "--no-first-run", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--disable-extensions",
      // Nothing resolves: the test never reaches the network.
      "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars", "--user-data-dir=" + profile,
      "--enable-logging=stderr", "--v=0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("file://" + std::filesystem::absolute(page).string());
  test::ProcessResult result = test::run_process(argv, {}, kBrowserTimeout);
  std::error_code ignored;
  std::filesystem::remove_all(profile, ignored);
  return result;
}

// Every console message Chromium logged for the page (the report itself logs none).
std::vector<std::string> console_messages(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos) out.push_back(line);
  return out;
}

void check_page(const std::filesystem::path& page, const std::string& screenshot,
                std::size_t charts) {
  const std::filesystem::path chromium = find_chromium();
  ASSERT_FALSE(chromium.empty())
      << "chromium not found: this test needs Debian's chromium (scripts/install-deps)";

  const auto dom = run_chromium(chromium, page, {"--virtual-time-budget=5000", "--dump-dom"});
  ASSERT_FALSE(dom.timed_out) << "chromium did not finish within 90 s";
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_EQ(console_messages(dom.err), std::vector<std::string>{});
  std::smatch verdict;
  ASSERT_TRUE(std::regex_search(
      dom.out, verdict,
      std::regex(R"re(data-render-check="charts=(\d+) drawn=(\d+) errors=(\d+) fetched=(\d+)")re")))
      << "the page's render check did not run";
  EXPECT_EQ(std::stoul(verdict[1]), charts);
  EXPECT_EQ(std::stoul(verdict[2]), charts) << "a chart drew nothing";
  EXPECT_EQ(verdict[3], "0") << "script errors on the page";
  EXPECT_EQ(verdict[4], "0") << "the page fetched resources: it must be self-contained";
  const std::regex marks(R"re(<figure class="chart[^"]*" id="([^"]+)"[^>]*data-marks="(\d+)")re");
  std::size_t figures = 0;
  for (auto it = std::sregex_iterator(dom.out.begin(), dom.out.end(), marks);
       it != std::sregex_iterator(); ++it, ++figures)
    EXPECT_GT(std::stoul((*it)[2]), 0u) << (*it)[1] << " has no drawn marks";
  EXPECT_EQ(figures, charts);

  const auto png = kOut / screenshot;
  std::filesystem::remove(png);
  const auto shot =
      run_chromium(chromium, page, {"--window-size=1280,9000", "--screenshot=" + png.string()});
  ASSERT_FALSE(shot.timed_out);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  ASSERT_TRUE(std::filesystem::exists(png));
  EXPECT_GT(std::filesystem::file_size(png), 50'000u) << "a blank screenshot";
  std::cout << "screenshot: " << png.string() << '\n';
}

class ReportBrowser : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(kOut); }
};

// The 16-CPU record's report renders cleanly with every chart drawn; screenshot report.png.
TEST_F(ReportBrowser, RendersWithoutErrorsAndEveryChartDrawn) {
  const RunRecord record = load_record(kData / "run_16cpu.json");
  write_text_file(render_html(record), kOut / "report.html");
  check_page(kOut / "report.html", "report.png", 6);
}

// The same page with a 128-CPU core-to-core matrix; screenshot report_128.png.
TEST_F(ReportBrowser, RendersA128CpuHeatmap) {
  RunRecord record = load_record(kData / "run_16cpu.json");
  const auto j = nlohmann::json::parse(read(kData / "c2c_128.json"));
  C2cMatrix matrix;
  matrix.cpus = j.at("cpus").get<std::vector<int>>();
  for (const auto& row : j.at("matrix_ns")) {
    matrix.matrix_ns.emplace_back();
    for (const auto& v : row) matrix.matrix_ns.back().push_back(v.get<double>());
  }
  record.tpbench.c2c = matrix;
  write_text_file(render_html(record), kOut / "report_128.html");
  check_page(kOut / "report_128.html", "report_128.png", 6);
}

}  // namespace
}  // namespace tpb::report
