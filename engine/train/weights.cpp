#include "engine/train/weights.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hearth::train {
namespace {

constexpr char kMagic[] = "hearth-weights 1";

bool little_endian() {
  const uint32_t one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

bool is_weights_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string first;
  return in && std::getline(in, first) && first == kMagic;
}

void write_weights_file(const std::string& path, const WeightsFile& w) {
  if (!little_endian()) throw std::runtime_error("cannot write " + path + ": this machine is not little-endian");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << kMagic << "\nnet resnet blocks " << w.blocks << " channels " << w.channels << "\narrays " << w.arrays.size()
      << "\n";
  for (const NamedArray& a : w.arrays) {
    if (a.name.empty() || a.name.find_first_of(" \t\r\n") != std::string::npos)
      throw std::runtime_error("cannot write " + path + ": array name '" + a.name + "'");
    if (static_cast<int64_t>(a.values.size()) != element_count(a.shape))
      throw std::runtime_error("cannot write " + path + ": array " + a.name + " has the wrong number of values");
    out << a.name << " " << a.shape.size();
    for (int64_t d : a.shape) out << " " << d;
    out << "\n";
  }
  out << "data float32-le\n";
  for (const NamedArray& a : w.arrays)
    out.write(reinterpret_cast<const char*>(a.values.data()), static_cast<std::streamsize>(a.values.size() * 4));
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

WeightsFile read_weights_file(const std::string& path) {
  if (!little_endian()) throw std::runtime_error("cannot read " + path + ": this machine is not little-endian");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  int line_number = 0;
  std::string line;
  auto next_line = [&](const char* what) -> std::istringstream {
    ++line_number;
    if (!std::getline(in, line))
      throw std::runtime_error(path + " line " + std::to_string(line_number) + ": ends before " + what);
    return std::istringstream(line);
  };
  auto bad = [&](const std::string& why) {
    return std::runtime_error(path + " line " + std::to_string(line_number) + ": " + why);
  };
  next_line("the header");
  if (line != kMagic) throw std::runtime_error(path + " is not a hearth weights file (it does not start with '" +
                                               std::string(kMagic) + "')");
  WeightsFile w;
  {
    auto f = next_line("the net line");
    std::string net, kind, blocks, channels, extra;
    if (!(f >> net >> kind >> blocks >> w.blocks >> channels >> w.channels) || (f >> extra) || net != "net" ||
        kind != "resnet" || blocks != "blocks" || channels != "channels" || w.blocks < 0 || w.channels < 1)
      throw bad("expected 'net resnet blocks B channels C', got '" + line + "'");
  }
  size_t count = 0;
  {
    auto f = next_line("the array count");
    std::string word, extra;
    if (!(f >> word >> count) || (f >> extra) || word != "arrays" || count > 100000)
      throw bad("expected 'arrays K', got '" + line + "'");
  }
  int64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    auto f = next_line("every array is named");
    NamedArray a;
    size_t rank = 0;
    std::string extra;
    if (!(f >> a.name >> rank) || rank > 8) throw bad("expected '<name> <rank> <dims>', got '" + line + "'");
    for (size_t d = 0; d < rank; ++d) {
      int64_t dim = 0;
      if (!(f >> dim) || dim < 0 || dim > (int64_t{1} << 30)) throw bad("bad dimension in '" + line + "'");
      a.shape.push_back(dim);
    }
    if (f >> extra) throw bad("expected '<name> <rank> <dims>', got '" + line + "'");
    const int64_t n = element_count(a.shape);
    if (n > (int64_t{1} << 31) || total + n > (int64_t{1} << 33)) throw bad("array " + a.name + " is too large");
    total += n;
    a.values.resize(static_cast<size_t>(n));
    w.arrays.push_back(std::move(a));
  }
  next_line("the data");
  if (line != "data float32-le") throw bad("expected 'data float32-le', got '" + line + "'");
  for (NamedArray& a : w.arrays) {
    in.read(reinterpret_cast<char*>(a.values.data()), static_cast<std::streamsize>(a.values.size() * 4));
    if (in.gcount() != static_cast<std::streamsize>(a.values.size() * 4))
      throw std::runtime_error(path + " is truncated: its data ends inside array " + a.name + " (" +
                               std::to_string(total * 4) + " bytes expected)");
  }
  if (in.peek() != std::char_traits<char>::eof())
    throw std::runtime_error(path + " has data after its last array (" + std::to_string(total * 4) +
                             " bytes expected)");
  return w;
}

}  // namespace hearth::train
