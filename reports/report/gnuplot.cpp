#include "gnuplot.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

namespace tpb::report {
namespace {

std::filesystem::path find_program(const std::filesystem::path& program) {
  if (program.has_parent_path()) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const std::size_t colon = std::min(dirs.find(':'), dirs.size());
    std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs.remove_prefix(std::min(colon + 1, dirs.size()));
  }
  return "";
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  // gnuplot prints the offending script line, a caret line, then the message: keep the message.
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t^") != std::string::npos) last = line;
  return last;
}

}  // namespace

Gnuplot::Gnuplot(const std::filesystem::path& program, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  program_ = find_program(program);
  if (program_.empty())
    unavailable_ =
        "gnuplot not found (" + program.string() + "; Debian: apt-get install gnuplot-nox)";
}

Gnuplot::~Gnuplot() {
  std::error_code ignored;
  if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
}

PlotResult Gnuplot::plot(const PlotJob& job) {
  if (!unavailable_.empty()) return {std::nullopt, unavailable_};
  if (directory_.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tpbench-plot-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      return {std::nullopt, "cannot create a private directory for gnuplot: " +
                                std::error_code(errno, std::generic_category()).message()};
    directory_ = pattern;
  }
  // A directory per chart: a chart never reads another's leftovers.
  const std::filesystem::path dir = directory_ / std::to_string(jobs_++);
  try {
    std::filesystem::create_directory(dir);
    for (const auto& d : job.data) write_file(dir / d.file_name, d.text);
    write_file(dir / "chart.gp", job.script);
  } catch (const std::exception& e) {
    return {std::nullopt, std::string("cannot write the chart's files: ") + e.what()};
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, (dir / "stderr.txt").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string program = program_.string();
  std::string script = "chart.gp";
  char* argv[] = {program.data(), script.data(), nullptr};
  // gnuplot reads no terminal or display from the environment we care about; keep it minimal.
  std::string path_var = "PATH=/usr/bin:/bin";
  std::string home_var = "HOME=" + dir.string();
  char* envp[] = {path_var.data(), home_var.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return {std::nullopt, "cannot run " + program + ": " +
                              std::error_code(rc, std::generic_category()).message()};

  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return {std::nullopt, "lost the gnuplot process"};
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return {std::nullopt,
              "gnuplot did not finish within " + std::to_string(timeout_.count()) + " ms"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string why = first_line(read_file(dir / "stderr.txt"));
    return {std::nullopt, "gnuplot failed" + (why.empty() ? std::string() : ": " + why)};
  }
  const std::string svg = read_file(dir / "chart.svg");
  if (svg.find("<svg") == std::string::npos) return {std::nullopt, "gnuplot wrote no SVG"};
  return {inline_svg(svg, job.id), {}};
}

std::string inline_svg(const std::string& svg_file_text, const std::string& id) {
  const std::string_view text = std::string_view(svg_file_text).substr(svg_file_text.find("<svg"));
  std::string out;
  out.reserve(text.size() + 1024);
  const std::string prefix = id + "-";
  std::size_t i = 0;
  while (i < text.size()) {
    bool rewritten = false;
    for (std::string_view marker : {"id=\"", "id='", "href=\"#", "href='#", "url(#"}) {
      if (text.compare(i, marker.size(), marker) == 0) {
        // "id=" only as an attribute: preceded by white space.
        if (marker[0] == 'i' &&
            (i == 0 || (text[i - 1] != ' ' && text[i - 1] != '\t' && text[i - 1] != '\n')))
          break;
        out += marker;
        out += prefix;
        i += marker.size();
        rewritten = true;
        break;
      }
    }
    if (!rewritten) out += text[i++];
  }
  return out;
}

}  // namespace tpb::report
