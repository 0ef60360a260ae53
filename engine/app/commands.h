// The program's subcommands (`hearth <name> [options]`), one table row each, and the entry point
// that parses arguments, loads settings and runs one.
//
// Thread-safety: subcommands() is immutable (thread-safe); run_program is main().
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "engine/config/options.h"

namespace hearth {

struct Subcommand {
  const char* name;
  const char* summary;                 // one line for `hearth --help`
  std::vector<std::string> sections;   // option sections its --help shows (empty: none)
  int (*run)(const Settings& settings, std::istream& in, std::ostream& out);
};

const std::vector<Subcommand>& subcommands();
const Subcommand* find_subcommand(const std::string& name);

std::string program_version();
// `hearth --help`.
std::string program_usage();

// main(): `hearth <subcommand> [options]`, `hearth --help`, `hearth --version`; a program named
// pbrain-* (how Gomocup managers find engines) runs `piskvork` with all arguments as options.
// Options come from hearth.ini beside the executable (if present, unless --config FILE) and the
// command line. A bad option prints one line on stderr and returns 2.
int run_program(int argc, char** argv);

}  // namespace hearth
