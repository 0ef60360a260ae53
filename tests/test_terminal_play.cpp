// `hearth play` driven through streams: move notations, clear messages for bad input, undo,
// swap, and a game played to its end.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "engine/config/logging.h"
#include "engine/play/terminal.h"

using namespace hearth;

namespace {

Settings play_settings() {
  static const bool logging = (setup_logging(LogSettings{"warn", ""}), true);
  (void)logging;
  Settings s;
  s.evaluator.plugin = "uniform";
  s.evaluator.cache_entries = 1000;
  s.search.threads = 1;
  s.limits.visits = 10;
  s.game.board_size = 9;
  return s;
}

std::string play(const std::string& input, const Settings& s = play_settings(), int* rc = nullptr) {
  std::istringstream in(input);
  std::ostringstream out;
  TerminalPlay session(s, in, out);
  const int status = session.run();
  if (rc) *rc = status;
  return out.str();
}

int count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("move notations: x,y and x y are 0-based, h8 is letter column and row from 1") {
  std::string error;
  CHECK(parse_human_move("7,7", 15, &error) == 7 * 15 + 7);
  CHECK(parse_human_move(" 3 , 5 ", 15, &error) == 5 * 15 + 3);
  CHECK(parse_human_move("3 5", 15, &error) == 5 * 15 + 3);
  CHECK(parse_human_move("h8", 15, &error) == 7 * 15 + 7);
  CHECK(parse_human_move("A1", 15, &error) == 0);
  CHECK(parse_human_move("o15", 15, &error) == 14 * 15 + 14);
  CHECK(human_move_name(7 * 15 + 7, 15) == "7,7 (h8)");

  CHECK_FALSE(parse_human_move("p1", 15, &error).has_value());
  CHECK(error.find("off the 15x15 board") != std::string::npos);
  CHECK_FALSE(parse_human_move("15,0", 15, &error).has_value());
  CHECK(error.find("off the") != std::string::npos);
  CHECK_FALSE(parse_human_move("-1,2", 15, &error).has_value());
  for (const char* junk : {"", "hello", "7", "7,", ",7", "7,7,7", "h", "h8x", "1.5,2"}) {
    CAPTURE(junk);
    CHECK_FALSE(parse_human_move(junk, 15, &error).has_value());
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("bad input gets a message and the game goes on") {
  const std::string out = play("hello\n99,99\nz1\n4,4\n4,4\nquit\n");
  CHECK(out.find("cannot read 'hello'") != std::string::npos);
  CHECK(out.find("'99,99' is off the 9x9 board") != std::string::npos);
  CHECK(out.find("'z1' is off the 9x9 board") != std::string::npos);
  CHECK(out.find("4,4 (e5) is occupied") != std::string::npos);
  CHECK(count(out, "Hearth plays") == 1);  // one legal move of ours, one answer
}

TEST_CASE("undo takes back the person's move and the engine's answer; swap hands the move over") {
  const std::string out = play("4,4\nundo\nundo\nswap\nquit\n");
  CHECK(count(out, "Taken back.") == 1);
  CHECK(out.find("Nothing to undo.") != std::string::npos);
  // After swap the engine plays X, the side to move on the empty board: its second move.
  CHECK(out.find("Hearth now plays X") != std::string::npos);
  CHECK(count(out, "Hearth plays") == 2);
}

TEST_CASE("a game played to its end says who won; moves after it are refused") {
  // The person tries every square in order; occupied ones are refused, so the game must end.
  std::string input;
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 9; ++x) input += std::to_string(x) + "," + std::to_string(y) + "\n";
  input += "new\nquit\n";
  const std::string out = play(input);
  CHECK(out.find("Game over: ") != std::string::npos);
  CHECK(out.find("New game.") != std::string::npos);
}

TEST_CASE("end of input ends the session cleanly; a bad plugin is a message, not a crash") {
  int rc = -1;
  play("4,4\n", play_settings(), &rc);
  CHECK(rc == 0);
  Settings bad = play_settings();
  bad.evaluator.plugin = "no_such_plugin_xyz";
  const std::string out = play("4,4\n", bad, &rc);
  CHECK(rc == 1);
  CHECK(out.find("no_such_plugin_xyz") != std::string::npos);
}

// Issue 17: the board was labelled 0-based on both edges while moves are typed "h8" (letter,
// row from 1): a person reading row "7" had to type 8.
TEST_CASE("the board is labelled the way moves are typed: letters across, rows from 1") {
  // The person types e5; the engine answers. In the picture, the X stands under 'e' in row 5.
  const std::string out = play("e5\nquit\n");
  CHECK(out.find("     a  b  c  d  e  f  g  h  i\n") != std::string::npos);
  std::istringstream lines(out);
  std::string header, row5;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("     a  b", 0) == 0) header = line;
    if (line.rfind("  5 ", 0) == 0) row5 = line;  // the last board printed wins
  }
  REQUIRE_FALSE(header.empty());
  REQUIRE_FALSE(row5.empty());
  CHECK(row5.find('X') == header.find('e'));
  CHECK(row5.substr(row5.size() - 2) == " 5");  // labelled on both sides
  CHECK(out.find("  0 ") == std::string::npos);  // no 0-based row labels

  Board board(15);
  board.play(board.move_at(7, 7));  // h8
  const std::string picture = board_picture(board);
  std::istringstream pic(picture);
  std::vector<std::string> rows;
  for (std::string line; std::getline(pic, line);) rows.push_back(line);
  REQUIRE(rows.size() == 17);  // letters, 15 rows, letters
  CHECK(rows[0] == rows[16]);
  CHECK(rows[1].rfind("  1 ", 0) == 0);
  CHECK(rows[15].rfind(" 15 ", 0) == 0);
  CHECK(rows[8].rfind("  8 ", 0) == 0);
  CHECK(rows[8].find("[X]") + 1 == rows[0].find('h'));
  CHECK(parse_human_move("h8", 15, nullptr) == board.last_move());
}
