#include "tournament_merge.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "text_util.h"
#include "tournament_journal.h"
#include "tournament_records.h"
#include "tournament_results.h"

namespace hearth {
namespace fs = std::filesystem;
namespace {

struct ShardInput {
  std::string dir;
  ResultsFile file;
};

std::string field(const ResultsFile& f, const std::string& key) {
  const auto it = f.header.find(key);
  return it == f.header.end() ? "" : it->second;
}

int64_t number_field(const ShardInput& in, const std::string& key) {
  const std::string text = field(in.file, key);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < 0)
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

MergeReport merge_shards(const MergeSettings& m) {
  if (m.out_dir.empty()) throw MergeError("merge: merge.out is empty: the merged results need a folder");
  if (trim(m.inputs).empty())
    throw MergeError("merge: merge.inputs is empty: name the shards' folders, separated by ','");
  std::vector<ShardInput> inputs;
  for (const std::string& dir : split(m.inputs, ',')) {
    if (dir.empty()) throw MergeError("merge: merge.inputs '" + m.inputs + "' has an empty folder name");
    std::error_code ec;
    for (const ShardInput& other : inputs)
      if (fs::equivalent(other.dir, dir, ec)) throw MergeError("merge: merge.inputs names " + dir + " twice");
    if (fs::exists(m.out_dir, ec) && fs::equivalent(m.out_dir, dir, ec))
      throw MergeError("merge: merge.out " + m.out_dir + " is also an input: merge into another folder");
    ShardInput in;
    in.dir = dir;
    try {
      in.file = read_results_file((fs::path(dir) / "results.jsonl").string());
    } catch (const std::exception& e) {
      throw MergeError(std::string("merge: ") + e.what());
    }
    inputs.push_back(std::move(in));
  }

  // One configuration: the first shard's is the reference.
  const ShardInput& first = inputs.front();
  for (const ShardInput& in : inputs)
    if (field(in.file, "hash") != field(first.file, "hash"))
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
      << ", records: " << (dir / "games").string() << "\n";
  out.flush();
  return 0;
}

}  // namespace hearth
