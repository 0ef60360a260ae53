// Helpers of the tournament test suites (include after doctest).
// Thread-safety: plain functions; each call stands alone.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/tournament/tournament.h"
#include "engine/tournament/journal.h"

namespace hearth_test {

// Every game line of out/results.jsonl; each line must parse (a stricter reader than
// read_results_file, which drops a torn last line).
inline std::vector<hearth::GameResult> read_results(const std::filesystem::path& out) {
  std::ifstream in(out / "results.jsonl");
  std::vector<hearth::GameResult> results;
  std::string line;
  while (std::getline(in, line)) {
    std::map<std::string, std::string> fields;
    REQUIRE(hearth::parse_flat_json(line, &fields));
    if (fields["type"] != "game") continue;
    std::string error;
    const auto r = hearth::parse_game_line(fields, &error);
    REQUIRE_MESSAGE(r, error);
    results.push_back(*r);
  }
  return results;
}

// The message of the TournamentError the constructor throws for `s`, or "" if it accepts them.
inline std::string construction_error(const hearth::Settings& s) {
  try {
    hearth::Tournament t(s);
  } catch (const hearth::TournamentError& e) {
    return e.what();
  }
  return "";
}

}  // namespace hearth_test
