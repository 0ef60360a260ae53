// hearth_make_reference_net: writes the reference network (reference_net.h) as a TorchScript file
// with random weights from a seed. No LibTorch include here: the work is in reference_net.cpp.
//
//   hearth_make_reference_net --out net.pt [--size 20] [--seed 1]
//                             [--policy-size N] [--heads 1|2|3]   (mismatching models, for tests)
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

#include "plugins/torch/reference_net.h"

namespace {

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: hearth_make_reference_net --out PATH [--size N (20)] [--seed S (1)]\n"
               "                                 [--policy-size N (size*size)] [--heads 1|2|3 (3)]\n");
}

long long number(const std::string& flag, const char* text) {
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || v < 0) throw std::invalid_argument(flag + ": '" + text + "' is not a number >= 0");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  hearth::torch_plugin::ReferenceNetOptions options;
  std::string out;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string flag = argv[i];
      if (flag == "--help" || flag == "-h") {
        usage(stdout);
        return 0;
      }
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown)");
      const char* value = argv[++i];
      if (flag == "--out") {
        out = value;
      } else if (flag == "--size") {
        options.board_size = static_cast<int>(number(flag, value));
      } else if (flag == "--seed") {
        options.seed = static_cast<uint64_t>(number(flag, value));
      } else if (flag == "--policy-size") {
        options.policy_size = static_cast<int>(number(flag, value));
      } else if (flag == "--heads") {
        options.heads = static_cast<int>(number(flag, value));
      } else {
        throw std::invalid_argument("unknown option " + flag);
      }
    }
    if (out.empty()) throw std::invalid_argument("--out is required");
    if (options.board_size < 1 || options.board_size > 64) throw std::invalid_argument("--size must be 1..64");
    if (options.heads < 1 || options.heads > 3) throw std::invalid_argument("--heads must be 1, 2 or 3");
    hearth::torch_plugin::write_reference_net(options, out);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "hearth_make_reference_net: %s\n", e.what());
    usage(stderr);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hearth_make_reference_net: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "hearth_make_reference_net: wrote %s (board %d, seed %llu)\n", out.c_str(), options.board_size,
               static_cast<unsigned long long>(options.seed));
  return 0;
}
