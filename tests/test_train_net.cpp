// hearth train's torch half (engine/train, the module libhearth_trainer.so) on the CPU, with tiny
// nets: the loss falls on a small fixed data set until the net fits it; the net.pt it writes loads
// in the torch plugin and gives the trainer's own outputs on 15x15 and 20x20; init from each kind
// of file it writes gives the same net; a run stopped and resumed ends where an unbroken one does;
// bad nets, checkpoints and data get one clear message and leave nothing half-written. In a build
// without LibTorch, only the check that `hearth train` says so.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "engine/game/encoding.h"
#include "engine/tournament/training.h"
#include "engine/train/command.h"
#include "engine/train/data.h"
#include "engine/train/trainer.h"
#include "engine/train/weights.h"
#include "evaluator/plugin_evaluator.h"
#include "evaluator/plugin_loader.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using namespace hearth;
using namespace hearth::train;
using hearth_test::contains;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEARTH_BINARY_DIR) / "test_scratch" / "train_net" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

int run(const Settings& s, std::string* output = nullptr) {
  std::istringstream in;
  std::ostringstream out;
  const int rc = run_train(s, in, out);
  if (output) *output = out.str();
  return rc;
}

}  // namespace

TEST_CASE("the trainer module is there exactly when LibTorch is") {
  if (!trainer_built()) {
    CHECK_THROWS_WITH(load_trainer_api(), doctest::Contains("this build of hearth has no LibTorch"));
    Settings s;
    s.train.out_dir = scratch("no_torch").string();
    CHECK(run(s) == 2);
    CHECK_FALSE(fs::exists(fs::path(s.train.out_dir) / "net.pt"));
    return;
  }
  const TrainerApi& api = load_trainer_api();
  CHECK(api.version == kTrainerApiVersion);
  CHECK_FALSE(api.torch_version().empty());
}

#ifdef HEARTH_TRAIN_TORCH_TESTS

namespace {

// `count` positions of a few random legal stones on a size x size board, each with a clear best
// move (90 of 100 visits) and a decided game (z = +-1).
std::vector<TrainingSample> fixed_samples(int size, int count, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<TrainingSample> out;
  for (int id = 0; id < count; ++id) {
    TrainingSample s;
    s.game = id;
    s.size = size;
    Board b(size);
    const int stones = 2 + id % 6;
    while (static_cast<int>(s.moves.size()) < stones) {
      const Move m = std::uniform_int_distribution<int>(0, size * size - 1)(rng);
      if (!b.is_legal(m)) continue;
      b.play(m);
      if (b.is_over()) {
        b.undo();
        continue;
      }
      s.moves.push_back(m);
    }
    std::vector<Move> free = b.legal_moves();
    std::shuffle(free.begin(), free.end(), rng);
    s.visits = {{free[0], 90}, {free[1], 10}};
    s.z = id % 2 ? 1 : -1;
    s.q = 0.5f * static_cast<float>(s.z);
    out.push_back(s);
  }
  return out;
}

fs::path data_folder(const std::string& name, const std::vector<TrainingSample>& samples) {
  const fs::path dir = scratch(name);
  std::ofstream out(dir / "training.txt");
  for (const auto& s : samples) out << training_line(s) << "\n";
  return dir;
}

TrainerConfig tiny(int blocks = 1, int channels = 16) {
  TrainerConfig c;
  c.shape = {blocks, channels};
  c.seed = 3;
  return c;
}

std::string create_error(const TrainerConfig& c) {
  try {
    load_trainer_api().create(c);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

struct Outputs {
  std::vector<float> policy, value;
};

Outputs trainer_outputs(Trainer& t, const Batch& b) {
  Outputs o{std::vector<float>(static_cast<size_t>(b.n) * b.size * b.size), std::vector<float>(b.n)};
  t.forward(b.planes.data(), b.n, b.size, o.policy.data(), o.value.data());
  return o;
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, static_cast<double>(std::fabs(a[i] - b[i])));
  return d;
}

Batch all_positions(const TrainingData& data) {
  std::vector<size_t> indices(data.positions.size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  return batch_of(data, indices, {}, 0.0);
}

}  // namespace

TEST_CASE("a tiny net's loss falls on a small fixed data set until it fits it") {
  const fs::path dir = data_folder("overfit", fixed_samples(9, 8, 1));
  const TrainingData data = read_training_data({dir.string()}, 0);
  const Batch all = all_positions(data);
  TrainerConfig c = tiny(2, 16);
  c.weight_decay = 0;
  auto t = load_trainer_api().create(c);
  const StepStats before = t->measure(all);
  std::vector<double> losses;
  for (int step = 0; step < 200; ++step) losses.push_back(t->train_step(all, 0.1).loss);
  CHECK(t->steps_done() == 200);
  const StepStats after = t->measure(all);
  MESSAGE("before: policy " << before.policy_loss << " value " << before.value_loss << "; after: policy "
                            << after.policy_loss << " (entropy " << after.policy_entropy << ") value "
                            << after.value_loss << " accuracy " << after.policy_accuracy);
  CHECK(losses.back() < 0.25 * losses.front());
  CHECK(before.policy_loss > 3.0);  // about log(81): no idea yet
  CHECK(after.policy_loss - after.policy_entropy < 0.05);  // the visit distribution, learnt
  CHECK(after.policy_accuracy == 1.0);
  CHECK(after.value_loss < 0.02);
  CHECK(after.value_error < 0.15);
}

TEST_CASE("the written net loads in the torch plugin and gives the trainer's outputs, 15x15 and 20x20") {
  std::vector<TrainingSample> samples = fixed_samples(15, 12, 2);
  for (const TrainingSample& s : fixed_samples(20, 12, 3)) samples.push_back(s);
  const fs::path dir = data_folder("plugin_data", samples);
  const TrainingData data = read_training_data({dir.string()}, 0);
  auto t = load_trainer_api().create(tiny(2, 8));
  BatchOptions bo;
  bo.batch = 8;
  for (int step = 1; step <= 20; ++step) t->train_step(make_batch(data, bo, step), 0.02);  // batch norm moves
  const fs::path out = scratch("plugin_net");
  const std::string net = (out / "net.pt").string();
  t->save_net(net);
  for (int size : {15, 20}) {
    CAPTURE(size);
    std::vector<size_t> indices;
    for (size_t i : data.by_size.at(size)) indices.push_back(i);
    const Batch b = batch_of(data, indices, std::vector<int>(indices.size(), 5), 0.0);
    const Outputs expected = trainer_outputs(*t, b);
    PluginEvaluator ev(load_plugin("torch", {HEARTH_PLUGIN_DIR}), size, Rule::Freestyle, {{"model", net}});
    CHECK(ev.spec().policy_size == size * size);
    Outputs got{std::vector<float>(expected.policy.size()), std::vector<float>(b.n)};
    std::vector<EvalRequest> requests(b.n);
    for (int i = 0; i < b.n; ++i) {
      requests[i].planes = &b.planes[static_cast<size_t>(i) * 4 * size * size];
      requests[i].policy = &got.policy[static_cast<size_t>(i) * size * size];
      requests[i].value = &got.value[i];
    }
    ev.evaluate(requests.data(), b.n);
    CHECK(max_difference(got.policy, expected.policy) < 1e-4);
    CHECK(max_difference(got.value, expected.value) < 1e-4);
    // Not a constant net: positions get different values and policies.
    CHECK(*std::max_element(got.value.begin(), got.value.end()) > *std::min_element(got.value.begin(), got.value.end()));
  }

  // Every kind of file the trainer writes starts a net that plays the same.
  t->save_checkpoint((out / "checkpoint.pt").string());
  t->save_weights((out / "net.weights").string());
  const Batch b = batch_of(data, data.by_size.at(15), {}, 0.0);
  const Outputs expected = trainer_outputs(*t, b);
  for (const char* file : {"checkpoint.pt", "net.weights", "net.pt"}) {
    CAPTURE(file);
    TrainerConfig c = tiny(2, 8);
    c.init = (out / file).string();
    c.seed = 99;  // the file's weights, not the seed's
    auto copy = load_trainer_api().create(c);
    CHECK(copy->steps_done() == 0);
    CHECK(max_difference(trainer_outputs(*copy, b).policy, expected.policy) < 1e-4);
    CHECK(max_difference(trainer_outputs(*copy, b).value, expected.value) < 1e-4);
  }
}

TEST_CASE("hearth train: a run stopped and resumed ends where an unbroken run does") {
  const fs::path data = data_folder("resume_data", fixed_samples(9, 20, 4));
  Settings s;
  s.train.data = data.string();
  s.train.steps = 12;
  s.train.batch = 8;
  s.train.blocks = 1;
  s.train.channels = 8;
  s.train.lr = 0.05;
  s.train.warmup_steps = 3;
  s.train.checkpoint_every = 4;
  const fs::path whole = scratch("resume_whole"), parts = scratch("resume_parts");
  s.train.out_dir = whole.string();
  std::string text;
  REQUIRE(run(s, &text) == 0);
  CHECK(contains(text, "Trained to step 12 of 12"));
  for (const char* f : {"net.pt", "net.weights", "checkpoint.pt", "train.jsonl", "loss.svg"})
    CHECK(fs::exists(whole / f));
  for (const auto& entry : fs::directory_iterator(whole)) CHECK(entry.path().extension() != ".tmp");

  s.train.out_dir = parts.string();
  s.train.run_steps = 5;
  REQUIRE(run(s, &text) == 0);
  CHECK(contains(text, "Stopped at step 5"));
  // A crash after step 5's checkpoint had logged a step the resumed run draws again.
  std::ofstream(parts / "train.jsonl", std::ios::app) << "{\"step\":6,\"loss\":99}\n";
  s.train.run_steps = 0;
  REQUIRE(run(s, &text) == 0);
  CHECK(contains(text, "Trained to step 12 of 12"));

  auto lines = [](const fs::path& file) {
    std::vector<std::string> out;
    std::istringstream in(hearth_test::read_text(file));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  auto loss_of = [](const std::string& line) {
    const size_t at = line.find("\"loss\":");
    return std::strtod(line.c_str() + at + 7, nullptr);
  };
  const auto a = lines(whole / "train.jsonl"), b = lines(parts / "train.jsonl");
  REQUIRE(a.size() == 12);
  REQUIRE(b.size() == 12);
  for (size_t i = 0; i < 12; ++i) {
    CAPTURE(i);
    CHECK(contains(b[i], "{\"step\":" + std::to_string(i + 1) + ","));
    CHECK(loss_of(b[i]) == doctest::Approx(loss_of(a[i])).epsilon(1e-5));
  }
  CHECK(loss_of(a[11]) < loss_of(a[0]));
  const WeightsFile wa = read_weights_file((whole / "net.weights").string());
  const WeightsFile wb = read_weights_file((parts / "net.weights").string());
  REQUIRE(wa.arrays.size() == wb.arrays.size());
  double d = 0;
  for (size_t i = 0; i < wa.arrays.size(); ++i) d = std::max(d, max_difference(wa.arrays[i].values, wb.arrays[i].values));
  CHECK(d < 1e-5);

  // Run again: nothing left to train; the net is rewritten from the checkpoint.
  REQUIRE(run(s, &text) == 0);
  CHECK(contains(text, "No steps to train (at step 12 of 12)"));
}

TEST_CASE("bad nets, checkpoints and data: one clear message, nothing half-written") {
  const fs::path dir = scratch("bad");
  auto t = load_trainer_api().create(tiny(1, 8));
  const std::string checkpoint = (dir / "checkpoint.pt").string(), weights = (dir / "net.weights").string();
  t->save_checkpoint(checkpoint);
  t->save_weights(weights);

  TrainerConfig other = tiny(2, 8);
  other.init = checkpoint;
  std::string e = create_error(other);
  CHECK(contains(e, checkpoint + " is a net of 1 block of 8 channels, this run trains 2 blocks of 8 channels"));
  other.init = weights;
  CHECK(contains(create_error(other), weights + " is a net of 1 block of 8 channels"));

  TrainerConfig c = tiny(1, 8);
  c.optimizer = "adamw";
  c.resume = checkpoint;
  CHECK(contains(create_error(c), "cannot resume from " + checkpoint + ": it was trained with sgd"));

  c = tiny(1, 8);
  c.resume = weights;
  CHECK(contains(create_error(c), "cannot resume from " + weights + ": it is a net.weights, not a checkpoint"));

  const std::string garbage = (dir / "garbage.pt").string();
  std::ofstream(garbage) << "not a net\n";
  c = tiny(1, 8);
  c.init = garbage;
  CHECK(contains(create_error(c), garbage + " cannot be read as a net"));

  const std::string text = hearth_test::read_text(weights);
  const std::string cut = (dir / "cut.weights").string();
  std::ofstream(cut, std::ios::binary) << text.substr(0, text.size() / 2);
  c.init = cut;
  CHECK(contains(create_error(c), cut + " is truncated"));

#ifdef HEARTH_MAKE_REFERENCE_NET
  // A TorchScript net of another architecture (the torch plugin's reference net).
  const std::string reference = (dir / "reference.pt").string();
  REQUIRE(std::system((std::string(HEARTH_MAKE_REFERENCE_NET) + " --size 9 --out " + reference).c_str()) == 0);
  c.init = reference;
  CHECK(contains(create_error(c), reference + " is not a net written by hearth train"));
#endif

  c = tiny(1, 8);
  c.device = "cuda:0";
  const std::string cuda = create_error(c);  // empty where LibTorch has a GPU
  if (!cuda.empty()) CHECK(contains(cuda, "train.device cuda:0"));
  c.device = "cpu";
  c.precision = "bf16";
  CHECK(contains(create_error(c), "train.precision bf16 is for CUDA devices"));

  // hearth train refuses bad data before it writes anything.
  Settings s;
  s.train.blocks = 1;
  s.train.channels = 8;
  s.train.steps = 3;
  s.train.batch = 4;
  const fs::path empty = scratch("bad_empty"), out = scratch("bad_out");
  std::ofstream(empty / "training.txt").close();
  s.train.data = empty.string();
  s.train.out_dir = (out / "a").string();
  CHECK(run(s) == 2);
  CHECK_FALSE(fs::exists(out / "a" / "net.pt"));
  CHECK_FALSE(fs::exists(out / "a" / "checkpoint.pt"));

  const fs::path corrupt = data_folder("bad_corrupt", fixed_samples(9, 3, 5));
  std::ofstream(corrupt / "training.txt", std::ios::app) << "v1 7 9 freestyle 2 0 0.0 4,4;4,4 3,3:10\n";  // twice on 4,4
  s.train.data = corrupt.string();
  CHECK(run(s) == 2);
  CHECK_FALSE(fs::exists(out / "a" / "net.pt"));

  // A checkpoint of another shape in train.out: refused, and left as it was.
  s.train.data = data_folder("bad_good", fixed_samples(9, 3, 6)).string();
  s.train.out_dir = dir.string();
  s.train.blocks = 2;
  const std::string before = hearth_test::read_text(checkpoint);
  CHECK(run(s) == 2);
  CHECK(hearth_test::read_text(checkpoint) == before);
  CHECK_FALSE(fs::exists(dir / "net.pt"));
}

#endif  // HEARTH_TRAIN_TORCH_TESTS
