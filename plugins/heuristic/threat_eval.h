// A Gomoku threat evaluator: policy logits and a value from the line patterns (five, fours,
// threes, twos) a stone would make on each empty square, for the side to move (attack) and for
// the opponent (defence). The CPU default evaluator; no learning, microseconds per position.
//
// Thread-safety: a ThreatEvaluator is immutable after construction; evaluate() is const and
// reentrant (no shared scratch), so one instance may serve any number of threads.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/game/board.h"

namespace hearth {

// What a stone placed on an empty square makes along one line for its own colour, weakest first.
//   Four: exactly one square then completes a five; OpenFour: two or more (unstoppable).
//   OpenThree: one more stone can make an OpenFour; ClosedThree: one more can make only a Four.
//   OpenTwo / ClosedTwo: one more stone makes an OpenThree / ClosedThree.
// Under the standard rule a line of six or more is not a five and counts as nothing.
enum class LinePattern : uint8_t { None, ClosedTwo, OpenTwo, ClosedThree, OpenThree, Four, OpenFour, Five };
constexpr int kLinePatterns = 8;

class ThreatEvaluator {
 public:
  // Logits of moves that win at once sit this far above every other square (prior >= 0.99 on
  // boards up to 22x22), and blocks of the opponent's only winning square(s) this far above the
  // rest (prior >= 0.9 together), whatever the temperature.
  static constexpr float kWinMargin = 12.0f;
  static constexpr float kBlockMargin = 10.0f;
  static constexpr float kOccupiedLogit = -100.0f;
  static constexpr float kMinTemperature = 0.01f;
  static constexpr float kMaxTemperature = 100.0f;

  // size in [Board::kMinSize, Board::kMaxSize]; temperature in [kMinTemperature,
  // kMaxTemperature] divides the graded logits (higher = flatter priors; the tier margins above
  // are added after it). Throws std::invalid_argument otherwise.
  ThreatEvaluator(int size, Rule rule, float temperature = 1.0f);

  int size() const { return size_; }
  Rule rule() const { return rule_; }
  float temperature() const { return temperature_; }

  // planes: input_floats(size) floats laid out as engine/encoding.h describes (plane 0 the side
  // to move's stones, plane 1 the opponent's; a value > 0.5 is a stone). Writes size*size logits
  // (index y*size+x; occupied squares get kOccupiedLogit) and one value in [-1, 1] from the side
  // to move's view. Allocates nothing.
  void evaluate(const float* planes, float* policy_logits, float* value) const;

  // The pattern a stone of colour 'X' placed at line[index] makes along that one line, which is
  // written with 'X' (own), 'O' (other colour) and '.' (empty); the ends are walls. For tests and
  // tools: slow, not for the evaluation loop. Throws std::invalid_argument on bad input.
  LinePattern pattern_in_line(std::string_view line, int index) const;

 private:
  static constexpr int kMaxLines = 2 * Board::kMaxSize - 1;  // diagonals of a direction
  struct CellLines {
    std::array<uint8_t, 4> line;  // which line of each direction holds the cell
    std::array<uint8_t, 4> pos;   // its index along that line
  };

  int size_;
  Rule rule_;
  float temperature_;
  const uint8_t* table_;                        // LinePattern by window key, for rule_
  std::vector<CellLines> cell_lines_;           // per cell
  std::array<std::array<uint32_t, kMaxLines>, 4> walls_{};  // off-board bits of each line
  std::array<int, 4> lines_per_direction_{};
  std::vector<float> far_logit_;  // logit of an empty square with no stone within distance 2
  std::vector<float> centre_bias_;  // small pull toward the centre, already divided by temperature
};

}  // namespace hearth
