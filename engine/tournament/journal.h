// The results file (<out_dir>/results.jsonl): JSON lines, appended and flushed one game at a
// time, so an interrupted or crashed tournament loses no finished game, and re-running the same
// command resumes it (games already recorded are skipped).
//
//   line 1: {"type":"header","format":1,"hash":"<16 hex>","games_total":N,"players":"a;b",
//            "board_size":15,"rule":"freestyle","tournament_format":"round-robin","pairings":"0-1 0-2",
//            "shard":"1/4"}   (shard "" = the whole schedule)
//   then:   {"type":"game","game":I,"pairing":P,"round":G,"opening":O,"black":"a","white":"b",
//            "black_index":0,"white_index":1,"result":"1-0","termination":"five","reason":"...",
//            "moves":31,"opening_stones":4,"black_ms":812,"white_ms":774,"record":"x,y x,y ..."}
//
// I is the game's schedule index (tournament_schedule.h); "record" lists every stone, 0-based,
// Black first. The hash covers everything that decides the games (players, openings, board,
// schedule) and is the same for every shard of one schedule (games_total is the whole schedule's
// too): a results file written under another configuration, or for another shard, is refused. A
// torn last line (a crash in mid-write) is dropped and cut off the file. `hearth merge` reads
// shards' files with read_results_file and joins them (tournament_merge.h).
//
// Thread-safety: a ResultsJournal is used by one thread at a time; parse_flat_json is pure.
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/tournament/results.h"
#include "engine/tournament/schedule.h"

namespace hearth {

// One line of flat JSON (string, number, true/false/null values; no nesting) as key -> value,
// strings unescaped, other values as written. False if the line is not such an object.
bool parse_flat_json(const std::string& line, std::map<std::string, std::string>* out);

struct JournalHeader {
  std::string hash;
  int64_t games_total = 0;
  std::string players;  // names joined by ';'
  int board_size = 15;
  std::string rule;
  std::string format;    // "round-robin", "gauntlet" or "self-play"
  std::string pairings;  // "first-second" player indices, separated by spaces, in pairing order
  std::string shard;     // "i/n", or "" for the whole schedule
};

std::string header_line(const JournalHeader& h);
std::string pairings_text(const std::vector<Pairing>& pairings);
// Parses pairings_text's output; false if malformed.
bool parse_pairings(const std::string& text, std::vector<Pairing>* out);

// A results file as written, for reading others' files (merge). `fields` of the header as read.
struct ResultsFile {
  std::map<std::string, std::string> header;
  std::vector<GameResult> games;  // in file order; a game recorded twice is kept once (the first)
};
// Throws std::runtime_error naming the file (and line) if it cannot be read or parsed.
ResultsFile read_results_file(const std::string& path);

class ResultsJournal {
 public:
  // Opens `path`: creates it with `header`, or reads the games of an existing file after
  // checking its hash against header.hash and every game against `schedule` (player indices
  // and names). Throws std::runtime_error naming the file and the problem.
  ResultsJournal(const std::string& path, const JournalHeader& header, const std::vector<ScheduledGame>& schedule,
                 const std::vector<std::string>& names);
  ~ResultsJournal();
  ResultsJournal(const ResultsJournal&) = delete;
  ResultsJournal& operator=(const ResultsJournal&) = delete;

  // The games found in the file when it was opened.
  const std::vector<GameResult>& recorded() const { return recorded_; }
  // Appends one game and flushes it to the operating system. Throws std::runtime_error.
  void append(const GameResult& result, const std::vector<std::string>& names);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<GameResult> recorded_;
};

// A game as one results-file line (without the newline), and back.
std::string game_line(const GameResult& r, const std::vector<std::string>& names);
std::optional<GameResult> parse_game_line(const std::map<std::string, std::string>& fields, std::string* error);

}  // namespace hearth
