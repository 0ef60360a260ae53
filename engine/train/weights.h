// The net's weights in a file any build reads: no LibTorch, no pickles, no zip. `hearth train`
// writes <out>/net.weights beside net.pt; train.init reads it; and `hearth train --train.steps 0
// --train.init net.weights` writes the TorchScript net.pt with the LibTorch of the build that runs
// it, should a net.pt written by one LibTorch not load in another.
//
//   hearth-weights 1
//   net resnet blocks <B> channels <C>
//   arrays <K>
//   <name> <rank> <dim>...        (K lines, in data order)
//   data float32-le
//   <the arrays' values: 4-byte little-endian IEEE floats, row-major, one after another>
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::train {

struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;  // product of shape
};

struct WeightsFile {
  int blocks = 0;
  int channels = 0;
  std::vector<NamedArray> arrays;
};

// Whether `path` starts like a weights file (false when it cannot be read).
bool is_weights_file(const std::string& path);
// Writes the whole file at `path`. Throws std::runtime_error naming it.
void write_weights_file(const std::string& path, const WeightsFile& weights);
// Throws std::runtime_error naming the file and, for the header, the line: not a weights file,
// malformed header, array sizes that disagree with their shapes, truncated or overlong data.
WeightsFile read_weights_file(const std::string& path);

}  // namespace hearth::train
