#include "engine/util/text.h"
#include "engine/tournament/records.h"

#include <cstdio>
#include <istream>
#include <sstream>

namespace hearth {
namespace {

// SGF SimpleText/Text: ']' and '\' are escaped with '\'.
std::string sgf_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

char sgf_letter(int v) { return static_cast<char>('a' + v); }

int psq_result_code(const GameRecord& r) {
  if (!is_fault(r.termination)) return 0;
  return r.outcome == Outcome::WhiteWin ? 1 : 2;  // the loser: 1 Black, 2 White
}

std::string sgf_result(const GameRecord& r) {
  if (r.outcome == Outcome::Draw) return "0";
  const std::string winner = r.outcome == Outcome::BlackWin ? "B+" : "W+";
  if (r.termination == Termination::Five) return winner;
  return winner + (r.termination == Termination::Timeout ? "T" : "F");
}

}  // namespace

std::string record_file_stem(int64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "game-%06lld", static_cast<long long>(index));
  return buf;
}

std::string psq_text(const GameRecord& r, const std::string& black_name, const std::string& white_name) {
  std::string out = "Piskvorky " + std::to_string(r.size) + "x" + std::to_string(r.size) + ", 11:11, 0\n";
  for (size_t i = 0; i < r.moves.size(); ++i) {
    const Move m = r.moves[i];
    out += std::to_string(m % r.size + 1) + "," + std::to_string(m / r.size + 1) + "," +
           std::to_string(i < r.move_ms.size() ? r.move_ms[i] : 0) + "\n";
  }
  out += black_name + "\n" + white_name + "\n" + std::to_string(psq_result_code(r)) + "\n";
  return out;
}

std::string sgf_text(const GameRecord& r, const std::string& black_name, const std::string& white_name) {
  std::string out = "(;FF[4]GM[4]CA[UTF-8]AP[Hearth]SZ[" + std::to_string(r.size) + "]PB[" + sgf_escape(black_name) +
                    "]PW[" + sgf_escape(white_name) + "]RE[" + sgf_result(r) + "]GN[game " +
                    std::to_string(r.game.index) + "]RU[" + rule_name(r.rule) + "]C[" + sgf_escape(r.reason) +
                    (r.opening_stones ? "; the first " + std::to_string(r.opening_stones) + " stones are the opening" : "") +
                    "]\n";
  for (size_t i = 0; i < r.moves.size(); ++i) {
    const Move m = r.moves[i];
    out += std::string(";") + (i % 2 == 0 ? "B[" : "W[") + sgf_letter(m % r.size) + sgf_letter(m / r.size) + "]";
    if (static_cast<int>(i) >= r.opening_stones)
      out += "C[" + std::to_string(i < r.move_ms.size() ? r.move_ms[i] : 0) + " ms]";
    if (i % 8 == 7) out += "\n";
  }
  return out + ")\n";
}

std::optional<PsqGame> parse_psq(std::istream& in, std::string* error) {
  std::string line;
  if (!std::getline(in, line)) {
    *error = "empty file";
    return std::nullopt;
  }
  PsqGame game;
  int w = 0, h = 0, l1 = 0, l2 = 0, first = 0;
  if (std::sscanf(line.c_str(), "Piskvorky %dx%d, %d:%d, %d", &w, &h, &l1, &l2, &first) != 5) {
    *error = "the first line is not a Piskvorky header: '" + trim(line) + "'";
    return std::nullopt;
  }
  if (w != h || w < Board::kMinSize || w > Board::kMaxSize) {
    *error = "unsupported board " + std::to_string(w) + "x" + std::to_string(h);
    return std::nullopt;
  }
  game.size = w;
  std::vector<bool> taken(static_cast<size_t>(w) * w, false);
  std::vector<std::string> rest;
  bool in_moves = true;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty()) continue;
    int x = 0, y = 0, ms = 0;
    char tail = 0;
    const int n = in_moves ? std::sscanf(t.c_str(), "%d,%d,%d%c", &x, &y, &ms, &tail) : 0;
    if (in_moves && (n == 3 || (n == 2 && t.find(',') == t.rfind(',')))) {
      if (x < 1 || y < 1 || x > w || y > w) {
        *error = "stone " + t + " is off the board";
        return std::nullopt;
      }
      const Move m = (y - 1) * w + (x - 1);
      if (taken[m]) {
        *error = "stone " + t + " is on a square already played";
        return std::nullopt;
      }
      taken[m] = true;
      game.moves.push_back(m);
      game.move_ms.push_back(n == 3 ? ms : 0);
      continue;
    }
    in_moves = false;
    rest.push_back(t);
  }
  const auto as_code = [](const std::string& s, int* code) {
    char tail = 0;
    return std::sscanf(s.c_str(), "%d%c", code, &tail) == 1;
  };
  int code = 0;
  if (rest.size() >= 2) {
    game.black_name = rest[0];
    game.white_name = rest[1];
    if (rest.size() >= 3 && as_code(rest[2], &code)) game.result_code = code;
  } else if (rest.size() == 1 && as_code(rest[0], &code)) {
    game.result_code = code;
  }
  return game;
}

}  // namespace hearth
