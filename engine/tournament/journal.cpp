#include "engine/tournament/journal.h"

#include "engine/util/text.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "engine/util/text.h"
#include "evaluator/json_text.h"

namespace hearth {
namespace {

void skip_space(const std::string& s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r')) ++*i;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool parse_string(const std::string& s, size_t* i, std::string* out) {
  if (*i >= s.size() || s[*i] != '"') return false;
  ++*i;
  out->clear();
  while (*i < s.size()) {
    const char c = s[(*i)++];
    if (c == '"') return true;
    if (c != '\\') {
      *out += c;
      continue;
    }
    if (*i >= s.size()) return false;
    const char e = s[(*i)++];
    switch (e) {
      case '"': *out += '"'; break;
      case '\\': *out += '\\'; break;
      case '/': *out += '/'; break;
      case 'n': *out += '\n'; break;
      case 't': *out += '\t'; break;
      case 'r': *out += '\r'; break;
      case 'b': *out += '\b'; break;
      case 'f': *out += '\f'; break;
      case 'u': {
        if (*i + 4 > s.size()) return false;
        uint32_t cp = 0;
        auto [ptr, ec] = std::from_chars(s.data() + *i, s.data() + *i + 4, cp, 16);
        if (ec != std::errc() || ptr != s.data() + *i + 4) return false;
        *i += 4;
        append_utf8(cp, out);
        break;
      }
      default: return false;
    }
  }
  return false;
}

int64_t to_int(const std::map<std::string, std::string>& f, const std::string& key, bool* ok) {
  const auto it = f.find(key);
  int64_t v = 0;
  if (it == f.end()) {
    *ok = false;
    return 0;
  }
  if (!parse_int(it->second, &v)) *ok = false;
  return v;
}

std::string text_of(const std::map<std::string, std::string>& f, const std::string& key) {
  const auto it = f.find(key);
  return it == f.end() ? "" : it->second;
}

}  // namespace

std::string header_line(const JournalHeader& h) {
  return "{\"type\":\"header\",\"format\":1,\"hash\":" + json::quote(h.hash) +
         ",\"games_total\":" + std::to_string(h.games_total) + ",\"players\":" + json::quote(h.players) +
         ",\"board_size\":" + std::to_string(h.board_size) + ",\"rule\":" + json::quote(h.rule) +
         ",\"tournament_format\":" + json::quote(h.format) + ",\"pairings\":" + json::quote(h.pairings) +
         ",\"shard\":" + json::quote(h.shard) + "}";
}

std::string pairings_text(const std::vector<Pairing>& pairings) {
  std::string out;
  for (const Pairing& p : pairings) out += (out.empty() ? "" : " ") + std::to_string(p.first) + "-" + std::to_string(p.second);
  return out;
}

bool parse_pairings(const std::string& text, std::vector<Pairing>* out) {
  out->clear();
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    Pairing p;
    char dash = 0;
    std::istringstream one(item);
    if (!(one >> p.first >> dash >> p.second) || dash != '-' || !one.eof() || p.first < 0 || p.second < 0) return false;
    out->push_back(p);
  }
  return !out->empty();
}

namespace {

// The one reader of results files' lines, for resuming (ResultsJournal) and merging
// (read_results_file). Calls on_header(fields) at the header line, which must come first, and
// on_game(result, fields, where) for each game line. A last line that does not parse and has no
// newline after it is a game torn by a crash: it is skipped. Returns whether a header was seen.
bool read_results_lines(std::istream& in, const std::string& path,
                        const std::function<void(const std::map<std::string, std::string>&)>& on_header,
                        const std::function<void(GameResult&&, const std::map<std::string, std::string>&,
                                                 const std::string&)>& on_game) {
  std::string line;
  bool has_header = false;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "results file " + path + " line " + std::to_string(number);
    std::map<std::string, std::string> fields;
    if (!parse_flat_json(line, &fields)) {
      if (in.eof()) break;  // a torn last line: the game was not finished
      throw std::runtime_error(where + " is not a JSON object of this program");
    }
    const std::string type = text_of(fields, "type");
    if (!has_header) {
      if (type != "header") throw std::runtime_error(where + ": expected the header line first");
      on_header(fields);
      has_header = true;
      continue;
    }
    if (type != "game") throw std::runtime_error(where + ": unknown line type '" + type + "'");
    std::string error;
    std::optional<GameResult> r = parse_game_line(fields, &error);
    if (!r) throw std::runtime_error(where + ": " + error);
    on_game(std::move(*r), fields, where);
  }
  return has_header;
}

}  // namespace

ResultsFile read_results_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read results file " + path + ": " + std::strerror(errno));
  ResultsFile file;
  std::set<int64_t> seen;
  const bool has_header = read_results_lines(
      in, path, [&](const std::map<std::string, std::string>& fields) { file.header = fields; },
      [&](GameResult&& r, const std::map<std::string, std::string>&, const std::string&) {
        if (seen.insert(r.game.index).second) file.games.push_back(std::move(r));
      });
  if (!has_header) throw std::runtime_error("results file " + path + " has no header line");
  return file;
}

bool parse_flat_json(const std::string& line, std::map<std::string, std::string>* out) {
  out->clear();
  size_t i = 0;
  skip_space(line, &i);
  if (i >= line.size() || line[i++] != '{') return false;
  skip_space(line, &i);
  if (i < line.size() && line[i] == '}') return true;
  for (;;) {
    std::string key, value;
    skip_space(line, &i);
    if (!parse_string(line, &i, &key)) return false;
    skip_space(line, &i);
    if (i >= line.size() || line[i++] != ':') return false;
    skip_space(line, &i);
    if (i < line.size() && line[i] == '"') {
      if (!parse_string(line, &i, &value)) return false;
    } else {
      const size_t start = i;
      while (i < line.size() && line[i] != ',' && line[i] != '}' && line[i] != ' ') ++i;
      value = line.substr(start, i - start);
      if (value.empty() || value[0] == '{' || value[0] == '[') return false;
    }
    (*out)[key] = value;
    skip_space(line, &i);
    if (i >= line.size()) return false;
    if (line[i] == '}') {
      ++i;
      skip_space(line, &i);
      return i == line.size();
    }
    if (line[i++] != ',') return false;
  }
}

std::string game_line(const GameResult& r, const std::vector<std::string>& names) {
  const ScheduledGame& g = r.game;
  return "{\"type\":\"game\",\"game\":" + std::to_string(g.index) + ",\"pairing\":" + std::to_string(g.pairing) +
         ",\"round\":" + std::to_string(g.round) + ",\"opening\":" + std::to_string(g.opening) +
         ",\"black\":" + json::quote(names.at(g.black)) + ",\"white\":" + json::quote(names.at(g.white)) +
         ",\"black_index\":" + std::to_string(g.black) + ",\"white_index\":" + std::to_string(g.white) +
         ",\"result\":" + json::quote(result_text(r.outcome)) +
         ",\"termination\":" + json::quote(termination_name(r.termination)) + ",\"reason\":" + json::quote(r.reason) +
         ",\"moves\":" + std::to_string(r.moves) + ",\"opening_stones\":" + std::to_string(r.opening_stones) +
         ",\"black_ms\":" + std::to_string(r.black_ms) + ",\"white_ms\":" + std::to_string(r.white_ms) +
         ",\"record\":" + json::quote(r.moves_text) + "}";
}

std::optional<GameResult> parse_game_line(const std::map<std::string, std::string>& f, std::string* error) {
  bool ok = true;
  GameResult r;
  r.game.index = to_int(f, "game", &ok);
  r.game.pairing = static_cast<int>(to_int(f, "pairing", &ok));
  r.game.round = static_cast<int>(to_int(f, "round", &ok));
  r.game.opening = static_cast<int>(to_int(f, "opening", &ok));
  r.game.black = static_cast<int>(to_int(f, "black_index", &ok));
  r.game.white = static_cast<int>(to_int(f, "white_index", &ok));
  r.moves = static_cast<int>(to_int(f, "moves", &ok));
  r.opening_stones = static_cast<int>(to_int(f, "opening_stones", &ok));
  r.black_ms = to_int(f, "black_ms", &ok);
  r.white_ms = to_int(f, "white_ms", &ok);
  if (!ok) {
    *error = "a number field is missing or malformed";
    return std::nullopt;
  }
  const std::string result = text_of(f, "result");
  if (result == "1-0") r.outcome = Outcome::BlackWin;
  else if (result == "0-1") r.outcome = Outcome::WhiteWin;
  else if (result == "1/2-1/2") r.outcome = Outcome::Draw;
  else {
    *error = "result '" + result + "' is not 1-0, 0-1 or 1/2-1/2";
    return std::nullopt;
  }
  const auto termination = parse_termination(text_of(f, "termination"));
  if (!termination) {
    *error = "termination '" + text_of(f, "termination") + "' is unknown";
    return std::nullopt;
  }
  r.termination = *termination;
  r.reason = text_of(f, "reason");
  r.moves_text = text_of(f, "record");
  return r;
}

ResultsJournal::ResultsJournal(const std::string& path, const JournalHeader& header,
                               const std::vector<ScheduledGame>& schedule, const std::vector<std::string>& names)
    : path_(path) {
  std::string content;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream s;
      s << in.rdbuf();
      content = s.str();
    }
  }
  const size_t complete = content.rfind('\n') == std::string::npos ? 0 : content.rfind('\n') + 1;
  if (complete < content.size()) {
    // A line cut short by a crash: forget it, so the next append starts a fresh line.
    spdlog::warn("tournament: {}: dropping an incomplete last line ({} bytes)", path, content.size() - complete);
    std::error_code ec;
    std::filesystem::resize_file(path, complete, ec);
    if (ec) throw std::runtime_error("cannot repair results file " + path + ": " + ec.message());
    content.resize(complete);
  }
  std::istringstream lines(content);
  std::set<int64_t> seen;
  const bool has_header = read_results_lines(
      lines, path,
      [&](const std::map<std::string, std::string>& fields) {
        if (text_of(fields, "hash") != header.hash)
          throw std::runtime_error("results file " + path + " was written by a different tournament configuration (hash " +
                                   text_of(fields, "hash") + ", this one " + header.hash +
                                   "): use another tournament.out_dir, or delete the file to start over");
        if (text_of(fields, "shard") != header.shard) {
          const auto name = [](const std::string& shard) { return shard.empty() ? std::string("all games") : "shard " + shard; };
          throw std::runtime_error("results file " + path + " holds " + name(text_of(fields, "shard")) + ", this run plays " +
                                   name(header.shard) + ": use another tournament.out_dir per shard");
        }
      },
      [&](GameResult&& r, const std::map<std::string, std::string>& fields, const std::string& where) {
        const int64_t i = r.game.index;
        if (i < 0 || i >= static_cast<int64_t>(schedule.size()) || schedule[i].black != r.game.black ||
            schedule[i].white != r.game.white || names.at(schedule[i].black) != text_of(fields, "black") ||
            names.at(schedule[i].white) != text_of(fields, "white"))
          throw std::runtime_error(where + ": game " + std::to_string(i) + " does not match this tournament's schedule");
        if (!seen.insert(i).second) {
          spdlog::warn("tournament: {}: game {} is recorded twice; keeping the first", where, i);
          return;
        }
        recorded_.push_back(std::move(r));
      });
  file_ = std::fopen(path.c_str(), "ab");
  if (!file_) throw std::runtime_error("cannot write results file " + path + ": " + std::strerror(errno));
  if (!has_header) {
    const std::string text = header_line(header) + "\n";
    if (std::fputs(text.c_str(), file_) < 0 || std::fflush(file_) != 0)
      throw std::runtime_error("cannot write results file " + path + ": " + std::strerror(errno));
  }
}

ResultsJournal::~ResultsJournal() {
  if (file_) std::fclose(file_);
}

void ResultsJournal::append(const GameResult& result, const std::vector<std::string>& names) {
  const std::string text = game_line(result, names) + "\n";
  if (std::fputs(text.c_str(), file_) < 0 || std::fflush(file_) != 0)
    throw std::runtime_error("cannot append to results file " + path_ + ": " + std::strerror(errno));
}

}  // namespace hearth
