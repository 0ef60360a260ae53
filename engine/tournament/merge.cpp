#include "engine/tournament/merge.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "engine/util/text.h"
#include "engine/tournament/journal.h"
#include "engine/tournament/records.h"
#include "engine/tournament/training.h"
#include "engine/tournament/results.h"

namespace hearth {
namespace fs = std::filesystem;
namespace {

struct ShardInput {
  std::string dir;
  bool found = false;  // dir/results.jsonl exists
  ResultsFile file;
};

std::string field(const ResultsFile& f, const std::string& key) {
  const auto it = f.header.find(key);
  return it == f.header.end() ? "" : it->second;
}

int64_t number_field(const ShardInput& in, const std::string& key) {
  const std::string text = field(in.file, key);
  int64_t v = 0;
  if (!parse_int(text, &v) || v < 0)
    throw MergeError("merge: " + in.dir + "/results.jsonl: header field '" + key + "' is missing or malformed");
  return v;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) items.push_back(trim(item));
  if (!text.empty() && text.back() == sep) items.push_back("");
  return items;
}

// merge.inputs as folders: items separated by ','; an item @FILE stands for the folders listed
// in FILE, one per line (thousands of shards do not fit on one command line).
std::vector<std::string> input_folders(const std::string& inputs) {
  std::vector<std::string> folders;
  for (const std::string& item : split(inputs, ',')) {
    if (item.empty() || item[0] != '@') {
      folders.push_back(item);
      continue;
    }
    std::ifstream list(item.substr(1));
    if (!list) throw MergeError("merge: cannot read the list of shard folders " + item.substr(1));
    for (std::string line; std::getline(list, line);)
      if (!trim(line).empty()) folders.push_back(trim(line));
  }
  return folders;
}

// Two recordings of one game are the same game if they end alike after the same stones (the
// thinking times differ from run to run).
bool same_game(const GameResult& a, const GameResult& b) {
  return a.outcome == b.outcome && a.termination == b.termination && a.moves_text == b.moves_text;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("merge: cannot write " + path.string());
}

// One folder's results: found false (and no games) if it has no results.jsonl. Throws
// std::runtime_error naming the file if it cannot be read or parsed.
ShardInput read_input(const std::string& dir) {
  ShardInput in;
  in.dir = dir;
  const fs::path results = fs::path(dir) / "results.jsonl";
  std::error_code ec;
  in.found = fs::exists(results, ec);
  if (in.found) in.file = read_results_file(results.string());
  return in;
}

// Progress of one input; a whole-schedule input (no shard in its header) expects every game.
ShardProgress progress_of(const ShardInput& in, int64_t schedule_games) {
  ShardProgress p;
  p.dir = in.dir;
  p.found = in.found;
  p.shard = field(in.file, "shard");
  p.hash = field(in.file, "hash");
  Shard shard;
  std::string error;
  if (!parse_shard(p.shard, &shard, &error)) throw MergeError("merge: " + in.dir + "/results.jsonl: shard " + error);
  p.expected = shard.games_of(schedule_games);
  p.recorded = static_cast<int64_t>(in.file.games.size());
  return p;
}

// Writes out_dir/training.txt from the inputs' training.txt files: each merged game's lines from
// the input whose copy of the game was kept, in index order. Returns the lines written; writes
// nothing when no input has training data.
int64_t merge_training(const std::vector<ShardInput>& inputs,
                       const std::map<int64_t, std::pair<GameResult, size_t>>& games, const std::string& out_dir) {
  std::vector<std::map<int64_t, std::vector<std::string>>> lines(inputs.size());
  bool any = false;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const fs::path path = fs::path(inputs[k].dir) / "training.txt";
    if (!inputs[k].found || !fs::exists(path)) continue;
    any = true;
    try {
      lines[k] = read_training_lines(path.string());
    } catch (const std::exception& e) {
      throw MergeError(std::string("merge: ") + e.what());
    }
  }
  if (!any) return 0;
  std::string text;
  int64_t count = 0;
  std::vector<int64_t> without;
  for (const auto& [index, entry] : games) {
    const auto it = lines[entry.second].find(index);
    if (it == lines[entry.second].end()) {
      without.push_back(index);
      continue;
    }
    for (const std::string& line : it->second) text += line + "\n";
    count += static_cast<int64_t>(it->second.size());
  }
  if (!without.empty())
    spdlog::warn("merge: {} game(s) have no training positions in their shard's training.txt: {}", without.size(),
                 index_ranges(without));
  write_file(fs::path(out_dir) / "training.txt", text);
  return count;
}

}  // namespace

std::string index_ranges(const std::vector<int64_t>& sorted, size_t limit) {
  std::string out;
  size_t items = 0;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (items == limit) {
      out += " ... (" + std::to_string(sorted.size()) + " in all)";
      break;
    }
    out += (out.empty() ? "" : " ") + std::to_string(sorted[i]);
    if (j > i) out += "-" + std::to_string(sorted[j]);
    ++items;
    i = j + 1;
  }
  return out;
}

ShardProgress read_shard_progress(const std::string& dir) {
  const ShardInput in = read_input(dir);
  return progress_of(in, in.found ? number_field(in, "games_total") : 0);
}

MergeReport merge_shards(const MergeSettings& m) {
  if (m.out_dir.empty()) throw MergeError("merge: merge.out is empty: the merged results need a folder");
  if (trim(m.inputs).empty())
    throw MergeError("merge: merge.inputs is empty: name the shards' folders, separated by ','");
  std::vector<ShardInput> inputs;
  for (const std::string& dir : input_folders(m.inputs)) {
    if (dir.empty()) throw MergeError("merge: merge.inputs '" + m.inputs + "' has an empty folder name");
    std::error_code ec;
    for (const ShardInput& other : inputs)
      if (fs::equivalent(other.dir, dir, ec)) throw MergeError("merge: merge.inputs names " + dir + " twice");
    if (fs::exists(m.out_dir, ec) && fs::equivalent(m.out_dir, dir, ec))
      throw MergeError("merge: merge.out " + m.out_dir + " is also an input: merge into another folder");
    ShardInput in;
    try {
      in = read_input(dir);
    } catch (const std::exception& e) {
      throw MergeError(std::string("merge: ") + e.what());
    }
    if (!in.found) spdlog::warn("merge: {} has no results.jsonl (a shard that never started?): no games from it", dir);
    inputs.push_back(std::move(in));
  }

  // One configuration: the first shard's is the reference.
  const auto found = std::find_if(inputs.begin(), inputs.end(), [](const ShardInput& in) { return in.found; });
  if (found == inputs.end())
    throw MergeError("merge: no input has a results.jsonl (" + m.inputs + "): did any shard run?");
  const ShardInput& first = *found;
  for (const ShardInput& in : inputs)
    if (in.found && field(in.file, "hash") != field(first.file, "hash"))
      throw MergeError("merge: " + in.dir + " and " + first.dir +
                       " were made from different tournament configurations (hash " + field(in.file, "hash") +
                       " vs " + field(first.file, "hash") + "): shards must share every setting but tournament.shard");
  std::vector<Pairing> pairings;
  if (!parse_pairings(field(first.file, "pairings"), &pairings))
    throw MergeError("merge: " + first.dir + "/results.jsonl names no pairings (written by an older hearth?)");
  const std::vector<std::string> names = split(field(first.file, "players"), ';');
  const int64_t total = number_field(first, "games_total");
  const int board_size = static_cast<int>(number_field(first, "board_size"));

  // index -> (game, input it came from)
  std::map<int64_t, std::pair<GameResult, size_t>> games;
  MergeReport report;
  report.games_total = total;
  for (size_t k = 0; k < inputs.size(); ++k) {
    for (const GameResult& r : inputs[k].file.games) {
      const ScheduledGame& g = r.game;
      if (g.index < 0 || g.index >= total || g.pairing < 0 || g.pairing >= static_cast<int>(pairings.size()) ||
          g.black < 0 || g.black >= static_cast<int>(names.size()) || g.white < 0 ||
          g.white >= static_cast<int>(names.size()))
        throw MergeError("merge: " + inputs[k].dir + "/results.jsonl: game " + std::to_string(g.index) +
                         " does not fit the tournament's schedule");
      const auto [it, fresh] = games.emplace(g.index, std::make_pair(r, k));
      if (fresh) continue;
      const std::string& earlier = inputs[it->second.second].dir;
      if (!same_game(it->second.first, r))
        throw MergeError("merge: game " + std::to_string(g.index) + " was played by both " + earlier + " (" +
                         result_text(it->second.first.outcome) + ") and " + inputs[k].dir + " (" +
                         result_text(r.outcome) + ") with different results: were the shards overlapping runs?");
      report.duplicates.push_back(g.index);
    }
  }
  if (!report.duplicates.empty())
    spdlog::warn("merge: {} game(s) recorded by more than one shard, identically (kept once): {}",
                 report.duplicates.size(), index_ranges(report.duplicates));
  for (int64_t i = 0; i < total; ++i)
    if (!games.count(i)) report.missing.push_back(i);
  report.games_merged = static_cast<int64_t>(games.size());
  if (!report.missing.empty()) {
    spdlog::warn("merge: {} of {} games were played by no shard: {}", report.missing.size(), total,
                 index_ranges(report.missing));
    for (const ShardInput& in : inputs) {
      const ShardProgress p = progress_of(in, total);
      if (p.complete()) continue;
      if (p.found)  // (a folder without results was named when it was read)
        spdlog::warn("merge: {}{} has {} of its {} games", in.dir, p.shard.empty() ? "" : " (shard " + p.shard + ")",
                     p.recorded, p.expected);
      report.incomplete.push_back(p);
    }
    if (!m.allow_missing) {
      spdlog::error("merge: nothing written: run the missing shards (or resume them), or pass --merge.allow_missing on");
      return report;
    }
  }

  std::error_code ec;
  fs::create_directories(fs::path(m.out_dir) / "games", ec);
  if (ec) throw std::runtime_error("merge: cannot create " + m.out_dir + ": " + ec.message());
  JournalHeader header;
  header.hash = field(first.file, "hash");
  header.games_total = total;
  header.players = field(first.file, "players");
  header.board_size = board_size;
  header.rule = field(first.file, "rule");
  header.format = field(first.file, "tournament_format");
  header.pairings = field(first.file, "pairings");
  std::string journal = header_line(header) + "\n";
  Standings standings(names, pairings);
  for (const auto& [index, entry] : games) {
    const GameResult& r = entry.first;
    journal += game_line(r, names) + "\n";
    standings.add(r);
    const std::string stem = record_file_stem(index);
    for (const char* ext : {".psq", ".sgf"}) {
      const fs::path from = fs::path(inputs[entry.second].dir) / "games" / (stem + ext);
      if (!fs::exists(from)) continue;  // that shard ran with fewer records (tournament.records)
      fs::copy_file(from, fs::path(m.out_dir) / "games" / (stem + ext), fs::copy_options::overwrite_existing, ec);
      if (ec) throw std::runtime_error("merge: cannot copy " + from.string() + ": " + ec.message());
    }
  }
  write_file(fs::path(m.out_dir) / "results.jsonl", journal);
  report.training_lines = merge_training(inputs, games, m.out_dir);

  SummaryInfo info;
  info.hash = header.hash;
  info.board_size = board_size;
  info.rule = header.rule;
  info.format = header.format;
  info.games_total = total;
  info.schedule_games = total;
  info.games_this_run = report.games_merged;
  info.complete = report.missing.empty();
  if (!info.complete) info.stopped = std::to_string(report.missing.size()) + " games were played by no shard";
  write_file(fs::path(m.out_dir) / "summary.json", summary_json(standings, info));
  report.summary_text = summary_text(standings, info);
  report.written = true;
  return report;
}

int run_merge(const Settings& settings, std::istream&, std::ostream& out) {
  const MergeSettings& m = settings.tournament.merge;
  MergeReport report;
  try {
    report = merge_shards(m);
  } catch (const MergeError& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  if (!report.written) return 1;
  const fs::path dir(m.out_dir);
  out << report.summary_text << "Merged " << report.games_merged << " of " << report.games_total
      << " games: " << (dir / "results.jsonl").string() << ", summary: " << (dir / "summary.json").string()
      << ", records: " << (dir / "games").string();
  if (report.training_lines > 0) out << ", training data: " << (dir / "training.txt").string();
  out << "\n";
  out.flush();
  return 0;
}

}  // namespace hearth
