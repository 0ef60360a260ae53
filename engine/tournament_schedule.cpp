#include "tournament_schedule.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace hearth {

std::vector<Pairing> make_pairings(int players, TournamentFormat format, bool selfplay) {
  if (selfplay) {
    if (players != 1)
      throw std::invalid_argument("self-play needs exactly one player, not " + std::to_string(players));
    return {Pairing{0, 0}};
  }
  if (players < 2) throw std::invalid_argument("a tournament needs at least two players, not " + std::to_string(players));
  std::vector<Pairing> pairings;
  if (format == TournamentFormat::Gauntlet) {
    for (int j = 1; j < players; ++j) pairings.push_back({0, j});
  } else {
    for (int i = 0; i < players; ++i)
      for (int j = i + 1; j < players; ++j) pairings.push_back({i, j});
  }
  return pairings;
}

std::vector<ScheduledGame> make_schedule(const std::vector<Pairing>& pairings, int games_per_pairing, int openings) {
  if (openings < 1) throw std::invalid_argument("a schedule needs at least one opening");
  std::vector<ScheduledGame> games;
  const int count = static_cast<int>(pairings.size());
  for (int g = 0; g < games_per_pairing; ++g) {
    for (int p = 0; p < count; ++p) {
      ScheduledGame game;
      game.index = static_cast<int64_t>(g) * count + p;
      game.pairing = p;
      game.round = g;
      const bool swapped = g % 2 == 1;
      game.black = swapped ? pairings[p].second : pairings[p].first;
      game.white = swapped ? pairings[p].first : pairings[p].second;
      game.opening = (g / 2) % openings;
      games.push_back(game);
    }
  }
  return games;
}

bool parse_shard(const std::string& text, Shard* out, std::string* error) {
  size_t b = text.find_first_not_of(" \t"), e = text.find_last_not_of(" \t");
  const std::string t = b == std::string::npos ? "" : text.substr(b, e - b + 1);
  if (t.empty()) {
    *out = Shard{};
    return true;
  }
  const auto bad = [&](const std::string& why) {
    *error = "'" + t + "' " + why;
    return false;
  };
  const size_t slash = t.find('/');
  if (slash == std::string::npos) return bad("is not i/n (shard i of n, 0 <= i < n), e.g. 0/4");
  int i = -1, n = -1;
  const char* first = t.data();
  const char* mid = t.data() + slash;
  const char* last = t.data() + t.size();
  auto [p1, e1] = std::from_chars(first, mid, i);
  auto [p2, e2] = std::from_chars(mid + 1, last, n);
  if (e1 != std::errc() || p1 != mid || e2 != std::errc() || p2 != last || slash == 0)
    return bad("is not i/n (shard i of n, 0 <= i < n), e.g. 0/4");
  if (n < 1) return bad("has no shards: n must be at least 1");
  if (i < 0 || i >= n) return bad("names shard " + std::to_string(i) + " of " + std::to_string(n) + ": i must be 0.." + std::to_string(n - 1));
  *out = Shard{i, n};
  return true;
}

bool parse_shard_option(const std::string& text, Shard* out, std::string* error) {
  if (text != "slurm") return parse_shard(text, out, error);
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count || !*id || !*count) {
    *error = "'slurm' takes the shard from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, which are not set "
             "(not a Slurm array task?): give the shard as i/n";
    return false;
  }
  std::string problem;
  if (parse_shard(std::string(id) + "/" + count, out, &problem)) return true;
  *error = "'slurm' gave " + problem + " (an array whose task ids are not 0..count-1? give the shard as i/n)";
  return false;
}

std::string fnv1a_hex(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace hearth
