// The piskvork protocol, driven in-process through streams: scripted sessions (tests/data/
// piskvork_*.txt), malformed input that must leave the game unchanged, END during a long think,
// and whole games.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/logging.h"
#include "engine/play/piskvork.h"

using namespace hearth;

namespace {

const std::string kData = HEARTH_TEST_DATA_DIR;

// Small, fast settings: few visits, one thread, a small cache.
Settings fast_settings(const std::string& plugin = "uniform", int64_t visits = 20) {
  static const bool logging = (setup_logging(LogSettings{"warn", ""}), true);
  (void)logging;
  Settings s;
  s.evaluator.plugin = plugin;
  s.evaluator.cache_entries = 1000;
  s.search.threads = 1;
  s.search.seed = 7;
  s.limits.visits = visits;
  s.time.turn_ms = 30000;
  return s;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct Run {
  std::vector<std::string> replies;
  Board board;
  bool has_game = false;
};

// Runs a whole input through a fresh engine (no END needed: end of input ends it).
Run run_input(const std::string& input, const Settings& settings = fast_settings()) {
  std::istringstream in(input);
  std::ostringstream out;
  PiskvorkEngine engine(settings, in, out);
  CHECK(engine.run() == 0);
  return {split_lines(out.str()), engine.board(), engine.has_game()};
}

// '*' matches any run of characters.
bool glob(const char* pattern, const char* text) {
  if (*pattern == '\0') return *text == '\0';
  if (*pattern == '*') return glob(pattern + 1, text) || (*text && glob(pattern, text + 1));
  return *text == *pattern && glob(pattern + 1, text + 1);
}

bool parse_move(const std::string& reply, int size, int* x, int* y) {
  char tail = 0;
  return std::sscanf(reply.c_str(), "%d,%d%c", x, y, &tail) == 2 && *x >= 0 && *y >= 0 && *x < size && *y < size;
}

// An input stream the test writes to while the engine reads it (blocks until data or close).
class PipeBuf : public std::streambuf {
 public:
  void write(const std::string& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    data_ += s;
    cv_.notify_all();
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    cv_.notify_all();
  }

 protected:
  int_type underflow() override {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return pos_ < data_.size() || closed_; });
    if (pos_ >= data_.size()) return traits_type::eof();
    ch_ = data_[pos_++];
    setg(&ch_, &ch_, &ch_ + 1);
    return traits_type::to_int_type(ch_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string data_;
  size_t pos_ = 0;
  bool closed_ = false;
  char ch_ = 0;
};

// An output stream whose complete lines the test can wait for.
class LineSink : public std::streambuf {
 public:
  std::optional<std::string> next_line(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !lines_.empty(); })) return std::nullopt;
    std::string l = lines_.front();
    lines_.pop_front();
    return l;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    std::lock_guard<std::mutex> lock(mutex_);
    if (c == '\n') {
      lines_.push_back(partial_);
      partial_.clear();
      cv_.notify_all();
    } else {
      partial_ += static_cast<char>(c);
    }
    return c;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string partial_;
  std::deque<std::string> lines_;
};

// An engine on its own thread, talked to line by line.
struct LiveEngine {
  PipeBuf in_buf;
  LineSink out_buf;
  std::istream in{&in_buf};
  std::ostream out{&out_buf};
  PiskvorkEngine engine;
  std::thread thread;
  std::atomic<bool> finished{false};

  explicit LiveEngine(const Settings& s) : engine(s, in, out) {
    thread = std::thread([this] {
      engine.run();
      finished = true;
    });
  }
  ~LiveEngine() { finish(); }
  // Ends the input and waits for run() to return; engine.board() may be read afterwards.
  void finish() {
    in_buf.close();
    if (thread.joinable()) thread.join();
  }
  void send(const std::string& line) { in_buf.write(line + "\n"); }
  std::string reply(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto l = out_buf.next_line(timeout);
    REQUIRE_MESSAGE(l.has_value(), "no reply from the engine within " << timeout.count() << " s");
    return *l;
  }
  // The next line that is not a MESSAGE (MESSAGE lines are shown by managers, never replies).
  std::string answer(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    for (;;) {
      std::string l = reply(timeout);
      if (l.rfind("MESSAGE", 0) != 0) return l;
    }
  }
};

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// The replies that are not MESSAGE lines.
std::vector<std::string> answers_of(const std::vector<std::string>& replies) {
  std::vector<std::string> out;
  for (const std::string& r : replies)
    if (!starts_with(r, "MESSAGE")) out.push_back(r);
  return out;
}

// Runs a script file (format in tests/data/piskvork_basic.txt) against a live engine and checks
// every reply.
void run_script_file(const std::string& name) {
  std::ifstream file(kData + "/" + name);
  REQUIRE_MESSAGE(file, "cannot read " << name);
  CAPTURE(name);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);

  LiveEngine live(fast_settings());
  int size = 15;
  std::set<std::pair<int, int>> used;  // squares named since the last START: maybe occupied
  std::pair<int, int> sent{-1, -1}, last{-1, -1};
  const auto square = [](std::pair<int, int> p) { return std::to_string(p.first) + "," + std::to_string(p.second); };
  const auto replace = [](std::string text, const std::string& from, const std::string& to) {
    for (size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
    return text;
  };
  std::vector<std::string> checks;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    CAPTURE(line);
    if (line.rfind("> ", 0) == 0 || line == ">") {
      std::string cmd = line.size() > 2 ? line.substr(2) : "";
      if (cmd.find("@free") != std::string::npos) {
        for (int k = 0; k < size * size; ++k)
          if (!used.count({k % size, k / size})) {
            sent = {k % size, k / size};
            break;
          }
        cmd = replace(cmd, "@free", square(sent));
      }
      cmd = replace(replace(cmd, "@sent", square(sent)), "@last", square(last));
      int a = 0, b = 0;
      if (std::sscanf(cmd.c_str(), "START %d", &a) == 1 || std::sscanf(cmd.c_str(), "RECTSTART %d,%d", &a, &b) == 2 ||
          cmd == "RESTART") {
        if (a >= Board::kMinSize && a <= Board::kMaxSize && (b == 0 || b == a)) size = a;
        used.clear();
      }
      const size_t comma = cmd.find(',');
      if (comma != std::string::npos) {
        const size_t begin = cmd.find_last_of(' ', comma);
        if (std::sscanf(cmd.c_str() + (begin == std::string::npos ? 0 : begin + 1), "%d,%d", &a, &b) == 2)
          used.insert({a, b});
      }
      live.send(cmd);
    } else if (line.rfind("< ", 0) == 0) {
      const std::string expected = replace(line.substr(2), "@sent", square(sent));
      const std::string reply = live.reply();
      CAPTURE(reply);
      int x, y;
      if (parse_move(reply, size, &x, &y)) {
        last = {x, y};
        used.insert(last);
      }
      if (expected == "MOVE")
        CHECK(parse_move(reply, size, &x, &y));
      else
        CHECK(glob(expected.c_str(), reply.c_str()));
    } else if (line.rfind("= ", 0) == 0) {
      checks.push_back(line.substr(2));
    }
  }
  live.finish();
  CHECK(live.out_buf.next_line(std::chrono::seconds(0)) == std::nullopt);  // no reply unaccounted for
  for (const std::string& c : checks) {
    CAPTURE(c);
    int n = 0;
    char rule[32];
    if (std::sscanf(c.c_str(), "stones %d", &n) == 1)
      CHECK(live.engine.board().move_count() == n);
    else if (std::sscanf(c.c_str(), "rule %31s", rule) == 1)
      CHECK(std::string(rule_name(live.engine.board().rule())) == rule);
    else
      FAIL("bad check line");
  }
}

}  // namespace

TEST_CASE("read_protocol_line: CR LF, a last line without newline, overlong lines, EOF") {
  std::istringstream in("abc\r\ndef\n" + std::string(100, 'x') + "\nlast");
  std::string line;
  CHECK(read_protocol_line(in, &line, 50) == LineStatus::Ok);
  CHECK(line == "abc");
  CHECK(read_protocol_line(in, &line, 50) == LineStatus::Ok);
  CHECK(line == "def");
  CHECK(read_protocol_line(in, &line, 50) == LineStatus::TooLong);
  CHECK(read_protocol_line(in, &line, 50) == LineStatus::Ok);
  CHECK(line == "last");
  CHECK(read_protocol_line(in, &line, 50) == LineStatus::Eof);
}

TEST_CASE("read_protocol_line: an overlong line keeps its first bytes after its leading blanks") {
  std::istringstream in("  \t INFO folder " + std::string(200, 'x') + "\n" + std::string(300, ' ') + "\n");
  std::string line;
  CHECK(read_protocol_line(in, &line, 50) == LineStatus::TooLong);
  CHECK(line == ("INFO folder " + std::string(200, 'x')).substr(0, kTooLongPrefixBytes));
  CHECK(read_protocol_line(in, &line, 50) == LineStatus::TooLong);
  CHECK(line.empty());
  CHECK(is_end_line(" end \r"));
  CHECK_FALSE(is_end_line("END 1"));
  CHECK_FALSE(is_end_line("ENDX"));
}

TEST_CASE("scripted sessions") {
  SUBCASE("every command") { run_script_file("piskvork_basic.txt"); }
  SUBCASE("malformed and illegal input") { run_script_file("piskvork_errors.txt"); }
  SUBCASE("bad BOARD blocks") { run_script_file("piskvork_board.txt"); }
  SUBCASE("good BOARD block") { run_script_file("piskvork_board_good.txt"); }
}

TEST_CASE("an occupied TURN is refused and the game is unchanged; a valid TURN then works") {
  LiveEngine live(fast_settings());
  live.send("START 9");
  REQUIRE(live.reply() == "OK");
  live.send("TURN 4,4");
  int x1, y1, x2, y2;
  REQUIRE(parse_move(live.reply(), 9, &x1, &y1));
  live.send("TURN " + std::to_string(x1) + "," + std::to_string(y1));  // the engine's own stone
  CHECK(live.reply().rfind("ERROR", 0) == 0);
  live.send("TURN 4,4");
  CHECK(live.reply().rfind("ERROR", 0) == 0);
  const int fx = (x1 == 0 && y1 == 0) ? 1 : 0;  // a square neither side has played
  live.send("TURN " + std::to_string(fx) + ",0");
  REQUIRE(parse_move(live.reply(), 9, &x2, &y2));
  live.finish();
  const Board& board = live.engine.board();
  // Exactly four stones: the refused TURNs added none; the engine's moves are where it said.
  REQUIRE(board.move_count() == 4);
  const auto& h = board.history();
  CHECK(h[0] == board.move_at(4, 4));
  CHECK(h[1] == board.move_at(x1, y1));
  CHECK(h[2] == board.move_at(fx, 0));
  CHECK(h[3] == board.move_at(x2, y2));
}

TEST_CASE("a bad BOARD leaves the game in progress exactly as it was") {
  const std::vector<std::string> blocks = {
      "BOARD\n0,0,1\n0,0,2\nDONE",          // a square twice
      "BOARD\n3,3,1",                         // no DONE before the end of input
      "BOARD\n3,3,1\nTURNX",                 // cut short by another line
      "BOARD\n30,3,1\nDONE",                 // off the board
      "BOARD\n1,1,1\n1,2,1\n1,3,1\nDONE",  // the engine would have three stones more
      "BOARD\n1,1,1\n1,x,1\nDONE",          // garbage inside
  };
  for (const std::string& block : blocks) {
    CAPTURE(block);
    LiveEngine live(fast_settings());
    live.send("START 9");
    REQUIRE(live.reply() == "OK");
    live.send("TURN 4,4");
    int x, y;
    REQUIRE(parse_move(live.reply(), 9, &x, &y));
    live.send(block);
    live.finish();  // end of input: the block without DONE is answered then
    CHECK(live.reply().rfind("ERROR", 0) == 0);
    const Board& board = live.engine.board();
    CHECK(board.history() == std::vector<Move>{board.move_at(4, 4), board.move_at(x, y)});
  }
}

TEST_CASE("BOARD colours: own stones are the engine's, and the engine moves next") {
  // Engine has 1 stone, opponent 2: the engine is White and its new stone is White.
  const Run run = run_input("START 9\nBOARD\n4,4,2\n5,5,1\n3,3,2\nDONE\n");
  REQUIRE(run.replies.size() == 2);
  int x, y;
  REQUIRE(parse_move(run.replies[1], 9, &x, &y));
  CHECK(run.board.move_count() == 4);
  CHECK(run.board.at(4, 4) == Stone::Black);
  CHECK(run.board.at(3, 3) == Stone::Black);
  CHECK(run.board.at(5, 5) == Stone::White);
  CHECK(run.board.at(x, y) == Stone::White);
  // Equal counts: the engine is Black.
  const Run black = run_input("START 9\nBOARD\n4,4,1\n5,5,2\nDONE\n");
  REQUIRE(parse_move(black.replies.at(1), 9, &x, &y));
  CHECK(black.board.at(4, 4) == Stone::Black);
  CHECK(black.board.at(x, y) == Stone::Black);
}

TEST_CASE("CR LF line ends, lowercase commands, blank lines and an overlong line") {
  const std::string longline(kMaxLineBytes + 10, 'A');
  const Run run = run_input("start 9\r\n\r\n   \ninfo timeout_turn 3000\r\n" + longline + "\nabout\r\nturn 2,3\r\n");
  REQUIRE(run.replies.size() == 4);
  CHECK(run.replies[0] == "OK");
  CHECK(run.replies[1].rfind("ERROR line longer than", 0) == 0);
  CHECK(run.replies[2].rfind("name=\"Hearth\"", 0) == 0);
  int x, y;
  CHECK(parse_move(run.replies[3], 9, &x, &y));
  CHECK(run.board.at(2, 3) == Stone::Black);
}

TEST_CASE("garbage bytes get one reply each and nothing breaks") {
  std::string junk = "\x01\x02\xff\xfe";
  junk += '\0';
  junk += "zz";
  const Run run = run_input(junk + "\n,,,\n12,\nSTART 7\n");
  REQUIRE(run.replies.size() == 4);
  CHECK(run.replies[0].rfind("UNKNOWN", 0) == 0);
  CHECK(run.replies[0].find('\xff') == std::string::npos);  // echoed input is sanitized
  CHECK(run.replies[3] == "OK");
  CHECK(run.has_game);
}

TEST_CASE("END stops the engine: nothing after it is served") {
  const Run run = run_input("START 9\nEND\nABOUT\nSTART 10\n");
  CHECK(run.replies == std::vector<std::string>{"OK"});
  CHECK(run.board.size() == 9);
}

TEST_CASE("INFO rule switches between freestyle and standard; renju keeps the previous rule") {
  const Run run = run_input("START 9\nINFO rule 1\nINFO rule 4\nTURN 4,4\n");
  REQUIRE(run.replies.size() == 3);
  CHECK(run.replies[1].find("renju") != std::string::npos);
  CHECK(run.board.rule() == Rule::Standard);
  CHECK(run.board.move_count() == 2);
  // A rule given before START applies to the game START begins.
  const Run before_start = run_input("INFO rule 3\nSTART 9\n");
  CHECK(before_start.board.rule() == Rule::Standard);
  const Run back = run_input("START 9\nINFO rule 1\nINFO rule 0\n");
  CHECK(back.board.rule() == Rule::Freestyle);
}

TEST_CASE("START with a size the plugin refuses, or an unknown plugin, is an ERROR, not a crash") {
  Settings s = fast_settings("no_such_plugin_xyz");
  const Run run = run_input("START 9\nBEGIN\n", s);
  REQUIRE(run.replies.size() == 2);
  CHECK(run.replies[0].rfind("ERROR", 0) == 0);
  CHECK(run.replies[0].find("no_such_plugin_xyz") != std::string::npos);
  CHECK(run.replies[1].rfind("ERROR", 0) == 0);
  CHECK_FALSE(run.has_game);
}

TEST_CASE("END during a long think returns promptly") {
  Settings s = fast_settings("heuristic", 0);  // no visit limit: only the clock or END stops it
  s.time.turn_ms = 600000;
  LiveEngine live(s);
  live.send("START 15");
  CHECK(live.reply() == "OK");
  live.send("BEGIN");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the think get going
  REQUIRE(live.out_buf.next_line(std::chrono::seconds(0)) == std::nullopt);  // still thinking
  const auto start = std::chrono::steady_clock::now();
  live.send("END");
  while (!live.finished && std::chrono::steady_clock::now() - start < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(live.finished);
  CHECK(seconds < 5.0);  // the protocol asks for 1 s; the bound is loose against a loaded machine
}

TEST_CASE("whole games on 9x9 finish with legal moves (heuristic and uniform)") {
  for (const char* plugin : {"heuristic", "uniform"}) {
    CAPTURE(plugin);
    LiveEngine live(fast_settings(plugin, 30));
    live.send("START 9");
    REQUIRE(live.reply() == "OK");
    Board board(9);
    live.send("BEGIN");
    // The opponent plays the first empty square of a fixed scan: a weak but legal player.
    for (int turn = 0; turn < 81 && !board.is_over(); ++turn) {
      const std::string reply = live.reply();
      int x, y;
      REQUIRE_MESSAGE(parse_move(reply, 9, &x, &y), reply);
      REQUIRE(board.is_legal(board.move_at(x, y)));
      board.play(board.move_at(x, y));
      if (board.is_over()) break;
      Move mine = kNoMove;
      for (Move m = 0; m < board.cells() && mine == kNoMove; ++m)
        if (board.is_legal(m)) mine = m;
      Board after = board;
      after.play(mine);
      if (after.is_over()) {
        board = after;  // the engine would have nothing to answer with
        break;
      }
      board.play(mine);
      live.send("TURN " + std::to_string(board.x_of(mine)) + "," + std::to_string(board.y_of(mine)));
    }
    CHECK(board.is_over());
    live.send("END");
  }
}

TEST_CASE("engine session: the evaluator is remade only when the size or rule changes") {
  EngineSession session(fast_settings().search, fast_settings().evaluator);
  CHECK_FALSE(session.has_game());
  session.new_game(9, Rule::Freestyle);
  const Evaluator* first = &session.evaluator();
  REQUIRE(session.play(session.board().move_at(4, 4)));
  CHECK_FALSE(session.play(session.board().move_at(4, 4)));  // occupied: refused
  session.new_game(9, Rule::Freestyle);
  CHECK(&session.evaluator() == first);
  CHECK(session.board().move_count() == 0);
  session.new_game(11, Rule::Freestyle);
  CHECK(&session.evaluator() != first);
  const Evaluator* second = &session.evaluator();
  session.set_rule(Rule::Standard);
  CHECK(&session.evaluator() != second);
  CHECK(session.board().rule() == Rule::Standard);
  CHECK_THROWS_AS(session.new_game(4, Rule::Freestyle), std::invalid_argument);
  CHECK(session.board().size() == 11);  // unchanged by the failed call
  const ThinkResult r = session.think(SearchLimits{10, 0, 0.0});
  CHECK(session.board().is_legal(r.move));
}

// Issue 17: the protocol does not answer INFO. An ERROR here would be read by a manager as the
// reply to its next command (a TURN, say) and desynchronise the game.
TEST_CASE("INFO is never answered: a bad value is a MESSAGE line, ignored, the old value kept") {
  const std::string huge_info = "INFO folder " + std::string(kMaxLineBytes + 100, 'x');
  const Run run = run_input(
      "START 9\nINFO timeout_turn 300\nINFO timeout_turn abc\nINFO rule 4\nINFO rule x\nINFO max_memory -1\n"
      "INFO time_left soon\nINFO game_type x\nINFO timeout_match -3\nINFO timeout_turn +-5\nINFO\n" +
      huge_info + "\nTURN 4,4\n");
  for (const std::string& r : run.replies) CHECK_FALSE(starts_with(r, "ERROR"));
  const std::vector<std::string> answers = answers_of(run.replies);
  REQUIRE(answers.size() == 2);
  CHECK(answers[0] == "OK");
  int x, y;
  CHECK(parse_move(answers[1], 9, &x, &y));
  // Each bad value is said once, as a MESSAGE naming what is kept.
  const std::vector<std::string> messages = [&] {
    std::vector<std::string> m;
    for (const std::string& r : run.replies)
      if (starts_with(r, "MESSAGE ")) m.push_back(r);
    return m;
  }();
  REQUIRE(messages.size() == 9);
  CHECK(glob("MESSAGE INFO timeout_turn*'abc' is not an integer; keeping 300*", messages[0].c_str()));
  CHECK(glob("MESSAGE INFO rule 4: renju is not supported; keeping freestyle*", messages[1].c_str()));
  CHECK(glob("MESSAGE INFO timeout_turn*'+-5'*keeping 300*", messages[7].c_str()));
  CHECK(glob("MESSAGE INFO line longer than*", messages[8].c_str()));
  CHECK(run.board.rule() == Rule::Freestyle);
  CHECK(run.board.move_count() == 2);
}

TEST_CASE("a bad INFO between a manager's TURN and the engine's move does not become the reply") {
  LiveEngine live(fast_settings());
  live.send("START 9");
  REQUIRE(live.answer() == "OK");
  live.send("INFO timeout_turn abc");
  live.send("TURN 4,4");
  int x, y;
  CHECK_MESSAGE(parse_move(live.answer(), 9, &x, &y), "the TURN's reply must be a move");
  live.send("ABOUT");
  CHECK(starts_with(live.answer(), "name=\"Hearth\""));
  live.finish();
  CHECK(live.out_buf.next_line(std::chrono::seconds(0)) == std::nullopt);
}

// Issue 17: "BOARD 5" put the engine in board mode, taking the lines after it as stones.
TEST_CASE("a malformed BOARD line is answered at once and takes no line after it as data") {
  LiveEngine live(fast_settings());
  live.send("START 9");
  REQUIRE(live.answer() == "OK");
  live.send("BOARD 5");
  // A manager waits for this reply before it sends anything more.
  CHECK(starts_with(live.answer(std::chrono::seconds(10)), "ERROR BOARD takes no arguments"));
  live.send("1,1,1");
  CHECK(starts_with(live.answer(), "UNKNOWN"));
  live.send("DONE");
  CHECK(live.answer() == "ERROR DONE without BOARD");
  live.send("START 20");
  CHECK(live.answer() == "OK");
  live.finish();
  CHECK(live.engine.board().size() == 20);
  CHECK(live.engine.board().move_count() == 0);

  // The same piped: four commands, four replies, no move made from an empty "block".
  const Run piped = run_input("START 9\nBOARD 5\nDONE\nSTART 20\n");
  REQUIRE(piped.replies.size() == 4);
  CHECK(piped.replies[0] == "OK");
  CHECK(starts_with(piped.replies[1], "ERROR"));
  CHECK(starts_with(piped.replies[2], "ERROR"));
  CHECK(piped.replies[3] == "OK");
  CHECK(piped.board.size() == 20);
}

TEST_CASE("commands that take no arguments refuse them: one ERROR, nothing started, nothing ended") {
  for (const char* line : {"BEGIN 5", "RESTART now", "ABOUT me", "END 1", "BOARD 9", "SWAP2BOARD x", "DONE",
                           "board\t3", "begin ,"}) {
    CAPTURE(line);
    const Run run = run_input(std::string("START 9\n") + line + "\n4,4,1\nABOUT\n");
    REQUIRE(run.replies.size() == 4);
    CHECK(run.replies[0] == "OK");
    CHECK(starts_with(run.replies[1], "ERROR"));
    CHECK(starts_with(run.replies[2], "UNKNOWN"));  // the stone line is a line of its own
    CHECK(starts_with(run.replies[3], "name=\"Hearth\""));
    CHECK(run.board.move_count() == 0);
  }
}

TEST_CASE("overlong lines: one ERROR, none for INFO; inside BOARD an overlong stone spoils the block") {
  const std::string filler(kMaxLineBytes + 1, '7');
  const Run run = run_input("START 9\nTURN " + filler + "\nINFO folder " + filler + "\nBOARD\n1,1,2\n2," + filler +
                            "\nDONE\nBOARD\n1,1,2\nABOUT " + filler + "\nABOUT\n");
  const std::vector<std::string> answers = answers_of(run.replies);
  REQUIRE(answers.size() == 6);
  CHECK(answers[0] == "OK");
  CHECK(starts_with(answers[1], "ERROR line longer than"));  // the TURN
  CHECK(starts_with(answers[2], "ERROR BOARD: a line inside BOARD is longer"));  // the first block
  CHECK(starts_with(answers[3], "ERROR BOARD ended by"));  // the second block, cut by the overlong ABOUT
  CHECK(starts_with(answers[4], "ERROR line longer than"));  // the overlong ABOUT itself
  CHECK(starts_with(answers[5], "name="));
  CHECK(run.board.move_count() == 0);
}

TEST_CASE("numbers are an optional sign and digits") {
  const Run run = run_input("START 9\nTURN +-1,2\nTURN 0x1,2\nTURN 1 ,2\nSTART 0x9\n");
  REQUIRE(run.replies.size() == 5);
  CHECK(starts_with(run.replies[1], "ERROR"));
  CHECK(starts_with(run.replies[2], "ERROR"));
  int x, y;
  CHECK(parse_move(run.replies[3], 9, &x, &y));  // blanks around a number are fine
  CHECK(starts_with(run.replies[4], "ERROR"));
}

// Found by protocol_fuzz under UBSan: the clock was counted down past the least int64.
TEST_CASE("INFO time_left at the least int64 is counted down without overflow") {
  Settings s = fast_settings("uniform", 0);  // no visit limit: the clock decides
  s.time.turn_ms = 60000;
  LiveEngine live(s);
  live.send("START 9");
  REQUIRE(live.answer() == "OK");
  live.send("INFO timeout_match 1000000");
  live.send("INFO time_left -9223372036854775808");
  Board board(9);
  for (int turn = 0; turn < 3; ++turn) {
    CAPTURE(turn);
    // Late already: each move gets the least budget. Wrapped around, the clock would read
    // +9.2e18 ms and the next move would take the whole minute of its turn.
    const Move mine = board.legal_moves().back();
    board.play(mine);
    live.send("TURN " + std::to_string(board.x_of(mine)) + "," + std::to_string(board.y_of(mine)));
    const auto start = std::chrono::steady_clock::now();
    int x, y;
    REQUIRE(parse_move(live.answer(std::chrono::seconds(20)), 9, &x, &y));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    board.play(board.move_at(x, y));
  }
}

TEST_CASE("every line on stdout is printable, whatever a bad value held") {
  std::string junk = "INFO timeout_turn \x01\xff\x7f\x1b[2J";
  junk += '\0';
  junk += "x\r\nINFO rule \x80\nTURN \xfe,1\nSTART 9\n";
  const Run run = run_input(junk);
  REQUIRE(run.replies.size() == 4);  // two MESSAGE lines, the TURN's ERROR, START's OK
  for (const std::string& r : run.replies) {
    CAPTURE(r);
    for (unsigned char c : r) CHECK((c >= 0x20 && c < 0x7f));
  }
  CHECK(starts_with(run.replies[0], "MESSAGE INFO timeout_turn"));
  CHECK(starts_with(run.replies[1], "MESSAGE INFO rule"));
  CHECK(starts_with(run.replies[2], "ERROR"));
  CHECK(run.replies[3] == "OK");
}
