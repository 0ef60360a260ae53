#include "engine/tournament/schedule.h"

#include "engine/util/text.h"

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
