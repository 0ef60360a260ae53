// Runs a program to completion and captures what it prints: for the short-lived cluster tools
// (sbatch, squeue) that `hearth slurm` calls. Engines that talk by lines are ChildProcess's job
// (tournament_process.h).
//
// Thread-safety: run_command may be called from any thread; each call is independent.
#pragma once

#include <string>
#include <vector>

namespace hearth {

struct CommandOutput {
  bool started = false;  // false: the program could not be started (error says why)
  int status = -1;       // exit status; 128 + signal number if a signal ended it
  std::string out;       // its stdout
  std::string err;       // its stderr
  std::string error;     // why it could not be started
  bool ok() const { return started && status == 0; }
  // One line for messages: "exited with status 1: <first line of stderr>" or the start error.
  std::string describe() const;
};

// Runs argv (argv[0] found on PATH unless it holds a '/'), stdin from /dev/null, and waits for it.
CommandOutput run_command(const std::vector<std::string>& argv);

}  // namespace hearth
