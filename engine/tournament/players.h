// Tournament players: who plays, parsed from tournament.players before any game starts.
//
// tournament.players holds player specs separated by ';'. A spec is whitespace-separated tokens
// (quote a value that has spaces: cmd="pbrain-x --fast"), cutechess `-engine` style:
//   NAME or PATH       a Hearth configuration file: PATH (has a '/' or ends in .ini), or
//                      <tournament.players_dir>/NAME.ini
//   config=PATH        the same, explicitly
//   name=TEXT          the player's name (default: the file's stem, the engine program's name
//                      without "pbrain-", or the evaluator plugin's name)
//   cmd=COMMAND        an external Gomocup (piskvork) engine: program and arguments
//   dir=DIR            the engine's working directory
//   KEY=VALUE          any Hearth option: full key (search.visits), alias (visits), or a name
//                      unique in [search]/[time]/[evaluator] (turn_ms); plugin.KEY=VALUE passes
//                      KEY to the evaluator plugin
// An in-process player starts from the tournament's own [search], [time], [evaluator] and
// [plugin] settings (what every player shares, like cutechess's -each), then its file, then its
// inline options. A player file may set only those sections. An external engine takes
// time.turn_ms / time.match_ms (sent as INFO timeout_turn / timeout_match) and
// search.max_memory_mb (sent as INFO max_memory); other options are an error for it.
//
// Example: "heuristic visits=400; uniform visits=400; name=pela cmd=./pbrain-pela dir=engines/pela"
//
// Thread-safety: parse_players reads files and is otherwise pure; a PlayerSpec is a plain value.
#pragma once

#include <string>
#include <vector>

#include "engine/config/options.h"

namespace hearth {

enum class PlayerKind { InProcess, External };

struct PlayerSpec {
  std::string name;
  PlayerKind kind = PlayerKind::InProcess;
  Settings settings;              // in-process: search, limits, time, evaluator; external: time and max memory
  std::string command;            // external: the command as given
  std::vector<std::string> argv;  // external: the command split, argv[0] an absolute path
  std::string dir;                // external: working directory; empty = the tournament's
  std::string origin;             // "player 2 (uniform visits=400)", for messages

  // Everything that decides how the player plays, as canonical text: part of the configuration
  // hash that lets a results file be resumed only by the same tournament.
  std::string identity() const;
};

// Parses tournament.players (grammar above) against `base`, the tournament's settings. Checks that
// there is a player, and every player file, option, name (non-empty, unique) and engine program
// (found and executable, `dir` a directory). Throws std::invalid_argument with one message naming
// the player and cause.
std::vector<PlayerSpec> parse_players(const std::string& specs, const std::string& players_dir, const Settings& base);

// Splits a command line into words: whitespace separates, "..." and '...' group (inside double
// quotes a backslash escapes " and itself). Sets *error and returns {} for an unterminated quote.
std::vector<std::string> split_words(const std::string& text, std::string* error);

// A name made safe for a file name: [A-Za-z0-9._-] kept, anything else '_'.
std::string file_safe_name(const std::string& name);

}  // namespace hearth
