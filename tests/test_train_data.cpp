// hearth train's torch-free half (engine/train): the 8 board symmetries turn planes and policy
// targets together, training.txt folders are read into a replay window with one clear message
// (file and line) for bad input, batches are drawn deterministically per step, the weights file
// round-trips and refuses a truncated copy, the loss plot, the learning-rate schedule and the
// [train] options.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "engine/game/encoding.h"
#include "engine/tournament/training.h"
#include "engine/train/command.h"
#include "engine/train/data.h"
#include "engine/train/plot.h"
#include "engine/train/symmetry.h"
#include "engine/train/weights.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using namespace hearth;
using namespace hearth::train;
using hearth_test::contains;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEARTH_BINARY_DIR) / "test_scratch" / "train_data" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A position of `stones` random legal moves with a few root visits, z and q set from `id` so a
// test can tell positions apart.
TrainingSample random_sample(std::mt19937& rng, int size, int stones, int id) {
  TrainingSample s;
  s.game = id;
  s.size = size;
  Board b(size);
  while (static_cast<int>(s.moves.size()) < stones) {
    const Move m = std::uniform_int_distribution<int>(0, size * size - 1)(rng);
    if (!b.is_legal(m)) continue;
    b.play(m);
    if (b.is_over()) {  // keep the game going: take it back and try another square
      b.undo();
      continue;
    }
    s.moves.push_back(m);
  }
  std::vector<Move> free = b.legal_moves();
  std::shuffle(free.begin(), free.end(), rng);
  for (int i = 0; i < 3; ++i) s.visits.emplace_back(free[i], 10 * (3 - i));
  s.z = id % 3 - 1;
  s.q = static_cast<float>(id % 100) / 100.0f;
  return s;
}

void write_lines(const fs::path& file, const std::vector<TrainingSample>& samples, const std::string& tail = "") {
  std::ofstream out(file);
  for (const auto& s : samples) out << training_line(s) << "\n";
  out << tail;
}

std::vector<float> planes_of(const TrainingSample& s) {
  std::vector<float> p(input_floats(s.size));
  encode(s.board(), p.data());
  return p;
}

TrainingSample mapped(const TrainingSample& s, int sym) {
  TrainingSample t = s;
  for (Move& m : t.moves) m = map_move(sym, s.size, m);
  for (auto& [m, n] : t.visits) m = map_move(sym, s.size, m);
  return t;
}

std::string error_of(const std::vector<std::string>& folders, int64_t window = 0) {
  try {
    read_training_data(folders, window);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the 8 symmetries turn the planes and the policy target together") {
  std::mt19937 rng(7);
  for (int size : {9, 15}) {
    const TrainingSample s = random_sample(rng, size, 7, 1);
    const std::vector<float> planes = planes_of(s), target = s.policy_target();
    std::set<std::vector<float>> distinct;
    for (int sym = 0; sym < kSymmetries; ++sym) {
      CAPTURE(size);
      CAPTURE(sym);
      // Mapping the encoded planes equals encoding the mapped game; likewise the policy target.
      std::vector<float> turned(planes.size()), turned_target(target.size());
      map_planes(sym, size, kInputPlanes, planes.data(), turned.data());
      map_planes(sym, size, 1, target.data(), turned_target.data());
      const TrainingSample m = mapped(s, sym);
      CHECK(turned == planes_of(m));
      CHECK(turned_target == m.policy_target());
      distinct.insert(turned);
      // The inverse brings every square back.
      for (Move sq = 0; sq < size * size; ++sq)
        CHECK(map_move(inverse_symmetry(sym), size, map_move(sym, size, sq)) == sq);
    }
    CHECK(distinct.size() == kSymmetries);  // an asymmetric position has 8 different images
  }
  // Known images on 9x9: 0 is the identity, 5 the quarter turn (x, y) -> (8 - y, x), 3 the half turn.
  const int x = 2, y = 1;
  int ox = 0, oy = 0;
  map_square(0, 9, x, y, &ox, &oy);
  CHECK((ox == 2 && oy == 1));
  map_square(5, 9, x, y, &ox, &oy);
  CHECK((ox == 7 && oy == 2));
  map_square(3, 9, x, y, &ox, &oy);
  CHECK((ox == 6 && oy == 7));
}

TEST_CASE("a batch carries each position's planes and target under its own symmetry") {
  std::mt19937 rng(11);
  const fs::path dir = scratch("batch");
  std::vector<TrainingSample> samples;
  for (int i = 0; i < 6; ++i) samples.push_back(random_sample(rng, 9, 4 + i, i));
  write_lines(dir / "training.txt", samples);
  const TrainingData data = read_training_data({dir.string()}, 0);
  REQUIRE(data.positions.size() == 6);
  const std::vector<size_t> indices{0, 3, 5, 3};
  const std::vector<int> syms{1, 5, 7, 0};
  const Batch b = batch_of(data, indices, syms, 0.25);
  REQUIRE(b.n == 4);
  CHECK(b.size == 9);
  const int cells = 81;
  for (int i = 0; i < b.n; ++i) {
    CAPTURE(i);
    const TrainingSample m = mapped(samples[indices[i]], syms[i]);
    const std::vector<float> planes(b.planes.begin() + i * 4 * cells, b.planes.begin() + (i + 1) * 4 * cells);
    const std::vector<float> policy(b.policy.begin() + i * cells, b.policy.begin() + (i + 1) * cells);
    CHECK(planes == planes_of(m));
    CHECK(policy == m.policy_target());
    CHECK(b.symmetry[i] == syms[i]);
    const TrainingSample& s = samples[indices[i]];
    CHECK(b.value[i] == doctest::Approx(0.75 * s.z + 0.25 * s.q));
    // The most visited move is an empty square of the position the planes show.
    const int best = static_cast<int>(std::max_element(policy.begin(), policy.end()) - policy.begin());
    CHECK(planes[best] == 0.0f);
    CHECK(planes[cells + best] == 0.0f);
  }
}

TEST_CASE("the replay window keeps the most recent positions over the folders in order") {
  std::mt19937 rng(3);
  const fs::path a = scratch("window_a"), b = scratch("window_b");
  std::vector<TrainingSample> first, second;
  for (int i = 0; i < 5; ++i) first.push_back(random_sample(rng, 9, 3, i));
  for (int i = 5; i < 8; ++i) second.push_back(random_sample(rng, 15, 3, i));
  write_lines(a / "training.txt", first);
  write_lines(b / "training.txt", second);
  const TrainingData all = read_training_data({a.string(), b.string()}, 0);
  CHECK(all.positions.size() == 8);
  CHECK(all.lines == 8);
  CHECK(all.files.size() == 2);
  const TrainingData window = read_training_data({a.string(), b.string()}, 6);
  REQUIRE(window.positions.size() == 6);
  // Positions 2..7 remain: q is id / 100.
  for (size_t i = 0; i < 6; ++i) CHECK(window.positions[i].q == doctest::Approx((i + 2) / 100.0));
  CHECK(window.by_size.at(9).size() == 3);
  CHECK(window.by_size.at(15).size() == 3);
  // A file path is read as it is.
  CHECK(read_training_data({(b / "training.txt").string()}, 0).positions.size() == 3);
}

TEST_CASE("bad training data: one message naming the file and line") {
  std::mt19937 rng(5);
  std::vector<TrainingSample> samples;
  for (int i = 0; i < 4; ++i) samples.push_back(random_sample(rng, 9, 3, i));

  const fs::path corrupt = scratch("corrupt");
  {
    std::ofstream out(corrupt / "training.txt");
    out << training_line(samples[0]) << "\n" << training_line(samples[1]) << "\n";
    out << "v1 2 9 freestyle 3 1 0.5 0,0;1,1 4,4:3\n";  // ply 3 but two moves
    out << training_line(samples[2]) << "\n";
  }
  std::string e = error_of({corrupt.string()});
  CHECK(contains(e, (corrupt / "training.txt").string() + " line 3"));
  CHECK(contains(e, "ply 3"));

  const fs::path cut = scratch("cut_mid");  // a line cut short in the middle of the file
  write_lines(cut / "training.txt", {samples[0]}, "v1 1 9 freestyle 2 1 0.5 0,0\n" + training_line(samples[1]) + "\n");
  e = error_of({cut.string()});
  CHECK(contains(e, (cut / "training.txt").string() + " line 2"));

  const fs::path empty = scratch("empty");
  std::ofstream(empty / "training.txt").close();
  CHECK(contains(error_of({empty.string()}), (empty / "training.txt").string() + " holds no positions"));

  const fs::path no_file = scratch("no_file");
  CHECK(contains(error_of({no_file.string()}), no_file.string() + " has no training.txt"));
  CHECK(contains(error_of({(no_file / "missing").string()}), "missing does not exist"));
  CHECK(contains(error_of({}), "train.data names no folder"));

  // A last line without its newline (a run still writing) is skipped with a note, not an error.
  const fs::path writing = scratch("writing");
  write_lines(writing / "training.txt", {samples[0], samples[1]}, "v1 9 9 freestyle 2 1 0.5 0,0;1");
  const TrainingData data = read_training_data({writing.string()}, 0);
  CHECK(data.positions.size() == 2);
  REQUIRE(data.warnings.size() == 1);
  CHECK(contains(data.warnings[0], (writing / "training.txt").string() + " line 3"));
}

TEST_CASE("batches: one board size each, the same for the same step, fresh for the next") {
  std::mt19937 rng(9);
  const fs::path dir = scratch("draw");
  std::vector<TrainingSample> samples;
  for (int i = 0; i < 30; ++i) samples.push_back(random_sample(rng, i % 3 ? 9 : 15, 2 + i % 5, i));
  write_lines(dir / "training.txt", samples);
  const TrainingData data = read_training_data({dir.string()}, 0);
  BatchOptions o;
  o.batch = 16;
  o.seed = 4;
  std::set<int> sizes;
  for (int64_t step = 1; step <= 40; ++step) {
    const Batch b = make_batch(data, o, step);
    CHECK(b.n == 16);
    CHECK(b.planes.size() == static_cast<size_t>(16 * 4 * b.size * b.size));
    for (int i = 0; i < b.n; ++i) {
      double sum = 0;
      for (int c = 0; c < b.size * b.size; ++c) sum += b.policy[i * b.size * b.size + c];
      CHECK(sum == doctest::Approx(1.0));
    }
    sizes.insert(b.size);
  }
  CHECK(sizes == std::set<int>{9, 15});
  const Batch again = make_batch(data, o, 7), same = make_batch(data, o, 7), next = make_batch(data, o, 8);
  CHECK(again.planes == same.planes);
  CHECK(again.symmetry == same.symmetry);
  CHECK((again.planes != next.planes || again.symmetry != next.symmetry));
  std::set<int> symmetries(again.symmetry.begin(), again.symmetry.end());
  CHECK(symmetries.size() > 1);
  o.augment = false;
  const Batch plain = make_batch(data, o, 7);
  CHECK(std::all_of(plain.symmetry.begin(), plain.symmetry.end(), [](int s) { return s == 0; }));
}

TEST_CASE("the weights file round-trips and refuses a damaged copy") {
  const fs::path dir = scratch("weights");
  WeightsFile w;
  w.blocks = 1;
  w.channels = 3;
  w.arrays.push_back({"stem.conv.weight", {3, 4, 1, 1}, std::vector<float>(12)});
  w.arrays.push_back({"v_3.bias", {1}, {-0.5f}});
  for (int i = 0; i < 12; ++i) w.arrays[0].values[i] = 0.25f * i - 1;
  const std::string path = (dir / "net.weights").string();
  write_weights_file(path, w);
  CHECK(is_weights_file(path));
  const WeightsFile r = read_weights_file(path);
  CHECK(r.blocks == 1);
  CHECK(r.channels == 3);
  REQUIRE(r.arrays.size() == 2);
  CHECK(r.arrays[0].name == "stem.conv.weight");
  CHECK(r.arrays[0].shape == std::vector<int64_t>{3, 4, 1, 1});
  CHECK(r.arrays[0].values == w.arrays[0].values);
  CHECK(r.arrays[1].values == std::vector<float>{-0.5f});

  const std::string text = hearth_test::read_text(path);
  const std::string cut = (dir / "cut.weights").string();
  std::ofstream(cut, std::ios::binary) << text.substr(0, text.size() - 6);
  std::string e;
  try {
    read_weights_file(cut);
  } catch (const std::exception& ex) {
    e = ex.what();
  }
  CHECK(contains(e, cut + " is truncated"));
  const std::string bad = (dir / "bad.weights").string();
  std::string broken = text;
  broken.replace(broken.find("arrays 2"), 8, "arrays x");
  std::ofstream(bad, std::ios::binary) << broken;
  e.clear();
  try {
    read_weights_file(bad);
  } catch (const std::exception& ex) {
    e = ex.what();
  }
  CHECK(contains(e, bad + " line 3"));
  CHECK_FALSE(is_weights_file((dir / "nothing").string()));
}

TEST_CASE("the loss plot is an SVG polyline per series") {
  PlotData data{"run", {}, {{"loss", "#111111", {}}, {"value loss", "#222222", {}}}};
  CHECK(contains(loss_plot_svg(data), "no steps yet"));
  for (int i = 1; i <= 5000; ++i) {
    data.steps.push_back(i);
    data.series[0].values.push_back(3.0 / i);
    data.series[1].values.push_back(i == 10 ? std::nan("") : 0.5);
  }
  const std::string svg = loss_plot_svg(data, 500);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(contains(svg, "</svg>"));
  CHECK(contains(svg, "stroke=\"#111111\" points=\""));
  CHECK(contains(svg, "value loss"));
  CHECK_FALSE(contains(svg, "nan"));
  // At most 500 points a series.
  const size_t start = svg.find("points=\"") + 8;
  const std::string points = svg.substr(start, svg.find('"', start) - start);
  CHECK(std::count(points.begin(), points.end(), ',') <= 500);
  CHECK(std::count(points.begin(), points.end(), ',') >= 400);
}

TEST_CASE("the learning rate warms up, peaks and decays to a hundredth") {
  TrainSettings o;
  o.lr = 0.1;
  o.steps = 1000;
  o.warmup_steps = 100;
  CHECK(learning_rate(o, 1) < 0.01);
  CHECK(learning_rate(o, 50) < learning_rate(o, 99));
  CHECK(learning_rate(o, 100) == doctest::Approx(0.1));
  CHECK(learning_rate(o, 550) == doctest::Approx(0.1 * (0.01 + 0.99 * 0.5)));
  CHECK(learning_rate(o, 1000) == doctest::Approx(0.001));
  o.lr_schedule = "constant";
  o.warmup_steps = 0;
  CHECK(learning_rate(o, 1) == doctest::Approx(0.1));
  CHECK(learning_rate(o, 1000) == doctest::Approx(0.1));
}

TEST_CASE("[train] options: defaults, parsing and refusals") {
  const Settings d;
  CHECK(d.train.blocks == 6);
  CHECK(d.train.channels == 64);
  const Settings s = load_settings({"--train.data", "a,b", "--train.steps", "50", "--train.device", "cuda:1",
                                    "--train.optimizer", "adamw", "--train.q_weight", "0.5"},
                                   "");
  CHECK(s.train.data == "a,b");
  CHECK(s.train.steps == 50);
  CHECK(s.train.device == "cuda:1");
  CHECK(s.train.optimizer == "adamw");
  CHECK(s.train.q_weight == doctest::Approx(0.5));
  CHECK_THROWS_WITH_AS(load_settings({"--train.device", "gpu"}, ""), doctest::Contains("'gpu' is not cpu, cuda or cuda:N"),
                       OptionError);
  CHECK_THROWS_AS(load_settings({"--train.q_weight", "2"}, ""), OptionError);
  CHECK_THROWS_AS(load_settings({"--train.optimizer", "adam"}, ""), OptionError);
  CHECK(contains(default_config_text(), "[train]"));
}
