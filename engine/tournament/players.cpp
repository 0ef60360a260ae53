#include "engine/util/text.h"
#include "engine/tournament/players.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace hearth {
namespace fs = std::filesystem;
namespace {

const std::set<std::string> kPlayerSections = {"search", "time", "evaluator"};

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Splits on ';' outside quotes.
std::vector<std::string> split_specs(const std::string& text) {
  std::vector<std::string> specs;
  std::string current;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        current += c;
        current += text[++i];
        continue;
      }
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ';' || c == '\n') {
      specs.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  specs.push_back(trim(current));
  return specs;
}

// An option a player may set: full key, alias, or a name unique in the player sections.
const OptionSpec* find_player_option(const std::string& key) {
  if (const OptionSpec* spec = find_option(key)) return spec;
  const OptionSpec* found = nullptr;
  for (const auto& spec : option_table()) {
    if (spec.name != key || !kPlayerSections.count(spec.section)) continue;
    if (found) return nullptr;  // ambiguous: the full key is needed
    found = &spec;
  }
  return found;
}

bool is_external_option(const OptionSpec& spec) {
  return spec.section == "time" || spec.key() == "search.max_memory_mb";
}

bool is_executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// argv[0] made absolute: a path with '/' is tried in `dir` (when given) then the working
// directory; a bare name in `dir`, then on PATH.
std::string resolve_program(const std::string& program, const std::string& dir, std::string* error) {
  std::vector<fs::path> candidates;
  if (program.find('/') != std::string::npos) {
    const fs::path p(program);
    if (p.is_relative() && !dir.empty()) candidates.push_back(fs::path(dir) / p);
    candidates.push_back(p);
  } else {
    if (!dir.empty()) candidates.push_back(fs::path(dir) / program);
    const char* path_env = std::getenv("PATH");
    std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= path.size()) {
      const size_t colon = path.find(':', start);
      const std::string entry = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!entry.empty()) candidates.push_back(fs::path(entry) / program);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  bool exists_somewhere = false;
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (is_executable_file(c)) return fs::absolute(c, ec).lexically_normal().string();
    if (fs::exists(c, ec)) exists_somewhere = true;
  }
  *error = exists_somewhere ? "engine program '" + program + "' is not an executable file"
                            : "engine program '" + program + "' not found" +
                                  (program.find('/') != std::string::npos
                                       ? std::string(dir.empty() ? "" : " (looked in dir and the working directory)")
                                       : std::string(dir.empty() ? " on PATH" : " in dir or on PATH"));
  return "";
}

std::string default_name_for_plugin(const std::string& plugin) {
  std::string name = fs::path(plugin).stem().string();
  if (starts_with(name, "libhearth_")) name = name.substr(10);
  if (starts_with(name, "builtin:")) name = name.substr(8);
  return name.empty() ? "hearth" : name;
}

// The values of every option outside the player sections, to detect a player file that sets
// one (board size, tournament options: the tournament's, not a player's).
std::vector<std::string> non_player_values(const Settings& s) {
  std::vector<std::string> values;
  for (const auto& spec : option_table())
    if (!kPlayerSections.count(spec.section)) values.push_back(spec.get(s));
  return values;
}

struct RawSpec {
  std::string name, config, cmd, dir;
  bool has_name = false, has_dir = false;
  std::vector<std::pair<std::string, std::string>> options;  // in the order given
};

RawSpec tokenize_spec(const std::string& text, const std::string& players_dir, const std::string& who) {
  std::string error;
  const std::vector<std::string> words = split_words(text, &error);
  if (!error.empty()) throw std::invalid_argument(who + ": " + error);
  RawSpec raw;
  for (const std::string& word : words) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) {
      if (!raw.config.empty()) throw std::invalid_argument(who + ": names two player files ('" + raw.config + "' and '" + word + "')");
      const bool is_path = word.find('/') != std::string::npos || fs::path(word).extension() == ".ini";
      raw.config = is_path ? word : (fs::path(players_dir) / (word + ".ini")).string();
      std::error_code ec;
      if (!is_path && !fs::exists(raw.config, ec))
        throw std::invalid_argument(who + ": unknown player '" + word + "': there is no " + raw.config +
                                    " (tournament.players_dir is '" + players_dir + "'; or give a path)");
      continue;
    }
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key.empty()) throw std::invalid_argument(who + ": '" + word + "' has no option name before '='");
    if (key == "name") {
      raw.name = trim(value);
      raw.has_name = true;
    } else if (key == "config") {
      if (!raw.config.empty()) throw std::invalid_argument(who + ": names two player files");
      raw.config = value;
    } else if (key == "cmd") {
      raw.cmd = value;
    } else if (key == "dir") {
      raw.dir = value;
      raw.has_dir = true;
    } else {
      raw.options.emplace_back(key, value);
    }
  }
  return raw;
}

void check_name(const std::string& name, const std::string& who) {
  if (name.empty()) throw std::invalid_argument(who + ": the player name is empty");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == ';' || c == '"')
      throw std::invalid_argument(who + ": the player name '" + name + "' has a control character, ';' or '\"'");
}

PlayerSpec make_player(const std::string& text, int number, const std::string& players_dir, const Settings& base) {
  std::string who = "player " + std::to_string(number) + " ('" + text + "')";
  const RawSpec raw = tokenize_spec(text, players_dir, who);
  PlayerSpec p;
  p.origin = who;
  p.settings = base;
  if (!raw.cmd.empty()) {
    p.kind = PlayerKind::External;
    if (!raw.config.empty()) throw std::invalid_argument(who + ": an external engine (cmd=) cannot also take a player file");
  } else if (raw.has_dir) {
    throw std::invalid_argument(who + ": dir= is for external engines; give cmd= too");
  }

  if (!raw.config.empty()) {
    const std::vector<std::string> before = non_player_values(p.settings);
    try {
      apply_config_file(p.settings, raw.config);
    } catch (const OptionError& e) {
      throw std::invalid_argument(who + ": " + e.what());
    }
    if (non_player_values(p.settings) != before)
      throw std::invalid_argument(who + ": player file " + raw.config +
                                  " sets options outside [search], [time], [evaluator] and [plugin]; board size, rule "
                                  "and [tournament] options belong to the tournament");
  }
  for (const auto& [key, value] : raw.options) {
    if (starts_with(key, "plugin.") && key.size() > 7) {
      if (p.kind == PlayerKind::External)
        throw std::invalid_argument(who + " is an external engine: option '" + key + "' is for in-process players");
      set_plugin_option(p.settings, key.substr(7), value);
      continue;
    }
    const OptionSpec* spec = find_player_option(key);
    if (!spec)
      throw std::invalid_argument(who + ": unknown option '" + key +
                                  "' (use a full key like search.visits, an alias like visits, or plugin.KEY)");
    if (!kPlayerSections.count(spec->section))
      throw std::invalid_argument(who + ": option '" + spec->key() + "' is the tournament's, not a player's");
    if (p.kind == PlayerKind::External && !is_external_option(*spec))
      throw std::invalid_argument(who + " is an external engine: option '" + spec->key() +
                                  "' is for in-process players (an engine takes time.turn_ms, time.match_ms and "
                                  "search.max_memory_mb)");
    try {
      set_option(p.settings, *spec, value, "in " + who);
    } catch (const OptionError& e) {
      throw std::invalid_argument(e.what());
    }
  }

  if (p.kind == PlayerKind::External) {
    std::string error;
    p.command = raw.cmd;
    p.argv = split_words(raw.cmd, &error);
    if (!error.empty()) throw std::invalid_argument(who + ": cmd: " + error);
    if (p.argv.empty()) throw std::invalid_argument(who + ": cmd= is empty");
    if (raw.has_dir) {
      std::error_code ec;
      if (!fs::is_directory(raw.dir, ec))
        throw std::invalid_argument(who + ": dir '" + raw.dir + "' is not a directory");
      p.dir = fs::absolute(raw.dir, ec).lexically_normal().string();
    }
    const std::string program = resolve_program(p.argv[0], p.dir, &error);
    if (program.empty()) throw std::invalid_argument(who + ": " + error);
    p.argv[0] = program;
  }

  if (raw.has_name) {
    p.name = raw.name;
  } else if (!raw.config.empty()) {
    p.name = fs::path(raw.config).stem().string();
  } else if (p.kind == PlayerKind::External) {
    p.name = fs::path(p.argv[0]).stem().string();
    if (starts_with(p.name, "pbrain-") && p.name.size() > 7) p.name = p.name.substr(7);
  } else {
    p.name = default_name_for_plugin(p.settings.evaluator.plugin);
  }
  check_name(p.name, who);
  p.origin = "player '" + p.name + "'";
  return p;
}

}  // namespace

std::vector<std::string> split_words(const std::string& text, std::string* error) {
  std::vector<std::string> words;
  std::string current;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        current += text[++i];
      } else {
        current += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(current);
      current.clear();
      in_word = false;
    } else {
      current += c;
      in_word = true;
    }
  }
  if (quote) {
    *error = std::string("unterminated ") + quote + " quote in '" + text + "'";
    return {};
  }
  if (in_word) words.push_back(current);
  return words;
}

std::string file_safe_name(const std::string& name) {
  std::string out;
  for (unsigned char c : name) out += (std::isalnum(c) || c == '.' || c == '_' || c == '-') ? static_cast<char>(c) : '_';
  return out.empty() ? "_" : out;
}

std::string PlayerSpec::identity() const {
  std::string text = (kind == PlayerKind::External ? "external" : "in-process") + std::string(" name=") + name;
  if (kind == PlayerKind::External) {
    for (const std::string& a : argv) text += " argv=" + a;
    text += " dir=" + dir + " turn_ms=" + std::to_string(settings.time.turn_ms) +
            " match_ms=" + std::to_string(settings.time.match_ms) +
            " max_memory_mb=" + std::to_string(settings.search.max_memory_mb);
    return text;
  }
  for (const auto& spec : option_table())
    if (kPlayerSections.count(spec.section)) text += " " + spec.key() + "=" + spec.get(settings);
  for (const auto& [key, value] : settings.evaluator.plugin_options) text += " plugin." + key + "=" + value;
  return text;
}

std::vector<PlayerSpec> parse_players(const std::string& specs, const std::string& players_dir, const Settings& base) {
  if (specs.find_first_not_of(" \t\r\n;") == std::string::npos)
    throw std::invalid_argument("no players: set tournament.players (--players \"heuristic; uniform\"; see hearth tournament --help)");
  std::vector<PlayerSpec> players;
  int number = 0;
  for (const std::string& text : split_specs(specs)) {
    ++number;
    if (text.empty()) continue;
    players.push_back(make_player(text, number, players_dir, base));
  }
  std::set<std::string> names;
  for (const PlayerSpec& p : players)
    if (!names.insert(p.name).second)
      throw std::invalid_argument("two players are named '" + p.name + "'; give one of them name=...");
  return players;
}

}  // namespace hearth
