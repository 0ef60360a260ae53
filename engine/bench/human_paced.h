// `hearth human-paced`: the engine, through its piskvork protocol, plays a scripted opponent that
// thinks between moves the way a person does (human_paced.think_s, cycled; >= 1 s by default,
// smaller only for tests), with a fixed amount of search per move (search.visits or
// search.playouts; with neither, playouts 400) and generous time limits so that search, not the
// clock, decides. Conditions compared in one run, with the same opponent seeds:
//   continuous  the opponent answers at once (think 0): the device never idles; reference
//   warm        human pace, plugin options human_paced.warm_options (keep_warm=on)
//   cold        human pace, plugin options human_paced.cold_options (keep_warm=off)
// Per engine move: search time (TURN written -> reply line written by the engine) and the
// first-batch latency (the first plugin batch after TURN, timed by a TimingEvaluator placed around
// the plugin: EvaluatorConfig::batch_timeline). The engine runs in-process (a PiskvorkEngine on
// its own thread, fed through an in-memory pipe), so the plugin's stats are read at each
// condition's end.
//
// Thread-safety: the helpers are pure (thread-safe); run_human_paced is a whole program run.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "engine/game/board.h"
#include "engine/config/options.h"

namespace hearth::human_paced {

constexpr double kTargetSearchRatio = 1.05;  // warm mean search time / continuous mean search time

enum class Condition { Continuous, Warm, Cold };
const char* condition_name(Condition c);

// Parsers; each throws std::invalid_argument naming `what` and the bad item.
std::vector<Condition> parse_conditions(const std::string& text, const std::string& what);
std::vector<double> parse_think_times(const std::string& text, const std::string& what);  // >= 0 each
// "key=value,key=value" (empty text: none).
std::vector<std::pair<std::string, std::string>> parse_plugin_options(const std::string& text, const std::string& what);

// The scripted opponent's move in `board` (not over, not full): blocks an immediate five of the
// other side, else a random empty square within two of the last few moves (the centre on an empty
// board), never a move that ends the game when another exists. Deterministic for a given board
// and *rng state, which it advances.
Move opponent_move(const Board& board, uint64_t* rng);

// Runs `hearth human-paced`; returns 0, 1 (a run failed) or 2 (bad options). Progress and the
// summary go to `out`, logs to stderr.
int run_human_paced(const Settings& settings, std::ostream& out);

}  // namespace hearth::human_paced
