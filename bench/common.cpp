// Shared helpers of the experiments; see common.hpp.
#include "common.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>

#include <tpb/rt_refusal.hpp>

namespace tpb::bench::detail {

// ---- time --------------------------------------------------------------------------------------
void spin_for_ns(std::int64_t ns) {
  if (ns <= 0) return;
  const std::int64_t end = now_ns() + ns;
  while (now_ns() < end) {
  }
}

bool spin_until(std::int64_t deadline_ns, const std::atomic<bool>* abort) {
  while (now_ns() < deadline_ns) {
    if (abort != nullptr && abort->load(std::memory_order_relaxed)) return false;
  }
  return true;
}

void sleep_ns(std::int64_t ns) {
  if (ns <= 0) return;
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

// ---- latency distributions ---------------------------------------------------------------------
namespace {
// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}
}  // namespace

Summary summarize(std::vector<double> samples_ns) {
  Summary s;
  s.samples = samples_ns.size();
  if (samples_ns.empty()) return s;
  std::sort(samples_ns.begin(), samples_ns.end());
  s.p50 = percentile(samples_ns, 0.50);
  s.p90 = percentile(samples_ns, 0.90);
  s.p99 = percentile(samples_ns, 0.99);
  s.max = samples_ns.back();
  double sum = 0;
  for (double v : samples_ns) sum += v;
  s.mean = sum / static_cast<double>(samples_ns.size());
  return s;
}

void report_latency(benchmark::State& state, const Summary& s, double reference_median_ns) {
  state.counters["p50_ns"] = s.p50;
  state.counters["p90_ns"] = s.p90;
  state.counters["p99_ns"] = s.p99;
  state.counters["max_ns"] = s.max;
  state.counters["mean_ns"] = s.mean;
  state.counters["samples"] = static_cast<double>(s.samples);
  if (reference_median_ns > 0) state.counters["vs_ref"] = s.p50 / reference_median_ns;
}

// ---- context switches and migrations -----------------------------------------------------------
namespace {
int open_sw_counter(std::uint64_t config, long tid) {
  perf_event_attr attr{};
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof attr;
  attr.config = config;
  // Counting the kernel side is what makes a context switch visible; paranoid >= 2 refuses it
  // for unprivileged users, and then the getrusage fallback takes over.
  attr.exclude_hv = 1;
  return static_cast<int>(
      syscall(SYS_perf_event_open, &attr, static_cast<pid_t>(tid), -1, -1, PERF_FLAG_FD_CLOEXEC));
}
double read_counter(int fd) {
  std::uint64_t value = 0;
  if (::read(fd, &value, sizeof value) != sizeof value) return 0;
  return static_cast<double>(value);
}
}  // namespace

SwitchCounters::SwitchCounters(long tid) {
  ctx_fd_ = open_sw_counter(PERF_COUNT_SW_CONTEXT_SWITCHES, tid);
  mig_fd_ = ctx_fd_ >= 0 ? open_sw_counter(PERF_COUNT_SW_CPU_MIGRATIONS, tid) : -1;
  if (mig_fd_ < 0 && ctx_fd_ >= 0) {
    ::close(ctx_fd_);
    ctx_fd_ = -1;
  }
}

SwitchCounters::~SwitchCounters() {
  if (ctx_fd_ >= 0) ::close(ctx_fd_);
  if (mig_fd_ >= 0) ::close(mig_fd_);
}

SwitchCounters::Reading SwitchCounters::read() const {
  Reading r;
  if (perf()) {
    r.context_switches = read_counter(ctx_fd_);
    r.migrations = read_counter(mig_fd_);
    return r;
  }
  rusage usage{};
  if (getrusage(RUSAGE_THREAD, &usage) == 0)
    r.context_switches = static_cast<double>(usage.ru_nvcsw + usage.ru_nivcsw);
  return r;
}

// ---- CPUs
// ----------------------------------------------------------------------------------------
std::uint64_t cpu_mask(int cpu) {
  return cpu >= 0 && cpu < 64 ? std::uint64_t{1} << cpu : 0;
}

// ---- real-time safety --------------------------------------------------------------------------
namespace {
bool demote(long tid) {
  sched_param param{};
  return sched_setscheduler(static_cast<pid_t>(tid), SCHED_OTHER, &param) == 0;
}

// The test cap on every budget (common.hpp); 0 when unset or not a positive number.
std::int64_t test_budget_cap_ns() {
  static const std::int64_t cap = [] {
    const char* text = std::getenv("TPB_TEST_WATCHDOG_BUDGET_NS");
    if (text == nullptr) return std::int64_t{0};
    char* end = nullptr;
    const long long value = std::strtoll(text, &end, 10);
    return end != text && *end == '\0' && value > 0 ? std::int64_t{value} : std::int64_t{0};
  }();
  return cap;
}
}  // namespace

RtWatchdog::RtWatchdog(int avoid_cpu) {
  thread_ = std::thread([this, avoid_cpu] {
    std::vector<int> cpus = host::allowed_cpus();
    std::erase(cpus, avoid_cpu);
    if (!cpus.empty()) host::set_thread_affinity(0, cpus);
    // Above every experiment thread (the controller uses KPRIORITY 28 -> FIFO 61).
    const auto& rights = host_scheduling_rights();
    if (rights.rt_permitted && rights.max_rt_priority > 0) {
      sched_param param{};
      param.sched_priority = rights.max_rt_priority;
      rt_ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
    }
    run();
  });
}

RtWatchdog::~RtWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void RtWatchdog::kick(std::chrono::nanoseconds budget) {
  const std::int64_t cap = test_budget_cap_ns();
  const std::int64_t budget_ns = cap > 0 ? std::min(budget.count(), cap) : budget.count();
  {
    std::lock_guard lock(mutex_);
    deadline_ns_ = now_ns() + budget_ns;
  }
  cv_.notify_all();
}

void RtWatchdog::disarm() {
  {
    std::lock_guard lock(mutex_);
    deadline_ns_ = 0;
  }
  cv_.notify_all();
}

void RtWatchdog::watch(long tid) {
  std::lock_guard lock(mutex_);
  tids_.push_back(tid);
}

void RtWatchdog::demote_all() {
  for (long tid : tids_) demote(tid);
}

void RtWatchdog::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (deadline_ns_ == 0) {
      cv_.wait(lock);
      continue;
    }
    const std::int64_t left = deadline_ns_ - now_ns();
    if (left <= 0) {
      aborted_.store(true);
      demote_all();
      deadline_ns_ = 0;
      continue;
    }
    cv_.wait_for(lock, std::chrono::nanoseconds(left));
  }
}

std::vector<long> demote_leftover_rt_threads() {
  std::vector<long> left;
  const long self = gettid_now();
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return left;
  // readdir is unsafe only on a stream other threads share; this one is the function's own.
  while (dirent* entry = readdir(dir)) {  // NOLINT(concurrency-mt-unsafe)
    if (entry->d_name[0] == '.') continue;
    const long tid = std::strtol(entry->d_name, nullptr, 10);
    if (tid == self) continue;
    const int policy = (sched_getscheduler(static_cast<pid_t>(tid)) & ~SCHED_RESET_ON_FORK);
    if (policy == SCHED_FIFO || policy == SCHED_RR) {
      left.push_back(tid);
      demote(tid);
    }
  }
  closedir(dir);
  return left;
}

std::string describe_leftovers(const std::vector<long>& tids) {
  std::string out =
      fmt::format("{} SCHED_FIFO thread(s) left behind after the case (demoted):", tids.size());
  for (long tid : tids) {
    std::ifstream comm(fmt::format("/proc/self/task/{}/comm", tid));
    std::string name;
    std::getline(comm, name);
    out += fmt::format(" {} '{}'", tid, name);
  }
  return out;
}

void clear_rt_leftovers(const std::string& before_case) {
  const std::vector<long> left = demote_leftover_rt_threads();
  if (left.empty()) return;
  update_facts([&](RunFacts& facts) {
    facts.bench.rt_leftovers.push_back({before_case, {left.begin(), left.end()}});
  });
}

// ---- backends -----------------------------------------------------------------------------------
RuntimeOptions BackendConfig::runtime_options() const {
  RuntimeOptions o;
  o.backend(backend).backend_options(options).priority_policy(PriorityPolicy::best_effort);
  // The experiments create and close thousands of threads; verifier reports would only add noise.
  o.verifier(false);
  return o;
}

namespace {
template <typename T>
bool in_filter(const std::vector<T>& filter, const T& value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}
}  // namespace

bool Plan::wants_placement(const std::string& placement) const {
  return in_filter(selection.placements, placement);
}
bool Plan::wants_priority(int priority) const {
  return in_filter(selection.priorities, priority);
}

benchmark::internal::Benchmark* add_benchmark(Registration& reg, const std::string& name,
                                              std::function<void(benchmark::State&)> fn,
                                              std::vector<int> cpus) {
  reg.names.push_back(name);
  reg.cpus[name] = std::move(cpus);
  auto* b = benchmark::RegisterBenchmark(name.c_str(),
                                         [name, fn = std::move(fn)](benchmark::State& state) {
                                           fn(state);
                                           apply_targets(name, state);
                                         });
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
  return b;
}

void on_host_thread(const std::function<void()>& fn) {
  std::thread(fn).join();
}

bool interrupted(benchmark::State& state) {
  if (!stop_requested().load(std::memory_order_relaxed)) return false;
  state.SkipWithError("interrupted");
  return true;
}

std::optional<std::string> rt_unavailable_reason(int kpriority) {
  if (kpriority < 16) return std::nullopt;
  const auto& rights = host_scheduling_rights();
  if (!rights.rt_permitted)
    return rt_verdict().sentence();  // one reason for every RT case, so summaries fold them
  const int wanted = host_priority_for(kpriority).rt_priority;
  if (wanted > rights.max_rt_priority)
    return fmt::format("KPRIORITY {} maps to SCHED_FIFO {}, above the allowed {}", kpriority,
                       wanted, rights.max_rt_priority);
  return std::nullopt;
}

// ---- reference medians, slowdown, context
// --------------------------------------------------------
namespace {
struct Shared {
  std::mutex mutex;
  std::map<std::string, double> references;
  std::map<std::string, std::int64_t> slowdowns;
  double slowdown_pct = 0;
  RunFacts facts;
};
Shared& shared() {
  static Shared s;
  return s;
}
}  // namespace

double reference_median(const std::string& key,
                        const std::function<std::vector<double>()>& calibrate) {
  {
    std::lock_guard lock(shared().mutex);
    auto it = shared().references.find(key);
    if (it != shared().references.end()) return it->second;
  }
  // Calibration runs threads of its own: never under the lock.
  const double median = summarize(calibrate()).p50;
  store_reference_median(key, median);
  return median;
}

void store_reference_median(const std::string& key, double median_ns) {
  std::lock_guard lock(shared().mutex);
  shared().references[key] = median_ns;
  shared().facts.bench.references_p50_ns[key] = median_ns;
}

void set_slowdown_pct(double pct) {
  std::lock_guard lock(shared().mutex);
  shared().slowdown_pct = pct;
  shared().facts.bench.slowdown.pct = pct;
}

std::int64_t slowdown_ns(const std::string& key,
                         const std::function<std::vector<double>()>& calibrate) {
  double pct;
  {
    std::lock_guard lock(shared().mutex);
    pct = shared().slowdown_pct;
    if (pct <= 0) return 0;
    auto it = shared().slowdowns.find(key);
    if (it != shared().slowdowns.end()) return it->second;
  }
  const auto ns = static_cast<std::int64_t>(reference_median(key, calibrate) * pct / 100.0);
  std::lock_guard lock(shared().mutex);
  shared().slowdowns[key] = ns;
  shared().facts.bench.slowdown.calibrated_ns[key] = ns;
  return ns;
}

void update_facts(const std::function<void(RunFacts&)>& change) {
  std::lock_guard lock(shared().mutex);
  change(shared().facts);
}

}  // namespace tpb::bench::detail

namespace tpb::bench {

RunFacts run_facts() {
  std::lock_guard lock(detail::shared().mutex);
  return detail::shared().facts;
}

}  // namespace tpb::bench
