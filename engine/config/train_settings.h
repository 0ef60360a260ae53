// The [train] section of the option table (options.cpp): how `hearth train` (engine/train) reads
// self-play data and trains the residual policy/value net.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>

namespace hearth {

struct TrainSettings {
  std::string data;                  // self-play folders (their training.txt), separated by ','
  std::string out_dir = "train";     // checkpoint.pt, net.pt, net.weights, train.jsonl, loss.svg
  int64_t steps = 10000;             // optimizer steps in all (a resumed run continues to this)
  int64_t run_steps = 0;             // at most this many steps in this run, then stop; 0 = to `steps`
  int batch = 256;                   // positions per step
  double lr = 0.02;                  // peak learning rate
  std::string lr_schedule = "cosine";  // cosine (to lr/100 at the last step) or constant
  int64_t warmup_steps = 100;        // linear warm-up from lr/100
  std::string optimizer = "sgd";     // sgd (with momentum) or adamw
  double momentum = 0.9;             // sgd momentum; adamw's beta1
  double weight_decay = 1e-4;        // on conv and linear weights
  int64_t window = 500000;           // replay window: the most recent positions; 0 = all
  double q_weight = 0.0;             // value target = (1 - q_weight) * z + q_weight * q
  bool augment = true;               // a random board symmetry per position
  int blocks = 6;                    // residual blocks
  int channels = 64;                 // channels of each block
  std::string device = "cpu";        // cpu, cuda or cuda:N
  std::string precision = "fp32";    // fp32, or bf16 (autocast, CUDA only)
  uint64_t seed = 1;                 // initial weights and the batches drawn
  int64_t checkpoint_every = 1000;   // steps between checkpoints (and net.pt, loss.svg)
  std::string init;                  // start from this net.weights / checkpoint.pt / net.pt (weights only)
};

}  // namespace hearth
