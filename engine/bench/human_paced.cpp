#include "engine/bench/human_paced.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <thread>

#include "engine/bench/report.h"
#include "engine/play/piskvork.h"
#include "engine/util/text.h"
#include "evaluator/device_name.h"
#include "evaluator/json_text.h"
#include "evaluator/timing_evaluator.h"

namespace hearth::human_paced {
namespace {

using bench::fixed;
using bench::json_number;
using bench::json_string;
using bench::ratio;
using bench::Summary;
using bench::summarize;

using Clock = std::chrono::steady_clock;

uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The engine's stdin: the bench writes lines, the engine's reader thread blocks in underflow()
// until there is text or the pipe is closed. Get-area pointers belong to the reading thread;
// everything shared is under mu_.
class InputPipe : public std::streambuf {
 public:
  void write_line(const std::string& line) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_ += line + "\n";
    }
    cv_.notify_all();
  }
  void close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !pending_.empty() || closed_; });
    if (pending_.empty()) return traits_type::eof();
    current_.swap(pending_);
    pending_.clear();
    setg(current_.data(), current_.data(), current_.data() + current_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;
  bool closed_ = false;
  std::string current_;  // the get area: reader thread only
};

// The engine's stdout: complete lines are queued with the moment their newline was written
// (the reply's time, not the moment the bench woke up to read it).
class OutputLines : public std::streambuf {
 public:
  struct Line {
    std::string text;
    Clock::time_point at;
  };
  // The next line, or nullopt after `timeout`.
  std::optional<Line> pop(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !lines_.empty(); })) return std::nullopt;
    Line l = std::move(lines_.front());
    lines_.pop_front();
    return l;
  }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    const char ch = traits_type::to_char_type(c);
    xsputn(&ch, 1);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const Clock::time_point now = Clock::now();
    bool any = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (std::streamsize i = 0; i < n; ++i) {
        if (s[i] == '\n') {
          if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
          lines_.push_back({partial_, now});
          partial_.clear();
          any = true;
        } else {
          partial_ += s[i];
        }
      }
    }
    if (any) cv_.notify_all();
    return n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Line> lines_;
  std::string partial_;
};

struct MoveRecord {
  int game = 0, move = 0;      // move: the engine's move number within the game, from 1
  double think_s = 0;          // the opponent's think before this TURN
  double search_ms = 0;        // TURN written -> reply written
  double first_batch_us = -1;  // < 0: no batch in this move (the tree already had enough)
  int batches = 0, positions = 0;
};

struct ConditionResult {
  Condition condition = Condition::Continuous;
  std::vector<std::pair<std::string, std::string>> plugin_options;  // added for this condition
  std::string error;
  std::vector<MoveRecord> moves;
  std::string plugin_stats = "null";
  Summary search_ms, first_batch_us;
};

// One engine on its own thread, spoken to through the pipes.
class EngineDriver {
 public:
  explicit EngineDriver(const Settings& settings)
      : in_stream_(&in_),
        out_stream_(&out_),
        engine_(settings, in_stream_, out_stream_),
        thread_([this] { engine_.run(); }) {}
  ~EngineDriver() {
    in_.write_line("END");  // stops a think in progress too
    thread_.join();
    in_.close();
  }
  void send(const std::string& line) { in_.write_line(line); }
  // The next reply line that is not MESSAGE/DEBUG; throws on a timeout.
  OutputLines::Line reply(std::chrono::seconds timeout, const std::string& after) {
    const Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto line = out_.pop(std::max(left, std::chrono::milliseconds(0)));
      if (!line)
        throw std::runtime_error("no reply to '" + after + "' within " + std::to_string(timeout.count()) + " s");
      const std::string head = line->text.substr(0, line->text.find(' '));
      if (head == "MESSAGE" || head == "DEBUG") continue;
      return *line;
    }
  }
  void expect_ok(const std::string& command, std::chrono::seconds timeout) {
    send(command);
    const auto line = reply(timeout, command);
    if (line.text != "OK") throw std::runtime_error("engine answered '" + line.text + "' to " + command);
  }

 private:
  InputPipe in_;
  OutputLines out_;
  std::istream in_stream_;
  std::ostream out_stream_;
  PiskvorkEngine engine_;
  std::thread thread_;  // last: starts once everything it uses exists
};

Move parse_move(const std::string& text, const Board& board) {
  int x = -1, y = -1;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%d,%d%c", &x, &y, &extra) != 2 || !board.on_board(x, y))
    throw std::runtime_error("engine replied '" + text + "', not a move");
  const Move m = board.move_at(x, y);
  if (!board.is_legal(m)) throw std::runtime_error("engine replied an illegal move " + text);
  return m;
}

std::string move_text(const Board& b, Move m) { return std::to_string(b.x_of(m)) + "," + std::to_string(b.y_of(m)); }

constexpr std::chrono::seconds kStartTimeout{600};  // a GPU plugin loads and captures graphs first
constexpr std::chrono::seconds kMoveTimeout{300};

ConditionResult run_condition(const Settings& base, Condition condition, const std::vector<double>& think,
                              std::ostream& out) {
  const HumanPacedSettings& hp = base.human_paced;
  ConditionResult r;
  r.condition = condition;
  r.plugin_options =
      parse_plugin_options(condition == Condition::Cold ? hp.cold_options : hp.warm_options,
                           condition == Condition::Cold ? "human_paced.cold_options" : "human_paced.warm_options");
  Settings settings = base;
  for (const auto& [k, v] : r.plugin_options) set_plugin_option(settings, k, v);
  auto timeline = std::make_shared<BatchTimeline>();
  settings.evaluator.batch_timeline = timeline;
  const int size = settings.game.board_size;
  try {
    EngineDriver engine(settings);
    engine.expect_ok("START " + std::to_string(size), kStartTimeout);
    engine.send("INFO timeout_match 0");
    engine.send("INFO timeout_turn 600000");  // generous: the visit or playout limit decides
    const int total = hp.warmup_moves + hp.moves;
    int played = 0;  // engine moves so far, warm-up included
    for (int game = 0; played < total; ++game) {
      if (game > 0) engine.expect_ok("RESTART", kMoveTimeout);
      uint64_t rng = hp.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(game);  // same per condition
      Board board(size, settings.game.rule);
      Clock::time_point last_reply = Clock::now();
      for (int k = 1; k <= hp.moves_per_game && played < total; ++k) {
        const Move opp = opponent_move(board, &rng);
        Board after = board;
        after.play(opp);
        if (after.is_over()) break;  // only a winning or filling move was left: next game
        const bool measured = played >= hp.warmup_moves;
        const int index = played - hp.warmup_moves;
        const double think_s =
            (measured && condition != Condition::Continuous) ? think[static_cast<size_t>(index) % think.size()] : 0.0;
        std::this_thread::sleep_until(
            last_reply + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(think_s)));
        timeline->clear();
        const std::string turn = "TURN " + move_text(board, opp);
        const Clock::time_point sent = Clock::now();
        engine.send(turn);
        const auto line = engine.reply(kMoveTimeout, turn);
        board = after;
        const Move reply = parse_move(line.text, board);
        board.play(reply);
        last_reply = line.at;
        ++played;
        if (measured) {
          MoveRecord m;
          m.game = game;
          m.move = k;
          m.think_s = think_s;
          m.search_ms = std::chrono::duration<double, std::milli>(line.at - sent).count();
          // Records come in completion order; with a plugin serving concurrent calls the first
          // to start may finish later, so take the earliest start.
          Clock::time_point first_start = Clock::time_point::max();
          for (const auto& b : timeline->batches()) {
            if (b.start < sent || b.start > line.at) continue;
            if (b.start < first_start) {
              first_start = b.start;
              m.first_batch_us = b.micros;
            }
            ++m.batches;
            m.positions += b.positions;
          }
          r.moves.push_back(m);
        }
        if (board.is_over()) break;
      }
    }
    r.plugin_stats = json::object_or_string(timeline->source_stats_json());
  } catch (const std::exception& e) {
    r.error = e.what();
    spdlog::error("human-paced: {}: {}", condition_name(condition), e.what());
  }
  std::vector<double> search, first;
  for (const MoveRecord& m : r.moves) {
    search.push_back(m.search_ms);
    if (m.first_batch_us >= 0) first.push_back(m.first_batch_us);
  }
  r.search_ms = summarize(search);
  r.first_batch_us = summarize(first);
  char line[240];
  std::snprintf(line, sizeof(line),
                "  %-10s %3zu moves: search mean %8.1f p50 %8.1f p99 %8.1f ms, first batch p50 %8.1f p99 %8.1f us%s\n",
                condition_name(condition), r.moves.size(), r.search_ms.mean, r.search_ms.p50, r.search_ms.p99,
                r.first_batch_us.p50, r.first_batch_us.p99, r.error.empty() ? "" : "  (FAILED)");
  out << line << std::flush;
  return r;
}

std::string summary_json(const Summary& s) {
  return "{\"count\":" + std::to_string(s.count) + ",\"mean\":" + json::number(s.mean) +
         ",\"p50\":" + json::number(s.p50) + ",\"p99\":" + json::number(s.p99) + ",\"max\":" + json::number(s.max) +
         "}";
}

std::string options_text(const std::vector<std::pair<std::string, std::string>>& o) {
  std::string s;
  for (const auto& [k, v] : o) s += (s.empty() ? "" : ",") + k + "=" + v;
  return s;
}

const ConditionResult* continuous_of(const std::vector<ConditionResult>& results) {
  for (const auto& r : results)
    if (r.condition == Condition::Continuous && r.error.empty() && r.search_ms.count > 0) return &r;
  return nullptr;
}

std::string verdict(const ConditionResult& r, const ConditionResult* base) {
  if (r.condition == Condition::Continuous) return "ref";
  if (r.condition == Condition::Cold) return "-";
  if (!r.error.empty() || !base) return "n/a";
  const double x = ratio(r.search_ms.mean, base->search_ms.mean);
  return x <= kTargetSearchRatio ? "pass" : "miss: mean " + fixed(x, 3) + "x";
}

std::string report_json(const Settings& s, const std::vector<double>& think, const std::string& machine,
                        const std::vector<ConditionResult>& results) {
  const ConditionResult* base = continuous_of(results);
  std::ostringstream o;
  const HumanPacedSettings& hp = s.human_paced;
  std::string think_list;
  for (double t : think) think_list += (think_list.empty() ? "" : ",") + json::number(t);
  o << "{\"bench\":\"human_paced\",\"machine\":" << machine
    << ",\"settings\":{\"plugin\":" << json::quote(s.evaluator.plugin)
    << ",\"plugin_options\":" << json::quote(options_text(s.evaluator.plugin_options))
    << ",\"board_size\":" << s.game.board_size << ",\"threads\":" << s.search.threads
    << ",\"visits\":" << s.limits.visits << ",\"playouts\":" << s.limits.playouts << ",\"think_s\":[" << think_list
    << "],\"moves\":" << hp.moves << ",\"moves_per_game\":" << hp.moves_per_game
    << ",\"warmup_moves\":" << hp.warmup_moves << ",\"seed\":" << hp.seed
    << "},\"target\":{\"warm_mean_search_ratio\":" << json::number(kTargetSearchRatio) << "},\"conditions\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    const ConditionResult& r = results[i];
    o << (i ? "," : "") << "{\"name\":\"" << condition_name(r.condition)
      << "\",\"plugin_options\":" << json::quote(options_text(r.plugin_options))
      << ",\"error\":" << (r.error.empty() ? "null" : json::quote(r.error)) << ",\"moves\":[";
    for (size_t j = 0; j < r.moves.size(); ++j) {
      const MoveRecord& m = r.moves[j];
      o << (j ? "," : "") << "{\"game\":" << m.game << ",\"move\":" << m.move
        << ",\"think_s\":" << json::number(m.think_s) << ",\"search_ms\":" << json::number(m.search_ms)
        << ",\"first_batch_us\":" << (m.first_batch_us >= 0 ? json::number(m.first_batch_us) : "null")
        << ",\"batches\":" << m.batches << ",\"positions\":" << m.positions << "}";
    }
    o << "],\"search_ms\":" << summary_json(r.search_ms) << ",\"first_batch_us\":" << summary_json(r.first_batch_us)
      << ",\"ratio_to_continuous\":";
    if (base)
      o << "{\"search_mean\":" << json::number(ratio(r.search_ms.mean, base->search_ms.mean))
        << ",\"search_p50\":" << json::number(ratio(r.search_ms.p50, base->search_ms.p50))
        << ",\"search_p99\":" << json::number(ratio(r.search_ms.p99, base->search_ms.p99))
        << ",\"first_batch_p50\":" << json::number(ratio(r.first_batch_us.p50, base->first_batch_us.p50))
        << ",\"first_batch_p99\":" << json::number(ratio(r.first_batch_us.p99, base->first_batch_us.p99))
        << "}";
    else
      o << "null";
    o << ",\"verdict\":" << json::quote(verdict(r, base)) << ",\"plugin_stats\":" << r.plugin_stats << "}";
  }
  o << "]}\n";
  return o.str();
}

std::string report_markdown(const Settings& s, const std::vector<double>& think, const std::string& machine,
                            const std::vector<ConditionResult>& results) {
  const ConditionResult* base = continuous_of(results);
  std::ostringstream o;
  std::string think_list;
  for (double t : think) think_list += (think_list.empty() ? "" : ", ") + json::number(t);
  o << "# Hearth at human pace\n\n"
    << "Machine: " << json_string(machine, "host", "?") << ", " << json_string(machine, "date", "?")
    << ", GPU " << json_string(machine, "gpu_name", "unknown") << " (driver "
    << json_string(machine, "driver", "unknown") << "), LibTorch "
    << json_string(machine, "libtorch", "unknown") << ".\n"
    << "Engine: plugin " << s.evaluator.plugin << " (" << options_text(s.evaluator.plugin_options) << "), board "
    << s.game.board_size << ", threads " << s.search.threads << ", visits " << s.limits.visits << ", playouts "
    << s.limits.playouts << "; opponent think " << think_list << " s (cycled), continuous: 0 s.\n\n"
    << "Search time: TURN written -> reply written. First batch: the first plugin batch after TURN.\n"
    << "Target: warm mean search time <= " << kTargetSearchRatio << "x continuous.\n\n"
    << "| condition | plugin options | moves | search mean ms | p50 ms | p99 ms | ratio mean | ratio p50 | ratio p99 | "
       "first batch p50 us | p99 us | ratio p50 | duty % | verdict |\n"
    << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const ConditionResult& r : results) {
    auto rat = [&](double a, double b) { return base ? fixed(ratio(a, b), 3) : std::string("-"); };
    const double duty = json_number(r.plugin_stats, "duty", -1);
    o << "| " << condition_name(r.condition) << " | " << options_text(r.plugin_options) << " | " << r.moves.size()
      << " | " << fixed(r.search_ms.mean, 1) << " | " << fixed(r.search_ms.p50, 1) << " | " << fixed(r.search_ms.p99, 1)
      << " | " << rat(r.search_ms.mean, base ? base->search_ms.mean : 0) << " | "
      << rat(r.search_ms.p50, base ? base->search_ms.p50 : 0) << " | "
      << rat(r.search_ms.p99, base ? base->search_ms.p99 : 0) << " | " << fixed(r.first_batch_us.p50, 1) << " | "
      << fixed(r.first_batch_us.p99, 1) << " | " << rat(r.first_batch_us.p50, base ? base->first_batch_us.p50 : 0)
      << " | " << (duty >= 0 ? fixed(duty * 100, 2) : "-") << " | "
      << (r.error.empty() ? verdict(r, base) : "failed: " + r.error) << " |\n";
  }
  return o.str();
}

int cuda_index_of(const Settings& s) {
  for (const auto& [k, v] : s.evaluator.plugin_options)
    if (k == "device") return parse_device_name(v).value_or(kCpuDevice);
  return kCpuDevice;
}

}  // namespace

const char* condition_name(Condition c) {
  switch (c) {
    case Condition::Continuous:
      return "continuous";
    case Condition::Warm:
      return "warm";
    case Condition::Cold:
      return "cold";
  }
  return "?";
}

std::vector<Condition> parse_conditions(const std::string& text, const std::string& what) {
  std::vector<Condition> out;
  for (const std::string& item : split_list(text, what)) {
    std::optional<Condition> c;
    for (Condition k : {Condition::Continuous, Condition::Warm, Condition::Cold})
      if (item == condition_name(k)) c = k;
    if (!c) throw std::invalid_argument(what + ": '" + item + "' is not continuous, warm or cold");
    if (std::find(out.begin(), out.end(), *c) != out.end())
      throw std::invalid_argument(what + ": '" + item + "' is listed twice");
    out.push_back(*c);
  }
  if (out.empty()) throw std::invalid_argument(what + ": no conditions given");
  return out;
}

std::vector<double> parse_think_times(const std::string& text, const std::string& what) {
  std::vector<double> out;
  for (const std::string& item : split_list(text, what)) {
    char* end = nullptr;
    const double t = std::strtod(item.c_str(), &end);
    if (end != item.c_str() + item.size() || !(t >= 0) || t > 3600)
      throw std::invalid_argument(what + ": '" + item + "' is not a think time in seconds (0..3600)");
    out.push_back(t);
  }
  if (out.empty()) throw std::invalid_argument(what + ": no think times given");
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_plugin_options(const std::string& text,
                                                                      const std::string& what) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& item : split_list(text, what)) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || trim(item.substr(0, eq)).empty())
      throw std::invalid_argument(what + ": '" + item + "' is not key=value");
    out.emplace_back(trim(item.substr(0, eq)), trim(item.substr(eq + 1)));
  }
  return out;
}

Move opponent_move(const Board& board, uint64_t* rng) {
  const int n = board.size();
  if (board.move_count() == 0) return board.move_at(n / 2, n / 2);
  const Stone me = board.to_move();
  const std::vector<Move> legal = board.legal_moves();
  for (Move m : legal)
    if (board.wins_at(m, opponent(me))) return m;  // block the other side's five
  // Squares near the last few moves, as a player's attention goes; moves that end the game last.
  const std::vector<Move>& history = board.history();
  std::vector<Move> near, fallback;
  for (Move m : legal) {
    bool close = false;
    for (size_t i = history.size() > 4 ? history.size() - 4 : 0; i < history.size() && !close; ++i)
      close = std::abs(board.x_of(m) - board.x_of(history[i])) <= 2 &&
              std::abs(board.y_of(m) - board.y_of(history[i])) <= 2;
    Board after = board;
    after.play(m);
    (close && !after.is_over() ? near : fallback).push_back(m);
  }
  const std::vector<Move>& pool = near.empty() ? fallback : near;
  return pool[splitmix64(rng) % pool.size()];
}

int run_human_paced(const Settings& settings_in, std::ostream& out) {
  Settings settings = settings_in;
  const HumanPacedSettings& hp = settings.human_paced;
  std::vector<Condition> conditions;
  std::vector<double> think;
  try {
    conditions = parse_conditions(hp.conditions, "human_paced.conditions");
    think = parse_think_times(hp.think_s, "human_paced.think_s");
    parse_plugin_options(hp.warm_options, "human_paced.warm_options");
    parse_plugin_options(hp.cold_options, "human_paced.cold_options");
    if (hp.moves_per_game > settings.game.board_size * settings.game.board_size / 2)
      throw std::invalid_argument("human_paced.moves_per_game " + std::to_string(hp.moves_per_game) +
                                  " does not fit a " + std::to_string(settings.game.board_size) + "x" +
                                  std::to_string(settings.game.board_size) + " board");
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
  SearchLimits& limits = settings.limits;
  if (limits.visits == 0 && limits.playouts == 0 && limits.seconds == 0) {
    limits.playouts = 400;
    spdlog::info("human-paced: no --visits, --playouts or --seconds given; using --playouts 400");
  }
  if (settings.search.seed == 0) settings.search.seed = hp.seed;  // alike positions in every condition
  double paced = 0;
  for (int i = 0; i < hp.moves; ++i) paced += think[static_cast<size_t>(i) % think.size()];
  size_t human = 0;
  for (Condition c : conditions) human += c != Condition::Continuous;
  out << "hearth human-paced: " << conditions.size() << " conditions x " << hp.moves << " measured moves (+"
      << hp.warmup_moves << " warm-up), " << settings.game.board_size << "x" << settings.game.board_size << ", plugin "
      << settings.evaluator.plugin << "; opponent thinking " << paced * static_cast<double>(human)
      << " s in all, plus search time\n"
      << std::flush;

  std::vector<ConditionResult> results;
  bool failed = false;
  for (Condition c : conditions) {
    results.push_back(run_condition(settings, c, think, out));
    failed = failed || !results.back().error.empty();
  }
  std::string stats = "{}";
  for (const auto& r : results)
    if (r.error.empty()) {
      stats = r.plugin_stats;
      break;
    }
  const std::string machine = bench::machine_json(cuda_index_of(settings), stats);
  const std::string markdown = report_markdown(settings, think, machine, results);
  out << "\n" << markdown;
  bool wrote = bench::write_report_file(hp.json, report_json(settings, think, machine, results), out, "human-paced");
  wrote = bench::write_report_file(hp.markdown, markdown, out, "human-paced") && wrote;
  return failed || !wrote ? 1 : 0;
}

}  // namespace hearth::human_paced
