#include "engine/tournament/training.h"
#include "engine/util/text.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hearth {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

bool parse_square(const std::string& text, int size, Move* out) {
  const size_t comma = text.find(',');
  int x = 0, y = 0;
  if (comma == std::string::npos || !parse_int(text.substr(0, comma), &x) || !parse_int(text.substr(comma + 1), &y))
    return false;
  if (x < 0 || y < 0 || x >= size || y >= size) return false;
  *out = y * size + x;
  return true;
}

std::string square(Move m, int size) { return std::to_string(m % size) + "," + std::to_string(m / size); }

}  // namespace

Board TrainingSample::board() const {
  Board b(size, rule);
  for (Move m : moves) b.play(m);
  return b;
}

std::vector<float> TrainingSample::policy_target() const {
  std::vector<float> target(static_cast<size_t>(size) * size, 0.0f);
  double total = 0;
  for (const auto& [m, n] : visits) total += static_cast<double>(n);
  if (total > 0)
    for (const auto& [m, n] : visits) target[m] = static_cast<float>(static_cast<double>(n) / total);
  return target;
}

std::vector<TrainingSample> training_samples(const GameRecord& record) {
  std::vector<TrainingSample> samples;
  for (const SearchedPosition& p : record.searched) {
    TrainingSample s;
    s.game = record.game.index;
    s.size = record.size;
    s.rule = record.rule;
    s.moves.assign(record.moves.begin(), record.moves.begin() + p.ply);
    const bool black_to_move = p.ply % 2 == 0;
    if (record.outcome == Outcome::Draw) s.z = 0;
    else s.z = ((record.outcome == Outcome::BlackWin) == black_to_move) ? 1 : -1;
    s.q = p.value;
    s.visits = p.visits;
    samples.push_back(std::move(s));
  }
  return samples;
}

std::string training_line(const TrainingSample& s) {
  char q[32];
  std::snprintf(q, sizeof(q), "%.4f", static_cast<double>(s.q));
  std::string out = "v1 " + std::to_string(s.game) + " " + std::to_string(s.size) + " " + rule_name(s.rule) + " " +
                    std::to_string(s.moves.size()) + " " + std::to_string(s.z) + " " + q + " ";
  if (s.moves.empty()) out += "-";
  for (size_t i = 0; i < s.moves.size(); ++i) out += (i ? ";" : "") + square(s.moves[i], s.size);
  out += " ";
  if (s.visits.empty()) out += "-";
  for (size_t i = 0; i < s.visits.size(); ++i)
    out += (i ? ";" : "") + square(s.visits[i].first, s.size) + ":" + std::to_string(s.visits[i].second);
  return out;
}

std::optional<TrainingSample> parse_training_line(const std::string& line, std::string* error) {
  std::istringstream in(line);
  std::string version, game, size, rule, ply, z, q, moves, visits, extra;
  if (!(in >> version >> game >> size >> rule >> ply >> z >> q >> moves >> visits) || (in >> extra)) {
    *error = "expected 9 fields";
    return std::nullopt;
  }
  if (version != "v1") {
    *error = "unknown version '" + version + "'";
    return std::nullopt;
  }
  TrainingSample s;
  int plies = 0;
  if (!parse_int(game, &s.game) || !parse_int(size, &s.size) || !parse_int(ply, &plies) ||
      !parse_int(z, &s.z) || s.size < Board::kMinSize || s.size > Board::kMaxSize || s.z < -1 || s.z > 1) {
    *error = "a number field is malformed";
    return std::nullopt;
  }
  char* end = nullptr;
  s.q = std::strtof(q.c_str(), &end);
  const auto parsed_rule = parse_rule(rule, nullptr);
  if (end != q.c_str() + q.size() || !parsed_rule) {
    *error = "q or rule is malformed";
    return std::nullopt;
  }
  s.rule = *parsed_rule;
  if (moves != "-") {
    for (const std::string& part : split(moves, ';')) {
      Move m = kNoMove;
      if (!parse_square(part, s.size, &m)) {
        *error = "move '" + part + "' is malformed or off the board";
        return std::nullopt;
      }
      s.moves.push_back(m);
    }
  }
  if (static_cast<int>(s.moves.size()) != plies) {
    *error = "ply " + ply + " does not match the " + std::to_string(s.moves.size()) + " moves";
    return std::nullopt;
  }
  Board check(s.size, s.rule);
  for (Move m : s.moves) {
    if (!check.is_legal(m)) {
      *error = "the moves are not a legal game";
      return std::nullopt;
    }
    check.play(m);
  }
  if (visits != "-") {
    for (const std::string& part : split(visits, ';')) {
      const size_t colon = part.find(':');
      Move m = kNoMove;
      int64_t n = 0;
      if (colon == std::string::npos || !parse_square(part.substr(0, colon), s.size, &m) ||
          !parse_int(part.substr(colon + 1), &n) || n < 0) {
        *error = "visit entry '" + part + "' is malformed";
        return std::nullopt;
      }
      s.visits.emplace_back(m, n);
    }
  }
  return s;
}

void filter_training_file(const std::string& path, const std::set<int64_t>& keep) {
  std::ifstream in(path);
  if (!in) return;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string version;
      int64_t game = -1;
      if (fields >> version >> game && keep.count(game)) out << line << '\n';
    }
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot replace " + path + ": " + ec.message());
}

std::map<int64_t, std::vector<std::string>> read_training_lines(const std::string& path) {
  std::map<int64_t, std::vector<std::string>> by_game;
  std::ifstream in(path, std::ios::binary);
  if (!in) return by_game;
  std::ostringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  // A last line without its newline was cut off by a crash in mid-write: its game was never
  // recorded in results.jsonl, so the line is dropped like the resume does.
  const size_t end = text.rfind('\n');
  text.resize(end == std::string::npos ? 0 : end + 1);
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::string error;
    const std::optional<TrainingSample> sample = parse_training_line(line, &error);
    if (!sample) throw std::runtime_error(path + " line " + std::to_string(number) + ": " + error);
    by_game[sample->game].push_back(line);
  }
  return by_game;
}

}  // namespace hearth
