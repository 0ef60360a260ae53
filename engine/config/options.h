// Hearth's options, each defined once in a table (option_table()) that feeds the command line
// (Boost.Program_options: --search.threads 4, or aliases like --threads 4), INI files (section
// [search], key threads), piskvork INFO keys, `--help` text and the default configuration file.
//
// [plugin] is special: its keys are not in the table but passed verbatim to the evaluator plugin
// (--plugin.model net.pt, or "model = net.pt" under [plugin]).
//
// Precedence: table defaults (the struct defaults below and in search.h / evaluator_stack.h),
// then the INI file, then the command line.
//
// Thread-safety: option_table() is immutable after first use (thread-safe). The other functions
// are pure apart from the Settings they are given.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/game/board.h"
#include "evaluator/evaluator_stack.h"
#include "engine/config/logging.h"
#include "engine/search/search.h"
#include "engine/search/time_manager.h"
#include "engine/config/slurm_settings.h"
#include "engine/config/tournament_settings.h"
#include "engine/config/train_settings.h"

namespace hearth {

struct GameSettings {
  int board_size = 15;
  Rule rule = Rule::Freestyle;
};

// `hearth bench`: positions are random openings with a fixed seed, so runs are comparable.
struct BenchSettings {
  int positions = 10;
  int min_stones = 6;
  int max_stones = 20;
  uint64_t seed = 1;
  std::string json;  // also write the results here as JSON when not empty
};

// `hearth latency` (latency_bench.h): the plugin's per-forward latency after idle gaps, per
// configuration. Lists are comma-separated text, parsed (with errors naming the bad item) by
// the bench itself.
struct LatencySettings {
  std::string plugin = "torch";
  std::string model;                 // TorchScript file (hearth_make_reference_net --size 20)
  std::string device = "cuda:0";
  int board_size = 0;                // 0: the model's (probed)
  std::string modes = "eager-fp32,graph-fp32,graph-fp16";
  std::string warm = "off,kernel,forward";  // bare kernel/forward: at every period below
  std::string periods = "500,1000,2000,5000,20000";  // microseconds
  std::string gaps = "0,0.01,0.05,0.2,1,5,20";        // seconds; 0 = back to back
  std::string long_gaps;             // extra gaps, only for long_configs
  std::string long_configs;          // mode:warm items, e.g. graph-fp16:kernel@1000
  std::string batches = "128";
  int samples = 5;                   // forwards per gap
  int continuous_samples = 20;       // forwards at gap 0
  int warmup = 20;                   // unmeasured forwards per configuration
  double hot_window_s = 2.0;         // the stop check's keep-warm hot window
  double stop_observe_s = 1.0;       // the stop check counts dummies this long
  bool gpu_time = true;              // CUDA: read each forward's GPU time from the plugin after it
  bool dry_run = false;              // print the plan and its duration, run nothing
  std::string json, markdown, dat;   // outputs written when not empty
};

// `hearth human-paced` (human_paced_bench.h): the engine through its protocol against a scripted
// opponent that thinks between moves.
struct HumanPacedSettings {
  std::string think_s = "1,2,3";     // opponent think times, cycled; human pace is >= 1 s
  std::string conditions = "continuous,warm,cold";
  int moves = 30;                    // measured engine moves per condition
  int moves_per_game = 15;           // engine moves before a new game starts
  int warmup_moves = 2;              // unmeasured, unpaced engine moves first in each condition
  uint64_t seed = 1;                 // the opponent's moves
  std::string warm_options = "keep_warm=on";   // plugin options of condition warm (and continuous)
  std::string cold_options = "keep_warm=off";  // plugin options of condition cold
  std::string json, markdown;
};

struct Settings {
  SearchParams search;
  SearchLimits limits;        // fixed limits; piskvork and play also obey the clock
  EvaluatorConfig evaluator;  // evaluator.plugin_options holds the [plugin] section
  TimeSettings time;
  GameSettings game;
  LogSettings log;
  BenchSettings bench;
  LatencySettings latency;
  HumanPacedSettings human_paced;
  TournamentSettings tournament;  // `hearth tournament` (tournament_settings.h)
  SlurmSettings slurm;            // `hearth slurm` (slurm_settings.h)
  TrainSettings train;            // `hearth train` (train_settings.h)
};

// One bad option or value. what() is one line naming the option, the value and, for an INI file,
// the file and line.
struct OptionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class OptionKind { Integer, Real, Text, Choice, Flag };  // Flag: true/false, on/off, yes/no, 1/0

struct OptionSpec {
  std::string section;   // "search"
  std::string name;      // "threads"; the full key is section.name
  std::string alias;     // short command-line name ("threads"), or empty
  OptionKind kind = OptionKind::Text;
  int64_t int_min = 0, int_max = 0;  // Integer: inclusive range
  double real_min = 0, real_max = 0;  // Real: inclusive range
  std::vector<std::string> choices;   // Choice
  bool allow_empty = true;            // Text: may be ""
  std::string help;
  std::string info_key;  // piskvork INFO key that sets this option, or empty
  // The option's current value in `s` as text (what --help and the default INI show).
  std::function<std::string(const Settings& s)> get;
  // Stores a value that check_option_value() accepted.
  std::function<void(Settings& s, const std::string& value)> set;

  std::string key() const { return section + "." + name; }
};

// Every option, in display order.
const std::vector<OptionSpec>& option_table();
// The option with this full key (section.name) or alias; nullptr if none.
const OptionSpec* find_option(const std::string& key_or_alias);
const OptionSpec* find_option_by_info_key(const std::string& info_key);

// Empty if `value` is acceptable for `spec`, else the reason ("'0' is out of range 1..1024").
std::string check_option_value(const OptionSpec& spec, const std::string& value);
// Checks and stores; throws OptionError "option 'section.name' <where>: <reason>".
void set_option(Settings& s, const OptionSpec& spec, const std::string& value, const std::string& where = "");
// Sets or replaces a [plugin] pass-through option.
void set_plugin_option(Settings& s, const std::string& key, const std::string& value);

// Applies an INI file. Throws OptionError naming the file and line for an unreadable file, a
// malformed line, an unknown key outside [plugin], a repeated key or a bad value.
void apply_config_file(Settings& s, const std::string& path);

struct CommandLine {
  bool help = false;
  std::string config_file;  // --config FILE, empty if not given
};

// Loads settings for a subcommand: defaults, then the config file (--config FILE, else
// `default_config` when that file exists; empty = none), then the command-line `args` (the
// subcommand's arguments, program and subcommand names excluded). Throws OptionError.
Settings load_settings(const std::vector<std::string>& args, const std::string& default_config,
                       CommandLine* parsed = nullptr);

// The options of the given sections (all when empty) as --help text.
std::string options_help(const std::vector<std::string>& sections = {});
// A configuration file with every option commented out at its default (configs/hearth.ini).
std::string default_config_text();
// The options of `s` that differ from their defaults, in `sections` (all when empty; "plugin" for
// the pass-through keys), as an INI file that apply_config_file reads back to the same values.
// Keys (section.name) in `skip` are left out. Throws OptionError for a value a configuration
// file cannot hold (one with '#' or a line break).
std::string changed_options_config_text(const Settings& s, const std::vector<std::string>& sections,
                                        const std::vector<std::string>& skip = {});

}  // namespace hearth
