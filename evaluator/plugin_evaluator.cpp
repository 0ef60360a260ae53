// Runs a plugin instance: create/describe/validate at construction, gather-call-scatter per
// evaluate, destroy at the end.
#include "evaluator/plugin_evaluator.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "evaluator/json_text.h"

namespace hearth {
namespace {

constexpr size_t kErrorBytes = 1024;
// A plugin over several devices reports each device's object (about 1-2 KB each).
constexpr size_t kStatsBytes = 64 * 1024;

// The "plugin" logger: the program's if it registered one, else a stderr logger (stdout belongs
// to the protocol). Looked up per message so a logger registered later is still honoured.
std::shared_ptr<spdlog::logger> plugin_logger() {
  if (auto lg = spdlog::get("plugin")) return lg;
  try {
    return spdlog::stderr_color_mt("plugin");
  } catch (const spdlog::spdlog_ex&) {  // another thread registered it in between
    return spdlog::get("plugin");
  }
}

// hearth_host.log: may be called from any plugin thread; spdlog loggers are thread-safe.
void log_from_plugin(void* ctx, int level, const char* message) {
  if (!message) return;
  const auto* prefix = static_cast<const std::string*>(ctx);
  auto lg = plugin_logger();
  if (!lg) return;
  const spdlog::level::level_enum lvl = level <= HEARTH_LOG_DEBUG  ? spdlog::level::debug
                                        : level == HEARTH_LOG_INFO ? spdlog::level::info
                                        : level == HEARTH_LOG_WARN ? spdlog::level::warn
                                                                   : spdlog::level::err;
  lg->log(lvl, "[{}] {}", prefix ? *prefix : std::string("?"), message);
}

// A plugin-written message as one line: NUL-terminated within the buffer, newlines flattened.
std::string one_line(const char* buf, size_t len) {
  std::string s(buf, strnlen(buf, len));
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

}  // namespace

class PluginEvaluator::BuffersLease {
 public:
  explicit BuffersLease(const PluginEvaluator& owner) : owner_(owner) {
    std::unique_lock<std::mutex> lock(owner_.buffers_mutex_);
    owner_.buffers_freed_.wait(lock, [&] { return !owner_.free_buffers_.empty(); });
    index_ = owner_.free_buffers_.back();
    owner_.free_buffers_.pop_back();
  }
  ~BuffersLease() {
    {
      std::lock_guard<std::mutex> lock(owner_.buffers_mutex_);
      owner_.free_buffers_.push_back(index_);
    }
    owner_.buffers_freed_.notify_one();
  }
  BuffersLease(const BuffersLease&) = delete;
  BuffersLease& operator=(const BuffersLease&) = delete;
  CallBuffers& buffers() const { return owner_.call_buffers_[index_]; }

 private:
  const PluginEvaluator& owner_;
  int index_ = -1;
};

// Held by game_start/game_end/stats_json: one such call at a time and, with one slot, no
// evaluate call either (such a plugin sees one call at a time, as the ABI promises it).
class PluginEvaluator::ControlLock {
 public:
  explicit ControlLock(const PluginEvaluator& owner) : lock_(owner.control_mutex_) {
    if (owner.spec_.max_concurrent_calls == 1) exclusive_.emplace(owner);
  }

 private:
  std::lock_guard<std::mutex> lock_;
  std::optional<BuffersLease> exclusive_;
};

PluginEvaluator::PluginEvaluator(LoadedPlugin plugin, int board_size, Rule rule, const PluginOptions& options)
    : plugin_(std::move(plugin)), log_prefix_(plugin_.name()) {
  const hearth_plugin_api* api = plugin_.api();
  const std::string where = "plugin " + plugin_.name() + " (" + plugin_.path() + ")";
  if (!api) throw PluginError("plugin evaluator: no plugin loaded");
  if (board_size < Board::kMinSize || board_size > Board::kMaxSize)
    throw PluginError(where + ": board size " + std::to_string(board_size) + " is outside " +
                      std::to_string(Board::kMinSize) + ".." + std::to_string(Board::kMaxSize));

  host_.struct_size = sizeof(hearth_host);
  host_.board_size = board_size;
  host_.rule = rule == Rule::Standard ? HEARTH_RULE_STANDARD : HEARTH_RULE_FREESTYLE;
  host_.log = log_from_plugin;
  host_.log_ctx = &log_prefix_;

  std::vector<const char*> keys, values;
  for (const auto& kv : options) {
    keys.push_back(kv.first.c_str());
    values.push_back(kv.second.c_str());
  }
  char err[kErrorBytes] = {0};
  hearth_plugin* raw = api->create(&host_, keys.data(), values.data(), static_cast<int32_t>(options.size()), err,
                                   sizeof(err));
  if (!raw) {
    const std::string why = one_line(err, sizeof(err));
    throw PluginError(where + ": create failed: " + (why.empty() ? "no message" : why));
  }
  instance_ = std::unique_ptr<hearth_plugin, InstanceDeleter>(raw, InstanceDeleter{api});

  hearth_plugin_info info;
  std::memset(&info, 0, sizeof(info));
  if (api->describe(instance_.get(), &info) != 0) throw PluginError(where + ": describe failed");
  auto mismatch = [&](const char* what, int got, int want) {
    throw PluginError(where + ": reports " + what + " " + std::to_string(got) + ", the host needs " +
                      std::to_string(want));
  };
  if (info.board_size != board_size) mismatch("board size", info.board_size, board_size);
  if (info.input_planes != 4) mismatch("input planes", info.input_planes, 4);
  if (info.policy_size != board_size * board_size) mismatch("policy size", info.policy_size, board_size * board_size);
  if (info.max_batch < 1)
    throw PluginError(where + ": reports max_batch " + std::to_string(info.max_batch) + ", the host needs >= 1");
  if (info.max_concurrent_calls < 0 || info.max_concurrent_calls > kMaxConcurrentCalls)
    throw PluginError(where + ": reports max_concurrent_calls " + std::to_string(info.max_concurrent_calls) +
                      ", the host needs 0.." + std::to_string(kMaxConcurrentCalls));

  spec_.board_size = info.board_size;
  spec_.input_planes = info.input_planes;
  spec_.policy_size = info.policy_size;
  spec_.max_batch = info.max_batch;
  const int num_preferred = std::clamp<int>(info.num_preferred_batches, 0, HEARTH_MAX_BATCH_SIZES);
  for (int i = 0; i < num_preferred; ++i)
    if (info.preferred_batches[i] > 0) spec_.preferred_batches.push_back(info.preferred_batches[i]);
  spec_.description = plugin_.name() + ": " + one_line(info.description, sizeof(info.description));
  spec_.max_concurrent_calls = std::max(1, static_cast<int>(info.max_concurrent_calls));
  call_buffers_.resize(static_cast<size_t>(spec_.max_concurrent_calls));
  for (int i = spec_.max_concurrent_calls - 1; i >= 0; --i) free_buffers_.push_back(i);
  plugin_logger()->info("loaded {} from {}: {}, board {}, max batch {}, concurrent calls {}", plugin_.name(),
                        plugin_.path(), spec_.description, spec_.board_size, spec_.max_batch,
                        spec_.max_concurrent_calls);
}

PluginEvaluator::~PluginEvaluator() {
  std::lock_guard<std::mutex> lock(control_mutex_);
  instance_.reset();  // before plugin_ closes the library that holds destroy's code
}

void PluginEvaluator::evaluate(EvalRequest* requests, int n) {
  if (n <= 0) return;
  BuffersLease lease(*this);
  for (int done = 0; done < n;) {
    const int chunk = std::min(n - done, spec_.max_batch);
    evaluate_chunk(lease.buffers(), requests + done, chunk);
    done += chunk;
  }
}

void PluginEvaluator::evaluate_chunk(CallBuffers& buffers, EvalRequest* requests, int n) {
  const size_t in = static_cast<size_t>(spec_.input_floats());
  const size_t pol = static_cast<size_t>(spec_.policy_size);
  // The plugin wants one contiguous batch; callers' positions live in separate buffers.
  buffers.input.resize(std::max(buffers.input.size(), in * n));
  buffers.policy.resize(std::max(buffers.policy.size(), pol * n));
  buffers.value.resize(std::max(buffers.value.size(), static_cast<size_t>(n)));
  for (int i = 0; i < n; ++i) std::memcpy(&buffers.input[in * i], requests[i].planes, in * sizeof(float));

  char err[kErrorBytes] = {0};
  const int rc = plugin_.api()->evaluate(instance_.get(), buffers.input.data(), n, buffers.policy.data(),
                                         buffers.value.data(), err, sizeof(err));
  ++calls_;
  if (rc != 0) {
    const std::string why = one_line(err, sizeof(err));
    throw EvalError("plugin " + plugin_.name() + ": evaluate failed: " + (why.empty() ? "no message" : why));
  }
  positions_ += n;
  for (int i = 0; i < n; ++i) {
    std::memcpy(requests[i].policy, &buffers.policy[pol * i], pol * sizeof(float));
    *requests[i].value = buffers.value[i];
  }
}

void PluginEvaluator::game_start() {
  const ControlLock lock(*this);
  if (plugin_.api()->game_start) plugin_.api()->game_start(instance_.get());
}

void PluginEvaluator::game_end() {
  const ControlLock lock(*this);
  if (plugin_.api()->game_end) plugin_.api()->game_end(instance_.get());
}

std::string PluginEvaluator::stats_json() const {
  const ControlLock lock(*this);
  std::string plugin_stats = "null";
  if (plugin_.api()->stats) {
    std::vector<char> buf(kStatsBytes, 0);
    if (plugin_.api()->stats(instance_.get(), buf.data(), buf.size()) == 0)
      plugin_stats = json::object_or_string(std::string(buf.data(), strnlen(buf.data(), buf.size())));
  }
  return "{\"plugin\":" + json::quote(plugin_.name()) + ",\"path\":" + json::quote(plugin_.path()) +
         ",\"calls\":" + std::to_string(calls_.load()) + ",\"positions\":" + std::to_string(positions_.load()) +
         ",\"stats\":" + plugin_stats + "}";
}

}  // namespace hearth
