#include "engine/threat/patterns.h"

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace hearth::threat {
namespace {

constexpr int kKeyBits = 20;
constexpr uint32_t kKeys = 1u << kKeyBits;
constexpr uint8_t kUnknown = 0xFF;

// Cell value at `offset` (-5..5, not 0) of a key.
inline int field(uint32_t key, int offset) { return (key >> field_shift(offset)) & 3; }

class TableBuilder {
 public:
  TableBuilder(Rule rule, uint8_t* table) : rule_(rule), table_(table) {}

  // Pattern of `key` (own stone placed on the middle square), memoised in the table.
  uint8_t pattern(uint32_t key) {
    uint8_t& slot = table_[key];
    if (slot != kUnknown) return slot;
    slot = static_cast<uint8_t>(compute(key));
    return slot;
  }

 private:
  LinePattern compute(uint32_t key) {
    // Run of own stones through the middle.
    int lo = 0, hi = 0;
    while (lo > -5 && field(key, lo - 1) == 1) --lo;
    while (hi < 5 && field(key, hi + 1) == 1) ++hi;
    const int run = hi - lo + 1;
    if (run >= 5) {
      if (rule_ == Rule::Freestyle || run == 5) return LinePattern::Five;
      return LinePattern::Overline;
    }
    // One more own stone on each empty square that could share a five with the middle.
    int fives = 0;
    bool f4 = false, b4 = false, f3 = false, b3 = false, f2 = false, b2 = false;
    for (int off = -4; off <= 4; ++off) {
      if (off == 0 || field(key, off) != 0) continue;
      const auto p = static_cast<LinePattern>(pattern(key | (1u << field_shift(off))));
      switch (p) {
        case LinePattern::Five: ++fives; break;
        case LinePattern::F4: f4 = true; break;
        case LinePattern::B4: b4 = true; break;
        case LinePattern::F3: f3 = true; break;
        case LinePattern::B3: b3 = true; break;
        case LinePattern::F2: f2 = true; break;
        case LinePattern::B2: b2 = true; break;
        default: break;
      }
    }
    if (fives >= 2) return LinePattern::F4;
    if (fives == 1) return LinePattern::B4;
    if (f4) return LinePattern::F3;
    if (b4) return LinePattern::B3;
    if (f3) return LinePattern::F2;
    if (b3) return LinePattern::B2;
    if (f2) return LinePattern::F1;
    if (b2) return LinePattern::B1;
    return LinePattern::None;
  }

  Rule rule_;
  uint8_t* table_;
};

// Every window that can occur: on each side, squares up to the first off-board one are
// empty/own/other, and all squares beyond it are off the board.
template <class F>
void for_each_valid_key(F f) {
  // side[i]: the keys of one side (5 fields) as a list of 2-bit values from distance 1 to 5.
  std::array<std::array<int, 5>, 364> sides{};
  int n = 0;
  for (int wall = 1; wall <= 6; ++wall) {        // first off-board distance (6: none)
    int free = wall - 1, combos = 1;
    for (int i = 0; i < free; ++i) combos *= 3;
    for (int c = 0; c < combos; ++c) {
      int v = c;
      for (int d = 1; d <= 5; ++d) {
        if (d < wall) { sides[n][d - 1] = v % 3; v /= 3; }
        else sides[n][d - 1] = 3;
      }
      ++n;
    }
  }
  for (int l = 0; l < n; ++l)
    for (int r = 0; r < n; ++r) {
      uint32_t key = 0;
      for (int d = 1; d <= 5; ++d) {
        key |= static_cast<uint32_t>(sides[l][d - 1]) << field_shift(-d);
        key |= static_cast<uint32_t>(sides[r][d - 1]) << field_shift(d);
      }
      f(key);
    }
}

struct Tables {
  std::unique_ptr<uint8_t[]> line[2];
  Tables() {
    for (int r = 0; r < 2; ++r) {
      line[r].reset(new uint8_t[kKeys]);
      std::memset(line[r].get(), kUnknown, kKeys);
      TableBuilder builder(r == 0 ? Rule::Freestyle : Rule::Standard, line[r].get());
      for_each_valid_key([&](uint32_t key) { builder.pattern(key); });
      // Keys that cannot occur (an off-board square between on-board ones) read as None.
      for (uint32_t k = 0; k < kKeys; ++k)
        if (line[r][k] == kUnknown) line[r][k] = static_cast<uint8_t>(LinePattern::None);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

struct ClassTable {
  std::array<uint8_t, 1 << 16> cls{};
  ClassTable() {
    for (uint32_t k = 0; k < (1u << 16); ++k) {
      int five = 0, f4 = 0, b4 = 0, f3 = 0, b3 = 0;
      for (int d = 0; d < 4; ++d) {
        switch (static_cast<LinePattern>((k >> (4 * d)) & 15)) {
          case LinePattern::Five: ++five; break;
          case LinePattern::F4: ++f4; break;
          case LinePattern::B4: ++b4; break;
          case LinePattern::F3: ++f3; break;
          case LinePattern::B3: ++b3; break;
          default: break;
        }
      }
      CellClass c = CellClass::None;
      if (five) c = CellClass::Five;
      else if (f4 || b4 >= 2) c = CellClass::Flex4;
      else if (b4 && f3) c = CellClass::B4F3;
      else if (b4) c = CellClass::B4;
      else if (f3 >= 2) c = CellClass::F3x2;
      else if (f3) c = CellClass::F3;
      else if (b3) c = CellClass::B3;
      cls[k] = static_cast<uint8_t>(c);
    }
  }
};

const ClassTable& class_table() {
  static const ClassTable t;
  return t;
}

}  // namespace

const char* pattern_name(LinePattern p) {
  static const char* const names[] = {"None", "B1", "F1", "B2", "F2", "B3",
                                      "F3",   "B4", "F4", "Five", "Overline"};
  const auto i = static_cast<size_t>(p);
  return i < sizeof names / sizeof *names ? names[i] : "?";
}

const char* class_name(CellClass c) {
  static const char* const names[] = {"None", "B3", "F3", "F3x2", "B4", "B4F3", "Flex4", "Five"};
  const auto i = static_cast<size_t>(c);
  return i < sizeof names / sizeof *names ? names[i] : "?";
}

CellClass classify_cell(uint16_t four_patterns) {
  return static_cast<CellClass>(class_table().cls[four_patterns]);
}

const uint8_t* cell_class_table() { return class_table().cls.data(); }

const uint8_t* pattern_table(Rule rule) {
  return tables().line[rule == Rule::Freestyle ? 0 : 1].get();
}

LinePattern pattern_of(Rule rule, const char* w) {
  if (std::strlen(w) != 11 || w[5] != '?')
    throw std::invalid_argument(std::string("pattern window must be 11 characters with '?' in the middle: ") + w);
  uint32_t key = 0;
  for (int i = 0; i < 11; ++i) {
    if (i == 5) continue;
    int v;
    switch (w[i]) {
      case '.': v = 0; break;
      case 'X': v = 1; break;
      case 'O': v = 2; break;
      case '#': v = 3; break;
      default: throw std::invalid_argument(std::string("bad pattern window character in ") + w);
    }
    key |= static_cast<uint32_t>(v) << field_shift(i - 5);
  }
  return static_cast<LinePattern>(pattern_table(rule)[key]);
}

}  // namespace hearth::threat
