#include "engine/app/commands.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <iostream>
#include <sstream>

#include "engine/bench/search_bench.h"
#include "engine/bench/human_paced.h"
#include "engine/bench/latency.h"
#include "engine/config/logging.h"
#include "engine/play/piskvork.h"
#include "engine/cluster/slurm_command.h"
#include "engine/play/terminal.h"
#include "engine/tournament/command.h"
#include "engine/tournament/merge.h"
#include "engine/train/command.h"
#include "engine/util/executable_path.h"

#ifndef HEARTH_VERSION
#define HEARTH_VERSION "unknown"
#endif

namespace hearth {
namespace {

int run_piskvork(const Settings& settings, std::istream& in, std::ostream& out) {
  PiskvorkEngine engine(settings, in, out);
  return engine.run();
}

int run_play(const Settings& settings, std::istream& in, std::ostream& out) {
  TerminalPlay play(settings, in, out);
  return play.run();
}

int run_bench_command(const Settings& settings, std::istream&, std::ostream& out) { return run_bench(settings, out); }

int run_latency_command(const Settings& settings, std::istream&, std::ostream& out) {
  return latency::run_latency(settings, out);
}

int run_human_paced_command(const Settings& settings, std::istream&, std::ostream& out) {
  return human_paced::run_human_paced(settings, out);
}

int run_config(const Settings&, std::istream&, std::ostream& out) {
  out << default_config_text();
  return 0;
}

const std::vector<std::string> kGameSections = {"search", "time", "evaluator", "game", "log"};

std::string basename_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The folder of the running executable (where hearth.ini and plugins sit beside it).
std::string executable_dir(const char* argv0) {
  const std::string path = executable_path(argv0 ? argv0 : "");
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> table = {
      {"piskvork", "play by the Gomocup (piskvork) protocol on stdin/stdout", kGameSections, run_piskvork},
      {"play", "play against the engine in the terminal", kGameSections, run_play},
      {"bench", "search fixed positions and report visits/s, evaluations/s and batch sizes",
       {"search", "evaluator", "game", "log", "bench"}, run_bench_command},
      {"latency", "time one plugin forward after idle gaps, with and without keep-warm",
       {"latency", "evaluator", "log"}, run_latency_command},
      {"human-paced", "play a scripted opponent that thinks like a person; compare keep-warm on/off",
       {"search", "time", "evaluator", "game", "log", "human_paced"}, run_human_paced_command},
      {"tournament", "play games between players (in-process or Gomocup engines); Elo, SPRT, records",
       {"tournament", "game", "search", "time", "evaluator", "log"}, run_tournament},
      {"merge", "merge the results of tournament shards (tournament.shard i/n) into one summary",
       {"merge", "log"}, run_merge},
      {"slurm", "run a tournament as a Slurm job array of shards and a merge job (--dry-run prints it)",
       {"slurm", "tournament", "game", "search", "time", "evaluator", "log"}, run_slurm},
      {"train", "train the policy/value net on self-play data (LibTorch); writes net.pt for the torch plugin",
       {"train", "log"}, run_train},
      {"config", "print a configuration file with every option at its default", {}, run_config},
  };
  return table;
}

const Subcommand* find_subcommand(const std::string& name) {
  for (const auto& c : subcommands())
    if (name == c.name) return &c;
  return nullptr;
}

std::string program_version() { return HEARTH_VERSION; }

std::string program_usage() {
  std::ostringstream out;
  out << "Hearth " << program_version() << ": AlphaZero-style MCTS for Gomoku\n\n"
      << "Usage: hearth <command> [options]      (hearth <command> --help lists its options)\n"
      << "       hearth --version\n\nCommands:\n";
  for (const auto& c : subcommands()) {
    std::string name = c.name;
    name.resize(std::max<size_t>(13, name.size() + 2), ' ');  // names up to 11 characters line up
    out << "  " << name << c.summary << "\n";
  }
  out << "\nA copy of the program named pbrain-* runs `piskvork` (Gomocup managers start engines so).\n"
      << "Options are read from --config FILE, else hearth.ini beside the program if present; the\n"
      << "command line overrides the file.\n";
  return out.str();
}

int run_program(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  const std::string program = argc > 0 ? basename_of(argv[0]) : "hearth";
  const Subcommand* command = nullptr;
  if (program.rfind("pbrain-", 0) == 0) {
    command = find_subcommand("piskvork");
  } else {
    if (args.empty()) {
      std::cerr << program_usage();
      return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << program_usage();
      return 0;
    }
    if (args[0] == "--version") {
      std::cout << "hearth " << program_version() << "\n";
      return 0;
    }
    command = find_subcommand(args[0]);
    if (!command) {
      std::cerr << "hearth: unknown command '" << args[0] << "' (see hearth --help)\n";
      return 2;
    }
    args.erase(args.begin());
  }

  Settings settings;
  CommandLine parsed;
  try {
    settings = load_settings(args, executable_dir(argc > 0 ? argv[0] : nullptr) + "/hearth.ini", &parsed);
  } catch (const OptionError& e) {
    std::cerr << "hearth: " << e.what() << "\n";
    return 2;
  }
  if (parsed.help) {
    std::cout << "Usage: hearth " << command->name << " [options]\n" << command->summary << "\n\n";
    if (!command->sections.empty()) std::cout << options_help(command->sections);
    return 0;
  }
  try {
    setup_logging(settings.log);
  } catch (const std::exception& e) {
    std::cerr << "hearth: " << e.what() << "\n";
    return 2;
  }
  try {
    return command->run(settings, std::cin, std::cout);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}

}  // namespace hearth
