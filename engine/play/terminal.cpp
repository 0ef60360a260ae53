#include "engine/util/text.h"
#include "engine/play/terminal.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <istream>
#include <ostream>

#include "engine/search/time_manager.h"

namespace hearth {
namespace {

char stone_char(Stone s) { return s == Stone::Black ? 'X' : 'O'; }

}  // namespace

std::optional<Move> parse_human_move(const std::string& raw, int size, std::string* error) {
  const std::string text = trim(raw);
  int x = 0, y = 0;
  bool parsed = false;
  if (!text.empty() && std::isalpha(static_cast<unsigned char>(text[0]))) {
    // "h8": column letter, row number from 1.
    int row = 0;
    if (parse_int(text.substr(1), &row)) {
      x = std::tolower(static_cast<unsigned char>(text[0])) - 'a';
      y = row - 1;
      parsed = true;
    }
  } else {
    const size_t sep = text.find_first_of(", \t");
    if (sep != std::string::npos) {
      const std::string a = trim(text.substr(0, sep));
      std::string b = trim(text.substr(sep + 1));
      if (!b.empty() && b[0] == ',' && text[sep] != ',') b = trim(b.substr(1));  // "7 , 8"
      parsed = parse_int(a, &x) && parse_int(b, &y);
    }
  }
  if (!parsed) {
    if (error) *error = "cannot read '" + text + "' as a move (type e.g. 7,7 or 7 7 or h8; 'help' for more)";
    return std::nullopt;
  }
  if (x < 0 || y < 0 || x >= size || y >= size) {
    if (error)
      *error = "'" + text + "' is off the " + std::to_string(size) + "x" + std::to_string(size) + " board";
    return std::nullopt;
  }
  return y * size + x;
}

std::string board_picture(const Board& b) {
  const int n = b.size();
  std::string letters = "    ";
  for (int x = 0; x < n; ++x) letters += std::string(x == 0 ? " " : "  ") + static_cast<char>('a' + x);
  letters += "\n";
  std::string s = letters;
  const Move last = b.last_move();
  for (int y = 0; y < n; ++y) {
    const std::string row = std::to_string(y + 1);
    s += std::string(3 - row.size(), ' ') + row + " ";
    for (int x = 0; x < n; ++x) {
      const Stone st = b.at(x, y);
      const bool is_last = b.move_at(x, y) == last;
      s += is_last ? '[' : ' ';
      s += st == Stone::Black ? 'X' : st == Stone::White ? 'O' : '.';
      s += is_last ? ']' : ' ';
    }
    s += " " + row + "\n";
  }
  return s + letters;
}

std::string human_move_name(Move m, int size) {
  const int x = m % size, y = m / size;
  return std::to_string(x) + "," + std::to_string(y) + " (" + static_cast<char>('a' + x) + std::to_string(y + 1) + ")";
}

TerminalPlay::TerminalPlay(Settings settings, std::istream& in, std::ostream& out)
    : settings_(std::move(settings)), in_(in), out_(out), session_(settings_.search, settings_.evaluator) {}

void TerminalPlay::show_help() {
  out_ << "Moves: h8 (column letter, row number: the labels on the board's edges), or x,y / x y\n"
          "counted from 0 (the protocol's coordinates: h8 = 7,7). Commands: undo, new, swap (the\n"
          "engine plays the side to move), help, quit.\n";
}

void TerminalPlay::show_board() { out_ << "\n" << board_picture(session_.board()) << "\n"; }

SearchLimits TerminalPlay::limits_for_move() const {
  const Board& b = session_.board();
  TimeControl control;
  control.turn_ms = settings_.time.turn_ms;
  control.match_ms = settings_.time.match_ms;
  if (control.match_ms > 0) control.time_left_ms = control.match_ms - engine_used_ms_;
  const MoveBudget budget = plan_move(settings_.time, control, b.cells() - b.move_count());
  SearchLimits limits = settings_.limits;
  const double budget_s = static_cast<double>(budget.budget_ms) / 1000.0;
  limits.seconds = limits.seconds > 0 ? std::min(limits.seconds, budget_s) : budget_s;
  return limits;
}

void TerminalPlay::engine_move() {
  const int size = session_.board().size();
  out_ << "Hearth (" << stone_char(engine_side_) << ") is thinking..." << std::endl;
  const auto start = std::chrono::steady_clock::now();
  ThinkResult r;
  try {
    r = session_.think(limits_for_move());
  } catch (const std::exception& e) {
    out_ << "The engine failed: " << e.what() << "\nType 'undo', 'new' or 'quit'.\n";
    engine_side_ = opponent(session_.board().to_move());  // hand the move back to the person
    return;
  }
  engine_used_ms_ += std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  session_.play(r.move);
  char stats[96];
  std::snprintf(stats, sizeof(stats), "value %+.2f (its view), %lld visits, %.2f s", r.search.value,
                static_cast<long long>(r.search.root_visits), r.search.seconds);
  out_ << "Hearth plays " << human_move_name(r.move, size) << "  " << stats << "\n";
}

int TerminalPlay::run() {
  const int size = settings_.game.board_size;
  try {
    session_.new_game(size, settings_.game.rule);
  } catch (const std::exception& e) {
    out_ << "Cannot start a game: " << e.what() << "\n";
    return 1;
  }
  out_ << "Hearth: " << size << "x" << size << " " << rule_name(settings_.game.rule) << " gomoku, evaluator "
       << session_.evaluator().spec().description << ". You play X (first).\n";
  show_help();
  bool redraw = true;
  for (;;) {
    const Board& board = session_.board();
    if (!board.is_over() && board.to_move() == engine_side_) {
      engine_move();
      redraw = true;
      continue;
    }
    if (redraw) show_board();
    redraw = false;
    if (board.is_over()) {
      const Outcome o = board.outcome();
      const Stone winner = o == Outcome::BlackWin ? Stone::Black : Stone::White;
      if (o == Outcome::Draw)
        out_ << "Game over: a draw.";
      else
        out_ << "Game over: " << (winner == engine_side_ ? "Hearth" : "you") << " (" << stone_char(winner) << ") won.";
      out_ << " Type new, undo or quit.\n";
    }
    out_ << (board.is_over() ? "> " : std::string("Your move (") + stone_char(board.to_move()) + "): ") << std::flush;
    std::string line;
    if (!std::getline(in_, line)) {
      out_ << "\n";
      return 0;
    }
    const std::string cmd = trim(line);
    if (cmd.empty()) continue;
    if (cmd == "quit" || cmd == "exit" || cmd == "q") return 0;
    if (cmd == "help" || cmd == "?") {
      show_help();
    } else if (cmd == "new") {
      session_.new_game(size, settings_.game.rule);
      engine_side_ = Stone::White;
      engine_used_ms_ = 0;
      out_ << "New game. You play X (first).\n";
      redraw = true;
    } else if (cmd == "swap") {
      if (board.is_over()) {
        out_ << "The game is over: type new, undo or quit.\n";
        continue;
      }
      engine_side_ = board.to_move();
      out_ << "Hearth now plays " << stone_char(engine_side_) << ", you play " << stone_char(opponent(engine_side_)) << ".\n";
    } else if (cmd == "undo") {
      if (board.move_count() == 0) {
        out_ << "Nothing to undo.\n";
        continue;
      }
      // Back to the person's turn: their last move and the engine's answer to it.
      session_.undo();
      if (session_.board().to_move() == engine_side_ && session_.board().move_count() > 0) session_.undo();
      out_ << "Taken back.\n";
      redraw = true;
    } else {
      std::string error;
      const std::optional<Move> m = parse_human_move(cmd, size, &error);
      if (!m) {
        out_ << error << "\n";
      } else if (board.is_over()) {
        out_ << "The game is over: type new, undo or quit.\n";
      } else if (board.at(*m) != Stone::Empty) {
        out_ << human_move_name(*m, size) << " is occupied.\n";
      } else {
        session_.play(*m);
        redraw = true;
      }
    }
  }
}

}  // namespace hearth
