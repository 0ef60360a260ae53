#include "engine/threat/tactics.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hearth::threat {
namespace {

bool parse_moves(const std::string& text, int size, std::vector<Move>* out, std::string* error) {
  out->clear();
  if (text.empty()) return true;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ';')) {
    const auto comma = item.find(',');
    int x, y;
    try {
      if (comma == std::string::npos) throw std::invalid_argument("no comma");
      size_t used = 0;
      x = std::stoi(item.substr(0, comma), &used);
      if (used != comma) throw std::invalid_argument("x");
      const std::string ys = item.substr(comma + 1);
      y = std::stoi(ys, &used);
      if (used != ys.size()) throw std::invalid_argument("y");
    } catch (const std::exception&) {
      *error = "bad move '" + item + "' (want x,y)";
      return false;
    }
    if (x < 0 || y < 0 || x >= size || y >= size) {
      *error = "move '" + item + "' is off a " + std::to_string(size) + "x" + std::to_string(size) + " board";
      return false;
    }
    out->push_back(y * size + x);
  }
  return true;
}

std::string format_moves(const std::vector<Move>& moves, int size) {
  std::string s;
  for (size_t i = 0; i < moves.size(); ++i) {
    if (i) s += ';';
    s += std::to_string(moves[i] % size) + "," + std::to_string(moves[i] / size);
  }
  return s;
}

}  // namespace

const char* tactic_kind_name(TacticKind k) {
  switch (k) {
    case TacticKind::WinInOne: return "win-in-one";
    case TacticKind::BlockFour: return "block-four";
    case TacticKind::Vcf: return "vcf";
    case TacticKind::Vct: return "vct";
    case TacticKind::OnlyDefence: return "only-defence";
  }
  return "?";
}

Board Tactic::board() const {
  Board b(size, rule);
  for (Move m : moves) {
    if (!b.is_legal(m)) throw std::invalid_argument("tactic " + id + ": illegal move " + std::to_string(m));
    b.play(m);
  }
  return b;
}

bool parse_tactic(const std::string& text, Tactic* out, std::string* error) {
  Tactic t;
  std::stringstream ss(text);
  std::string field, moves, answers, to_move, kind;
  bool have_size = false;
  while (ss >> field) {
    const auto eq = field.find('=');
    if (eq == std::string::npos) { *error = "field '" + field + "' is not key=value"; return false; }
    const std::string key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "id") t.id = value;
    else if (key == "size") {
      try { t.size = std::stoi(value); } catch (const std::exception&) { *error = "bad size"; return false; }
      if (t.size < Board::kMinSize || t.size > Board::kMaxSize) { *error = "size out of range"; return false; }
      have_size = true;
    } else if (key == "rule") {
      const auto r = parse_rule(value, error);
      if (!r) return false;
      t.rule = *r;
    } else if (key == "to_move") to_move = value;
    else if (key == "kind") kind = value;
    else if (key == "answers") answers = value;
    else if (key == "moves") moves = value;
    else if (key == "line") {
      try { t.line = std::stoi(value); } catch (const std::exception&) { *error = "bad line"; return false; }
    } else { *error = "unknown field '" + key + "'"; return false; }
  }
  if (!have_size) { *error = "no size"; return false; }
  if (!parse_moves(moves, t.size, &t.moves, error)) return false;
  if (!parse_moves(answers, t.size, &t.answers, error)) return false;
  std::sort(t.answers.begin(), t.answers.end());
  if (to_move == "black") t.to_move = Stone::Black;
  else if (to_move == "white") t.to_move = Stone::White;
  else { *error = "to_move must be black or white"; return false; }
  if ((t.moves.size() % 2 == 0) != (t.to_move == Stone::Black)) {
    *error = "to_move disagrees with the number of moves";
    return false;
  }
  bool known = false;
  for (TacticKind k : {TacticKind::WinInOne, TacticKind::BlockFour, TacticKind::Vcf, TacticKind::Vct,
                       TacticKind::OnlyDefence})
    if (kind == tactic_kind_name(k)) { t.kind = k; known = true; }
  if (!known) { *error = "unknown kind '" + kind + "'"; return false; }
  if (t.answers.empty()) { *error = "no answers"; return false; }
  *out = std::move(t);
  return true;
}

std::string format_tactic(const Tactic& t) {
  return "id=" + t.id + " size=" + std::to_string(t.size) + " rule=" + rule_name(t.rule) +
         " to_move=" + (t.to_move == Stone::Black ? "black" : "white") + " kind=" + tactic_kind_name(t.kind) +
         " answers=" + format_moves(t.answers, t.size) + " line=" + std::to_string(t.line) +
         " moves=" + format_moves(t.moves, t.size);
}

std::vector<Tactic> read_tactics(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<Tactic> out;
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos || text[first] == '#') continue;
    Tactic t;
    std::string error;
    if (!parse_tactic(text, &t, &error)) throw std::runtime_error(path + ":" + std::to_string(n) + ": " + error);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace hearth::threat
