#include "engine/util/text.h"
#include "engine/play/piskvork.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <istream>
#include <limits>
#include <ostream>
#include <set>
#include <thread>
#include <vector>

#include "evaluator/plugin_loader.h"
#include "engine/search/time_manager.h"

#ifndef HEARTH_VERSION
#define HEARTH_VERSION "unknown"
#endif

namespace hearth {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Input echoed in a reply: one printable line, short.
std::string quoted(const std::string& text) {
  std::string out;
  for (unsigned char c : text.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  if (text.size() > 60) out += "...";
  return "'" + out + "'";
}

// A protocol number: one optional sign, then decimal digits, no blanks, within int64.
bool parse_number(const std::string& text, int64_t* out) {
  const size_t digits = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  if (digits == text.size()) return false;
  for (size_t i = digits; i < text.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  return parse_int(text, out);
}

// Splits "a,b" or "a,b,c" into numbers (blanks around each allowed); false unless there are
// exactly `n` of them.
bool parse_ints(const std::string& text, int n, int64_t* out) {
  size_t pos = 0;
  for (int i = 0; i < n; ++i) {
    const size_t comma = (i + 1 < n) ? text.find(',', pos) : text.size();
    if (comma == std::string::npos) return false;
    if (!parse_number(trim(text.substr(pos, comma - pos)), &out[i])) return false;
    pos = comma + 1;
  }
  return true;
}

// The command word of a line, upper-cased ("turn 1,2" -> "TURN").
std::string command_of(const std::string& line) {
  const std::string t = trim(line);
  return upper(t.substr(0, t.find_first_of(" \t")));
}

// A line inside BOARD ... DONE that is meant as a stone (trimmed text).
bool looks_like_board_line(const std::string& line) {
  return !line.empty() && (std::isdigit(static_cast<unsigned char>(line[0])) || line[0] == '-' || line[0] == '+');
}

bool on_board(const Board& b, const int64_t* xy) {
  return xy[0] >= 0 && xy[1] >= 0 && xy[0] < b.size() && xy[1] < b.size();
}

using Clock = std::chrono::steady_clock;

}  // namespace

LineStatus read_protocol_line(std::istream& in, std::string* line, size_t cap) {
  line->clear();
  std::streambuf* buf = in.rdbuf();
  bool any = false, too_long = false;
  std::string prefix;  // of a line over `cap`: its first bytes after leading blanks
  const auto keep = [&prefix](char c) {
    if (prefix.size() < kTooLongPrefixBytes && (!prefix.empty() || (c != ' ' && c != '\t' && c != '\r')))
      prefix.push_back(c);
  };
  for (;;) {
    const int c = buf ? buf->sbumpc() : std::char_traits<char>::eof();
    if (c == std::char_traits<char>::eof()) {
      if (!any) {
        in.setstate(std::ios::eofbit);
        return LineStatus::Eof;
      }
      break;
    }
    any = true;
    if (c == '\n') break;
    if (too_long) {
      keep(static_cast<char>(c));
      continue;
    }
    if (line->size() >= cap) {
      too_long = true;
      for (char k : *line) keep(k);
      keep(static_cast<char>(c));
      line->clear();
      line->shrink_to_fit();
      continue;
    }
    line->push_back(static_cast<char>(c));
  }
  if (too_long) {
    *line = std::move(prefix);
    return LineStatus::TooLong;
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return LineStatus::Ok;
}

bool is_end_line(const std::string& line) { return upper(trim(line)) == "END"; }

PiskvorkEngine::PiskvorkEngine(Settings settings, std::istream& in, std::ostream& out)
    : settings_(std::move(settings)),
      in_(in),
      out_(out),
      session_(std::make_unique<EngineSession>(settings_.search, settings_.evaluator)) {
  applied_memory_mb_ = settings_.search.max_memory_mb;
}

PiskvorkEngine::~PiskvorkEngine() = default;

void PiskvorkEngine::write_line(const std::string& text) {
  // One printable line whatever a message quotes (an exception's text may hold anything).
  std::string line;
  for (unsigned char c : text.substr(0, 1000)) line += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  out_ << line << '\n';
  out_.flush();
  spdlog::debug("piskvork > {}", line);
}

void PiskvorkEngine::reply(const std::string& line) {
  ++replies_;
  write_line(line);
}

void PiskvorkEngine::message(const std::string& text) {
  spdlog::warn("piskvork: {}", text);
  write_line("MESSAGE " + text);
}

std::string PiskvorkEngine::move_text(Move m) const {
  const Board& b = session_->board();
  return std::to_string(b.x_of(m)) + "," + std::to_string(b.y_of(m));
}

void PiskvorkEngine::reader_loop() {
  for (;;) {
    Line line;
    line.status = read_protocol_line(in_, &line.text);
    // The same test as handle(): whatever the main thread will take for END, so both stop reading.
    const bool is_end = line.status == LineStatus::Ok && is_end_line(line.text);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back(line);
    }
    line_cv_.notify_one();
    if (line.status == LineStatus::Eof) return;
    if (is_end) break;
  }
  // END: stop the think in progress, and any the main thread starts before it reaches END in
  // the queue. Repeated because a stop() that lands just before a search begins is forgotten.
  ending_ = true;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!main_done_) {
    lock.unlock();
    session_->stop();
    lock.lock();
    done_cv_.wait_for(lock, std::chrono::milliseconds(10));
  }
}

PiskvorkEngine::Line PiskvorkEngine::pop_line() {
  if (pending_) {
    Line l = std::move(*pending_);
    pending_.reset();
    return l;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  line_cv_.wait(lock, [&] { return !lines_.empty(); });
  Line l = std::move(lines_.front());
  lines_.pop_front();
  return l;
}

int PiskvorkEngine::run() {
  std::thread reader([this] { reader_loop(); });
  for (;;) {
    const Line line = pop_line();
    if (line.status == LineStatus::Eof) break;
    Next next = Next::Continue;
    const size_t replies_before = replies_;
    try {
      if (line.status == LineStatus::TooLong)
        handle_too_long(line.text);
      else
        next = handle(line.text);
    } catch (const std::exception& e) {
      // Every expected failure is answered where it happens; this keeps the engine alive if
      // something unexpected throws, without a second reply (or any, for INFO).
      spdlog::error("piskvork: {} while handling {}", e.what(), quoted(line.text));
      if (replies_ == replies_before && command_of(line.text) != "INFO")
        reply(std::string("ERROR ") + e.what());
      else
        message(std::string("internal error: ") + e.what());
    }
    if (next == Next::Exit) break;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    main_done_ = true;
  }
  done_cv_.notify_all();
  // The reader has returned or will: it stops only at END or end of input, and run() stops
  // only after reading one of those.
  reader.join();
  return 0;
}

bool PiskvorkEngine::require_game() {
  if (session_->has_game()) return true;
  reply("ERROR no game: send START first");
  return false;
}

PiskvorkEngine::Next PiskvorkEngine::handle(const std::string& raw) {
  const std::string line = trim(raw);
  if (line.empty()) return Next::Continue;  // the protocol says empty lines are ignored
  spdlog::debug("piskvork < {}", line);
  const size_t space = line.find_first_of(" \t");
  const std::string command = command_of(line);
  const std::string args = space == std::string::npos ? "" : trim(line.substr(space));

  // The commands that take no arguments must have none: "BOARD 5" is not BOARD (it must not
  // take the lines after it as stones), "END 1" is not END.
  static const std::set<std::string> kBare = {"END", "RESTART", "BEGIN", "ABOUT", "BOARD", "SWAP2BOARD"};
  if (kBare.count(command) && !args.empty()) {
    reply("ERROR " + command + " takes no arguments, got " + quoted(args) +
          (command == "BOARD" || command == "SWAP2BOARD" ? " (no block started: the stones follow on their own lines)" : ""));
    return Next::Continue;
  }
  if (command == "END") return Next::Exit;
  if (command == "START") {
    handle_start(args);
  } else if (command == "RECTSTART") {
    handle_rectstart(args);
  } else if (command == "DONE") {
    reply("ERROR DONE without BOARD");
  } else if (command == "RESTART") {
    if (!require_game()) return Next::Continue;
    session_->new_game(session_->board().size(), session_->board().rule());
    time_left_ms_.reset();
    used_ms_ = 0;
    reply("OK");
  } else if (command == "BEGIN") {
    if (!require_game()) return Next::Continue;
    if (session_->board().move_count() != 0)
      reply("ERROR BEGIN needs an empty board (there are " + std::to_string(session_->board().move_count()) +
            " stones); send RESTART or BOARD");
    else
      think_and_reply();
  } else if (command == "TURN") {
    handle_turn(args);
  } else if (command == "BOARD" || command == "SWAP2BOARD") {
    return handle_board(command == "SWAP2BOARD");
  } else if (command == "INFO") {
    handle_info(args);
  } else if (command == "ABOUT") {
    reply("name=\"Hearth\", version=\"" HEARTH_VERSION
          "\", author=\"Hearth developers\", country=\"Unknown\", www=\"\"");
  } else if (command == "TAKEBACK") {
    handle_takeback(args);
  } else if (command == "PLAY") {
    handle_play(args);
  } else {
    reply("UNKNOWN command " + quoted(line));
  }
  return Next::Continue;
}

void PiskvorkEngine::handle_too_long(const std::string& prefix) {
  const std::string what = "line longer than " + std::to_string(kMaxLineBytes) + " bytes ignored";
  if (command_of(prefix) == "INFO")
    message("INFO " + what);  // INFO is never answered, even when it cannot be read
  else
    reply("ERROR " + what + " (it began " + quoted(prefix) + ")");
}

void PiskvorkEngine::handle_start(const std::string& args) {
  int64_t size = 0;
  if (!parse_number(trim(args), &size)) {
    reply("ERROR START needs a board size, got " + quoted(args));
    return;
  }
  if (size < Board::kMinSize || size > Board::kMaxSize) {
    reply("ERROR unsupported size " + std::to_string(size) + " (supported: " + std::to_string(Board::kMinSize) +
          ".." + std::to_string(Board::kMaxSize) + ")");
    return;
  }
  try {
    session_->new_game(static_cast<int>(size), settings_.game.rule);
  } catch (const std::exception& e) {  // PluginError: the plugin cannot serve this size, ...
    reply(std::string("ERROR ") + e.what());
    return;
  }
  settings_.game.board_size = static_cast<int>(size);
  time_left_ms_.reset();
  used_ms_ = 0;
  reply("OK");
}

void PiskvorkEngine::handle_rectstart(const std::string& args) {
  int64_t wh[2];
  if (!parse_ints(args, 2, wh)) {
    reply("ERROR RECTSTART needs width,height, got " + quoted(args));
    return;
  }
  if (wh[0] != wh[1]) {
    reply("ERROR rectangular boards are not supported (" + std::to_string(wh[0]) + "x" + std::to_string(wh[1]) + ")");
    return;
  }
  handle_start(std::to_string(wh[0]));
}

void PiskvorkEngine::handle_turn(const std::string& args) {
  if (!require_game()) return;
  const Board& b = session_->board();
  int64_t xy[2];
  if (!parse_ints(args, 2, xy)) {
    reply("ERROR TURN needs x,y, got " + quoted(args));
    return;
  }
  if (!on_board(b, xy)) {
    reply("ERROR TURN " + std::to_string(xy[0]) + "," + std::to_string(xy[1]) + " is off the " +
          std::to_string(b.size()) + "x" + std::to_string(b.size()) + " board");
    return;
  }
  const Move m = b.move_at(static_cast<int>(xy[0]), static_cast<int>(xy[1]));
  if (b.is_over()) {
    reply("ERROR the game is over; send RESTART or START");
    return;
  }
  if (b.at(m) != Stone::Empty) {
    reply("ERROR TURN " + move_text(m) + " is occupied");
    return;
  }
  Board after = b;
  after.play(m);
  if (after.is_over()) {
    // The opponent's move ended the game: there is nothing to answer with.
    reply("ERROR TURN " + move_text(m) + " ends the game; no move to reply");
    return;
  }
  session_->play(m);
  think_and_reply();
}

void PiskvorkEngine::handle_takeback(const std::string& args) {
  if (!require_game()) return;
  const Board& b = session_->board();
  int64_t xy[2];
  if (!parse_ints(args, 2, xy)) {
    reply("ERROR TAKEBACK needs x,y, got " + quoted(args));
    return;
  }
  const Move last = b.last_move();
  if (last == kNoMove) {
    reply("ERROR TAKEBACK on an empty board");
    return;
  }
  if (xy[0] != b.x_of(last) || xy[1] != b.y_of(last)) {
    reply("ERROR TAKEBACK " + std::to_string(xy[0]) + "," + std::to_string(xy[1]) + " is not the last move (" +
          move_text(last) + ")");
    return;
  }
  session_->undo();
  reply("OK");
}

void PiskvorkEngine::handle_play(const std::string& args) {
  if (!require_game()) return;
  const Board& b = session_->board();
  int64_t xy[2];
  if (!parse_ints(args, 2, xy)) {
    reply("ERROR PLAY needs x,y, got " + quoted(args));
    return;
  }
  if (!on_board(b, xy)) {
    reply("ERROR PLAY " + std::to_string(xy[0]) + "," + std::to_string(xy[1]) + " is off the board");
    return;
  }
  const Move m = b.move_at(static_cast<int>(xy[0]), static_cast<int>(xy[1]));
  if (!b.is_legal(m)) {
    reply("ERROR PLAY " + move_text(m) + (b.is_over() ? ": the game is over" : " is occupied"));
    return;
  }
  session_->play(m);
  reply(move_text(m));
}

PiskvorkEngine::Next PiskvorkEngine::handle_board(bool swap2) {
  const char* name = swap2 ? "SWAP2BOARD" : "BOARD";
  struct Entry {
    int64_t x, y, field;
  };
  std::vector<Entry> entries;
  std::string error;  // the first problem; the block is still read to DONE
  for (;;) {
    Line l = pop_line();
    if (l.status == LineStatus::Eof) {
      reply(std::string("ERROR ") + name + " without DONE before the end of input");
      return Next::Exit;
    }
    const std::string text = trim(l.text);
    if (l.status == LineStatus::TooLong && looks_like_board_line(text)) {
      if (error.empty()) error = "a line inside " + std::string(name) + " is longer than " + std::to_string(kMaxLineBytes) + " bytes";
      continue;
    }
    const bool ok = l.status == LineStatus::Ok;
    if (ok && text.empty()) continue;
    if (ok && upper(text) == "DONE") break;
    if (!looks_like_board_line(text)) {
      // Not a stone line: the manager moved on. Reject the block and treat this line as the
      // next command.
      reply(std::string("ERROR ") + name + " ended by " + quoted(text) + " without DONE; position unchanged");
      pending_ = std::move(l);
      return Next::Continue;
    }
    int64_t v[3];
    if (!parse_ints(text, 3, v)) {
      if (error.empty()) error = "line " + quoted(text) + " is not x,y,field";
      continue;
    }
    entries.push_back({v[0], v[1], v[2]});
  }
  if (swap2) {
    reply("ERROR SWAP2BOARD is not supported");
    return Next::Continue;
  }
  if (!error.empty()) {
    reply("ERROR BOARD: " + error + "; position unchanged");
    return Next::Continue;
  }
  if (!require_game()) return Next::Continue;

  // Validate everything before touching the game.
  const int size = session_->board().size();
  std::vector<Move> own, opp;
  std::set<Move> seen;
  for (const Entry& e : entries) {
    const std::string at = std::to_string(e.x) + "," + std::to_string(e.y);
    if (e.x < 0 || e.y < 0 || e.x >= size || e.y >= size) {
      reply("ERROR BOARD: " + at + " is off the " + std::to_string(size) + "x" + std::to_string(size) +
            " board; position unchanged");
      return Next::Continue;
    }
    const Move m = static_cast<Move>(e.y * size + e.x);
    if (!seen.insert(m).second) {
      reply("ERROR BOARD: " + at + " is given twice; position unchanged");
      return Next::Continue;
    }
    if (e.field == 1) {
      own.push_back(m);
    } else if (e.field == 2) {
      opp.push_back(m);
    } else if (e.field == 3) {
      reply("ERROR BOARD: field 3 at " + at + " (continuous game) is not supported; position unchanged");
      return Next::Continue;
    } else {
      reply("ERROR BOARD: field " + std::to_string(e.field) + " at " + at + " is not 1, 2 or 3; position unchanged");
      return Next::Continue;
    }
  }
  // The engine moves next, so it has as many stones as the opponent (it is Black) or one fewer.
  const bool own_is_black = own.size() == opp.size();
  if (!own_is_black && opp.size() != own.size() + 1) {
    reply("ERROR BOARD: " + std::to_string(own.size()) + " own and " + std::to_string(opp.size()) +
          " opponent stones; the side to move must have as many stones as the other or one fewer; position unchanged");
    return Next::Continue;
  }
  // Replay in the order given (managers send stones in move order), alternating colours.
  const std::vector<Move>& black = own_is_black ? own : opp;
  const std::vector<Move>& white = own_is_black ? opp : own;
  Board board(size, session_->board().rule());
  for (size_t i = 0; i < black.size() + white.size(); ++i) {
    const Move m = (i % 2 == 0) ? black[i / 2] : white[i / 2];
    if (!board.is_legal(m)) {
      reply("ERROR BOARD: the position already has five in a row; position unchanged");
      return Next::Continue;
    }
    board.play(m);
  }
  if (board.is_over()) {
    reply(std::string("ERROR BOARD: the position is already ") +
          (board.outcome() == Outcome::Draw ? "a full board" : "won") + "; position unchanged");
    return Next::Continue;
  }
  session_->set_board(board);
  think_and_reply();
  return Next::Continue;
}

void PiskvorkEngine::handle_info(const std::string& args) {
  const size_t space = args.find_first_of(" \t");
  const std::string key = lower(args.substr(0, space));
  const std::string value = space == std::string::npos ? "" : trim(args.substr(space));
  int64_t number = 0;
  const bool is_number = parse_number(value, &number);
  const auto bad_number = [&](const std::string& kept) {
    info_problem(key + ": " + quoted(value) + " is not an integer; keeping " + kept);
  };

  if (key == "time_left") {
    if (!is_number) return bad_number(time_left_ms_ ? std::to_string(*time_left_ms_) : "no clock");
    time_left_ms_ = number;  // may be negative: the engine is already late
  } else if (key == "max_memory") {
    if (!is_number) return bad_number(std::to_string(max_memory_bytes_));
    if (number < 0) return info_problem("max_memory: " + quoted(value) + " is negative; keeping " + std::to_string(max_memory_bytes_));
    max_memory_bytes_ = number;
  } else if (key == "rule") {
    const Rule old_rule = settings_.game.rule;
    if (!is_number) return bad_number(rule_name(old_rule));
    if (number < 0 || number > 15)
      return info_problem("rule " + value + " is not a protocol rule bit field; keeping " + rule_name(old_rule));
    if (number & 4) return info_problem("rule " + value + ": renju is not supported; keeping " + rule_name(old_rule));
    if (number & 8) return info_problem("rule " + value + ": caro is not supported; keeping " + rule_name(old_rule));
    // Bit 2 (continuous game) only matters to the manager after a five; play as usual.
    const Rule rule = (number & 1) ? Rule::Standard : Rule::Freestyle;
    try {
      session_->set_rule(rule);
    } catch (const std::exception& e) {
      return info_problem(std::string("rule: ") + e.what() + "; keeping " + rule_name(old_rule));
    }
    settings_.game.rule = rule;
  } else if (key == "game_type") {
    if (!is_number) return bad_number(std::to_string(game_type_));
    game_type_ = static_cast<int>(number);
  } else if (key == "folder") {
    folder_ = value;
  } else if (key == "evaluate") {
    // The mouse position in a GUI manager: nothing to do.
  } else if (const OptionSpec* spec = find_option_by_info_key(key)) {
    const std::string problem = check_option_value(*spec, value);
    if (!problem.empty()) return info_problem(key + " (" + spec->key() + "): " + problem + "; keeping " + spec->get(settings_));
    set_option(settings_, *spec, value, "(INFO " + key + ")");
  } else {
    spdlog::debug("piskvork: INFO {} ignored", key);  // the protocol says unknown keys are ignored
  }
}

// The protocol does not answer INFO: a manager would take an ERROR here for the reply to its
// next command. So a bad value is shown as a MESSAGE (and logged) and otherwise ignored.
void PiskvorkEngine::info_problem(const std::string& text) { message("INFO " + text + " (ignored)"); }

void PiskvorkEngine::apply_memory_limit() {
  size_t mb = settings_.search.max_memory_mb;
  if (max_memory_bytes_ > 0) {
    const size_t overhead = estimated_overhead_bytes(settings_.evaluator, session_->board().size());
    const size_t total = static_cast<size_t>(max_memory_bytes_);
    mb = total > overhead ? (total - overhead) >> 20 : 0;
    if (mb < 8)
      spdlog::warn("max_memory {} bytes leaves {} MiB for the tree after ~{} MiB overhead; using 8 MiB",
                   max_memory_bytes_, mb, overhead >> 20);
    mb = std::max<size_t>(mb, 8);
  }
  if (mb != applied_memory_mb_) {
    SearchParams params = settings_.search;
    params.max_memory_mb = mb;
    session_->set_search_params(params);
    applied_memory_mb_ = mb;
    spdlog::info("search tree limited to {} MiB", mb);
  }
}

void PiskvorkEngine::think_and_reply() {
  const Board& board = session_->board();
  if (board.is_over()) {
    reply("ERROR the game is over; send RESTART or START");
    return;
  }
  apply_memory_limit();

  TimeControl control;
  control.turn_ms = settings_.time.turn_ms;
  control.match_ms = settings_.time.match_ms;
  control.time_left_ms = time_left_ms_;
  if (!control.time_left_ms && control.match_ms > 0) control.time_left_ms = control.match_ms - used_ms_;
  const MoveBudget budget = plan_move(settings_.time, control, board.cells() - board.move_count());

  SearchLimits limits = settings_.limits;
  const double budget_s = static_cast<double>(budget.budget_ms) / 1000.0;
  limits.seconds = limits.seconds > 0 ? std::min(limits.seconds, budget_s) : budget_s;
  if (ending_) limits = SearchLimits{0, 1, 0.0};  // END is queued: answer at once

  const auto start = Clock::now();
  Move move = kNoMove;
  try {
    const ThinkResult r = session_->think(limits);
    move = r.move;
    spdlog::info("move {}: {} value {:+.3f} visits {} playouts {} in {:.3f}s (budget {} ms)",
                 board.move_count() + 1, move_text(move), r.search.value, r.search.root_visits,
                 r.search.playouts, r.search.seconds, budget.budget_ms);
  } catch (const std::exception& e) {
    // A failed evaluator must not forfeit the game: answer with a legal move and say why.
    spdlog::error("search failed: {}; playing a fallback move", e.what());
    const std::vector<Move> legal = board.legal_moves();
    const Move centre = board.move_at(board.size() / 2, board.size() / 2);
    move = std::find(legal.begin(), legal.end(), centre) != legal.end() ? centre : legal.front();
  }
  const int64_t elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  used_ms_ += elapsed_ms;
  // Counted down without overflow: INFO time_left may be any int64, its least included.
  if (time_left_ms_)
    *time_left_ms_ = *time_left_ms_ < std::numeric_limits<int64_t>::min() + elapsed_ms
                         ? std::numeric_limits<int64_t>::min()
                         : *time_left_ms_ - elapsed_ms;
  session_->play(move);
  reply(move_text(move));
}

}  // namespace hearth
