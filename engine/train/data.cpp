#include "engine/train/data.h"

#include <sys/stat.h>

#include <fstream>
#include <random>
#include <stdexcept>

#include "engine/game/encoding.h"
#include "engine/train/symmetry.h"
#include "engine/tournament/training.h"

namespace hearth::train {
namespace {

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Position compact(const TrainingSample& s) {
  Position p;
  p.size = static_cast<uint8_t>(s.size);
  p.rule = s.rule;
  p.z = static_cast<int8_t>(s.z);
  p.q = s.q;
  p.moves.assign(s.moves.begin(), s.moves.end());
  double total = 0;
  for (const auto& [m, n] : s.visits) total += static_cast<double>(n);
  for (const auto& [m, n] : s.visits)
    if (n > 0) p.policy.emplace_back(static_cast<uint16_t>(m), static_cast<float>(static_cast<double>(n) / total));
  return p;
}

// Appends the samples of one file to `data`, dropping the oldest beyond `window`.
void read_file(const std::string& path, int64_t window, TrainingData& data) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  int64_t read = 0;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (in.eof()) {  // no newline after it: still being written, or cut off by a crash
      data.warnings.push_back(path + " line " + std::to_string(number) +
                              ": skipped, it has no newline (a run still writing, or cut off by a crash)");
      break;
    }
    std::string error;
    const std::optional<TrainingSample> sample = parse_training_line(line, &error);
    if (!sample)
      throw std::runtime_error(path + " line " + std::to_string(number) + ": not a training sample (" + error + ")");
    ++read;
    ++data.lines;
    Position p = compact(*sample);
    if (p.policy.empty()) {
      ++data.no_visits;
      continue;
    }
    data.positions.push_back(std::move(p));
    if (window > 0 && static_cast<int64_t>(data.positions.size()) > window) data.positions.pop_front();
  }
  if (in.bad()) throw std::runtime_error("cannot read " + path + " (an I/O error after " + std::to_string(read) + " lines)");
}

}  // namespace

TrainingData read_training_data(const std::vector<std::string>& folders, int64_t window) {
  if (folders.empty()) throw std::runtime_error("train.data names no folder (a self-play run's tournament.out_dir)");
  TrainingData data;
  for (const std::string& folder : folders) {
    std::string file = folder;
    if (is_dir(folder)) {
      file = folder + "/training.txt";
      if (!exists(file))
        throw std::runtime_error(folder + " has no training.txt (train.data takes self-play folders: "
                                 "hearth tournament --selfplay on --out FOLDER)");
    } else if (!exists(folder)) {
      throw std::runtime_error("train.data: " + folder + " does not exist");
    }
    const int64_t before = data.lines;
    read_file(file, window, data);
    if (data.lines == before) throw std::runtime_error(file + " holds no positions");
    data.files.push_back(file);
  }
  if (data.positions.empty())
    throw std::runtime_error("the training data holds no position with root visits (" + std::to_string(data.lines) +
                             " positions read)");
  for (size_t i = 0; i < data.positions.size(); ++i) data.by_size[data.positions[i].size].push_back(i);
  return data;
}

Batch batch_of(const TrainingData& data, const std::vector<size_t>& indices, const std::vector<int>& symmetries,
               double q_weight) {
  Batch b;
  b.n = static_cast<int>(indices.size());
  if (indices.empty()) return b;
  b.size = data.positions.at(indices[0]).size;
  const int cells = b.size * b.size;
  b.planes.assign(static_cast<size_t>(b.n) * kInputPlanes * cells, 0.0f);
  b.policy.assign(static_cast<size_t>(b.n) * cells, 0.0f);
  b.value.assign(b.n, 0.0f);
  b.symmetry.assign(b.n, 0);
  std::vector<float> planes(static_cast<size_t>(kInputPlanes) * cells);
  for (int i = 0; i < b.n; ++i) {
    const Position& p = data.positions.at(indices[i]);
    if (p.size != b.size) throw std::invalid_argument("batch_of: positions of board sizes " + std::to_string(b.size) +
                                                      " and " + std::to_string(p.size) + " in one batch");
    const int s = symmetries.empty() ? 0 : symmetries.at(i);
    Board board(p.size, p.rule);
    for (uint16_t m : p.moves) board.play(m);
    encode(board, planes.data());
    map_planes(s, b.size, kInputPlanes, planes.data(), &b.planes[static_cast<size_t>(i) * kInputPlanes * cells]);
    float* policy = &b.policy[static_cast<size_t>(i) * cells];
    for (const auto& [m, share] : p.policy) policy[map_move(s, b.size, m)] = share;
    b.value[i] = static_cast<float>((1.0 - q_weight) * p.z + q_weight * p.q);
    b.symmetry[i] = s;
  }
  return b;
}

Batch make_batch(const TrainingData& data, const BatchOptions& o, int64_t step) {
  std::mt19937_64 rng(splitmix64(o.seed ^ splitmix64(static_cast<uint64_t>(step))));
  auto below = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const int size = data.positions.at(below(data.positions.size())).size;
  const std::vector<size_t>& pool = data.by_size.at(size);
  std::vector<size_t> indices(o.batch);
  std::vector<int> symmetries(o.batch, 0);
  for (int i = 0; i < o.batch; ++i) {
    indices[i] = pool[below(pool.size())];
    if (o.augment) symmetries[i] = static_cast<int>(below(kSymmetries));
  }
  return batch_of(data, indices, symmetries, o.q_weight);
}

}  // namespace hearth::train
