#include "plugins/heuristic/threat_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace hearth {
namespace {

// ---- Pattern tables -------------------------------------------------------------------------
// A square's pattern along one line depends only on the five cells either side of it: a five
// that contains the square lies within four cells, and telling five from overline needs one
// more. Each cell is empty, own or blocked (other colour or off the board), so the ten cells
// around the square give 3^10 windows; a table per rule maps each to its LinePattern.

constexpr int kWindow = 11;
constexpr int kCentre = 5;
constexpr int kWindowMask = (1 << kWindow) - 1;
constexpr int kCompactStates = 59049;  // 3^10: the window without its centre
enum Cell : uint8_t { kEmpty = 0, kOwn = 1, kBlocked = 2 };

class TableBuilder {
 public:
  explicit TableBuilder(Rule rule) : rule_(rule), memo_(177147, -1) {}

  std::vector<uint8_t> build() {
    std::vector<uint8_t> table(kCompactStates);
    for (int key = 0; key < kCompactStates; ++key) {
      std::array<uint8_t, kWindow> cells{};
      int rest = key;
      for (int i = 0; i < kWindow; ++i) {
        if (i == kCentre) continue;
        cells[i] = static_cast<uint8_t>(rest % 3);
        rest /= 3;
      }
      cells[kCentre] = kOwn;
      table[key] = static_cast<uint8_t>(level(cells));
    }
    return table;
  }

 private:
  // Length of the own run through the centre; a run reaching the window's edge is six or more,
  // which is all the rules need to know.
  static int run_through_centre(const std::array<uint8_t, kWindow>& c) {
    int run = 1;
    for (int i = kCentre - 1; i >= 0 && c[i] == kOwn; --i) ++run;
    for (int i = kCentre + 1; i < kWindow && c[i] == kOwn; ++i) ++run;
    return run;
  }
  bool is_five(int run) const { return rule_ == Rule::Freestyle ? run >= 5 : run == 5; }

  static int key_of(const std::array<uint8_t, kWindow>& c) {
    int key = 0;
    for (int i = kWindow - 1; i >= 0; --i) key = key * 3 + c[i];
    return key;
  }

  // Pattern of the centre stone (already placed) in window c; memoised over all windows.
  LinePattern level(std::array<uint8_t, kWindow>& c) {
    const int key = key_of(c);
    if (memo_[key] >= 0) return static_cast<LinePattern>(memo_[key]);
    LinePattern result = LinePattern::None;
    const int run = run_through_centre(c);
    if (is_five(run)) {
      result = LinePattern::Five;
    } else if (run < 5) {  // a standard-rule overline through the centre can never become five
      int wins = 0;
      for (int i = 0; i < kWindow; ++i) {
        if (c[i] != kEmpty) continue;
        c[i] = kOwn;
        wins += is_five(run_through_centre(c)) ? 1 : 0;
        c[i] = kEmpty;
      }
      if (wins >= 2) {
        result = LinePattern::OpenFour;
      } else if (wins == 1) {
        result = LinePattern::Four;
      } else {
        // No five is one stone away, so any five of a child includes both stones: the child's
        // pattern is what this stone threatens to become.
        for (int i = 0; i < kWindow; ++i) {
          if (c[i] != kEmpty) continue;
          c[i] = kOwn;
          result = std::max(result, weaker(level(c)));
          c[i] = kEmpty;
        }
      }
    }
    memo_[key] = static_cast<int8_t>(result);
    return result;
  }

  // What a pattern one stone short of `p` is called.
  static LinePattern weaker(LinePattern p) {
    switch (p) {
      case LinePattern::OpenFour: return LinePattern::OpenThree;
      case LinePattern::Four: return LinePattern::ClosedThree;
      case LinePattern::OpenThree: return LinePattern::OpenTwo;
      case LinePattern::ClosedThree: return LinePattern::ClosedTwo;
      default: return LinePattern::None;
    }
  }

  Rule rule_;
  std::vector<int8_t> memo_;
};

const uint8_t* pattern_table(Rule rule) {
  // Built once per rule on first use; static initialisation is thread-safe.
  static const std::vector<uint8_t> freestyle = TableBuilder(Rule::Freestyle).build();
  static const std::vector<uint8_t> standard = TableBuilder(Rule::Standard).build();
  return rule == Rule::Freestyle ? freestyle.data() : standard.data();
}

// Maps the 11 bits of a window (one bit per cell) to the base-3 digits of the compact key, so a
// key is ternary[own] + 2 * ternary[blocked]. The centre bit carries no digit.
struct TernaryDigits {
  std::array<uint16_t, 1 << kWindow> of{};
  TernaryDigits() {
    for (int bits = 0; bits < (1 << kWindow); ++bits) {
      int key = 0, weight = 1;
      for (int i = 0; i < kWindow; ++i) {
        if (i == kCentre) continue;
        if (bits & (1 << i)) key += weight;
        weight *= 3;
      }
      of[bits] = static_cast<uint16_t>(key);
    }
  }
};
const TernaryDigits kTernary;

inline int window_key(uint32_t own, uint32_t blocked) { return kTernary.of[own] + 2 * kTernary.of[blocked]; }

// ---- Scoring --------------------------------------------------------------------------------
// Scores are rough "how close to winning" numbers per colour per square; logits are their logs,
// so a prior is proportional to a score. Combinations that win by force outrank any sum.

constexpr float kScoreFive = 1e6f;
constexpr float kScoreWinning = 1e5f;    // open four, or two fours: unstoppable
constexpr float kScoreFourThree = 2e4f;  // a four plus an open three: wins unless the block counters
constexpr float kScoreDoubleThree = 5e3f;
constexpr float kLineScore[kLinePatterns] = {0, 10, 60, 80, 800, 600, 0, 0};  // indexed by LinePattern
constexpr float kDefenceWeight = 0.8f;   // attack slightly preferred over blocking the same threat
constexpr float kFarLogit = -2.0f;       // below any square near a stone
constexpr float kCentrePull = 0.03f;     // per square of distance: breaks ties toward the centre

struct SideThreat {
  float score = 0;
  bool five = false;
  bool winning = false;  // five, open four or double four
};

inline SideThreat assess(const int* count) {
  using P = LinePattern;
  auto n = [count](P p) { return count[static_cast<int>(p)]; };
  const int fours = n(P::Four) + n(P::OpenFour);
  if (n(P::Five)) return {kScoreFive, true, true};
  if (n(P::OpenFour) || fours >= 2) return {kScoreWinning, false, true};
  if (fours && n(P::OpenThree)) return {kScoreFourThree, false, false};
  if (n(P::OpenThree) >= 2) return {kScoreDoubleThree, false, false};
  float s = 0;
  for (int p = 0; p < kLinePatterns; ++p) s += kLineScore[p] * static_cast<float>(count[p]);
  return {s, false, false};
}

// tanh squash of a threat balance into a value that leaves room for decided positions.
inline float squash(double x, double limit) { return static_cast<float>(std::clamp(std::tanh(x), -limit, limit)); }

}  // namespace

ThreatEvaluator::ThreatEvaluator(int size, Rule rule, float temperature)
    : size_(size), rule_(rule), temperature_(temperature), table_(pattern_table(rule)) {
  if (size < Board::kMinSize || size > Board::kMaxSize)
    throw std::invalid_argument("heuristic evaluator: board size " + std::to_string(size) + " is outside " +
                                std::to_string(Board::kMinSize) + ".." + std::to_string(Board::kMaxSize));
  if (!(temperature >= kMinTemperature && temperature <= kMaxTemperature)) {  // NaN fails too
    char text[128];
    std::snprintf(text, sizeof(text), "heuristic evaluator: temperature %g is outside %g..%g",
                  static_cast<double>(temperature), static_cast<double>(kMinTemperature),
                  static_cast<double>(kMaxTemperature));
    throw std::invalid_argument(text);
  }
  const int n = size;
  lines_per_direction_ = {n, n, 2 * n - 1, 2 * n - 1};
  cell_lines_.resize(static_cast<size_t>(n * n));
  std::array<std::array<int, kMaxLines>, 4> length{};
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      CellLines& c = cell_lines_[y * n + x];
      // Directions: horizontal, vertical, diagonal (x-y constant), anti-diagonal (x+y constant).
      const int line[4] = {y, x, x - y + n - 1, x + y};
      const int pos[4] = {x, y, std::min(x, y), x - std::max(0, x + y - (n - 1))};
      for (int d = 0; d < 4; ++d) {
        c.line[d] = static_cast<uint8_t>(line[d]);
        c.pos[d] = static_cast<uint8_t>(pos[d]);
        length[d][line[d]] = std::max(length[d][line[d]], pos[d] + 1);
      }
    }
  }
  // A line's cell at pos sits at bit pos+5; five wall bits before it and walls after its end
  // (22 cells + 10 walls fill 32 bits exactly).
  for (int d = 0; d < 4; ++d)
    for (int l = 0; l < lines_per_direction_[d]; ++l)
      walls_[d][l] = ~(((1u << length[d][l]) - 1u) << kCentre);

  far_logit_.resize(cell_lines_.size());
  centre_bias_.resize(cell_lines_.size());
  const float mid = (n - 1) / 2.0f;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      const float dist = std::max(std::abs(x - mid), std::abs(y - mid)) + 0.25f * (std::abs(x - mid) + std::abs(y - mid));
      centre_bias_[y * n + x] = -kCentrePull * dist / temperature;
      far_logit_[y * n + x] = kFarLogit / temperature + centre_bias_[y * n + x];
    }
  }
}

void ThreatEvaluator::evaluate(const float* planes, float* logits, float* value) const {
  const int n = size_;
  const int cells = n * n;
  const float* mine_plane = planes;
  const float* theirs_plane = planes + cells;

  // Line bitmasks of both colours, walls preset, and each row's occupancy.
  struct LineMasks {
    uint32_t mine, theirs, wall;
  };
  LineMasks lines[4][kMaxLines];
  for (int d = 0; d < 4; ++d)
    for (int l = 0; l < lines_per_direction_[d]; ++l) lines[d][l] = {0, 0, walls_[d][l]};
  uint32_t occupied[Board::kMaxSize] = {};
  int stones = 0;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      const int i = y * n + x;
      const bool mine = mine_plane[i] > 0.5f;
      if (!mine && !(theirs_plane[i] > 0.5f)) {
        logits[i] = far_logit_[i];
        continue;
      }
      logits[i] = kOccupiedLogit;
      occupied[y] |= 1u << x;
      ++stones;
      const CellLines& c = cell_lines_[i];
      for (int d = 0; d < 4; ++d) {
        const uint32_t bit = 1u << (c.pos[d] + kCentre);
        if (mine)
          lines[d][c.line[d]].mine |= bit;
        else
          lines[d][c.line[d]].theirs |= bit;
      }
    }
  }
  if (stones == 0) {  // the far logits already point at the centre
    *value = 0.0f;
    return;
  }

  // Candidates: empty squares within Chebyshev distance 2 of a stone.
  const uint32_t row_mask = (1u << n) - 1u;
  uint32_t spread[Board::kMaxSize];
  for (int y = 0; y < n; ++y) {
    const uint32_t r = occupied[y];
    spread[y] = r | (r << 1) | (r << 2) | (r >> 1) | (r >> 2);
  }

  // Tier squares (winning at once) and the threat balance for the value.
  int my_fives[Board::kMaxCells], their_fives[Board::kMaxCells];
  int num_my_fives = 0, num_their_fives = 0;
  bool my_winning = false;
  float my_best = 0, their_best = 0, their_best_non_five = 0, my_sum = 0, their_sum = 0;
  float my_score_at_their_five = 0;

  for (int y = 0; y < n; ++y) {
    uint32_t near = 0;
    for (int yy = std::max(0, y - 2); yy <= std::min(n - 1, y + 2); ++yy) near |= spread[yy];
    near &= row_mask & ~occupied[y];
    while (near) {
      const int x = __builtin_ctz(near);
      near &= near - 1;
      const int i = y * n + x;
      const CellLines& c = cell_lines_[i];
      int my_count[kLinePatterns] = {}, their_count[kLinePatterns] = {};
      for (int d = 0; d < 4; ++d) {
        const LineMasks& m = lines[d][c.line[d]];
        const int shift = c.pos[d];
        const uint32_t mine = (m.mine >> shift) & kWindowMask;
        const uint32_t theirs = (m.theirs >> shift) & kWindowMask;
        const uint32_t wall = (m.wall >> shift) & kWindowMask;
        ++my_count[table_[window_key(mine, theirs | wall)]];
        ++their_count[table_[window_key(theirs, mine | wall)]];
      }
      const SideThreat attack = assess(my_count);
      const SideThreat defence = assess(their_count);
      if (attack.five) my_fives[num_my_fives++] = i;
      if (defence.five) {
        their_fives[num_their_fives++] = i;
        my_score_at_their_five = attack.score;
      } else {
        their_best_non_five = std::max(their_best_non_five, defence.score);
      }
      my_winning |= attack.winning;
      my_best = std::max(my_best, attack.score);
      their_best = std::max(their_best, defence.score);
      my_sum += std::min(attack.score, 1000.0f);
      their_sum += std::min(defence.score, 1000.0f);
      logits[i] = std::log1p(attack.score + kDefenceWeight * defence.score) / temperature_ + centre_bias_[i];
    }
  }

  // Must-play tiers: a win at once above all; else blocking the opponent's win.
  const int* tier = num_my_fives ? my_fives : their_fives;
  const int num_tier = num_my_fives ? num_my_fives : num_their_fives;
  if (num_tier > 0) {
    constexpr float kUnset = -1e30f;
    float rest = kUnset, tier_max = kUnset;
    for (int k = 0; k < num_tier; ++k) {
      tier_max = std::max(tier_max, logits[tier[k]]);
      logits[tier[k]] = kUnset;  // excluded from `rest` below
    }
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x)
        if (!(occupied[y] & (1u << x))) rest = std::max(rest, logits[y * n + x]);
    if (rest == kUnset) rest = tier_max;  // no other empty square
    const float margin = num_my_fives ? kWinMargin : kBlockMargin;
    for (int k = 0; k < num_tier; ++k) logits[tier[k]] = rest + margin;
  }

  // Value from the side to move's view.
  if (num_my_fives) {
    *value = 0.97f;
  } else if (num_their_fives >= 2) {
    *value = -0.95f;  // two winning squares: one block cannot stop both
  } else if (num_their_fives == 1) {
    // The block is forced; what it builds for us against what they keep decides.
    const double x = 0.3 * (std::log10(1.0 + my_score_at_their_five) - std::log10(1.0 + their_best_non_five)) - 0.2;
    *value = squash(x, 0.85);
  } else if (my_winning) {
    *value = 0.9f;  // open four or double four and they cannot win first
  } else {
    const double balance = std::log10(1.0 + my_best) - std::log10(1.0 + their_best);
    const double material = (my_sum - their_sum) / (my_sum + their_sum + 200.0);
    *value = squash(0.3 * balance + 0.25 * material, 0.85);
  }
}

LinePattern ThreatEvaluator::pattern_in_line(std::string_view line, int index) const {
  if (index < 0 || index >= static_cast<int>(line.size()))
    throw std::invalid_argument("pattern_in_line: index " + std::to_string(index) + " is outside the line");
  if (line[index] != '.')
    throw std::invalid_argument("pattern_in_line: square " + std::to_string(index) + " is not empty");
  for (char ch : line)
    if (ch != 'X' && ch != 'O' && ch != '.')
      throw std::invalid_argument(std::string("pattern_in_line: unexpected character '") + ch + "'");
  uint32_t own = 0, blocked = 0;
  for (int k = 0; k < kWindow; ++k) {
    const int at = index - kCentre + k;
    const char ch = (at < 0 || at >= static_cast<int>(line.size())) ? 'O' : line[at];
    if (ch == 'X')
      own |= 1u << k;
    else if (ch == 'O')
      blocked |= 1u << k;
  }
  return static_cast<LinePattern>(table_[window_key(own, blocked)]);
}

}  // namespace hearth
