// `hearth train`: trains the residual policy/value net (trainer.h) on self-play data (data.h) and
// writes, in train.out:
//   checkpoint.pt  weights, batch-norm statistics, optimizer state and step: present = resumed
//   net.pt         the TorchScript net the torch plugin loads (--plugin.model net.pt)
//   net.weights    the same weights in a version-neutral file (weights.h; train.init takes it)
//   train.jsonl    one line per step: losses, policy accuracy, value error, lr, samples/s
//   loss.svg       the losses over the steps
// each written under a temporary name and renamed into place, at every train.checkpoint_every
// steps and at the end. Ctrl-C (SIGINT) or SIGTERM stops after the current step with everything
// written; the same command resumes, drawing the batches an unbroken run would have drawn.
//
// This front end has no LibTorch: it reads the data, draws batches, logs, and drives the trainer
// module through trainer.h. In a build without LibTorch it says so and exits 2.
//
// Exit status: 0 done, 2 bad configuration or input (one message naming the option, or the file
// and line, before anything is written), 1 a failure while training (the loss turned non-finite,
// a file could not be written), 130 interrupted.
//
// Thread-safety: run_train is a whole program run (it installs signal handlers for its duration).
#pragma once

#include <cstdint>
#include <iosfwd>

#include "engine/config/options.h"

namespace hearth {

int run_train(const Settings& settings, std::istream& in, std::ostream& out);

namespace train {
// The learning rate of step `step` (1-based) under train.lr, lr_schedule, warmup_steps and steps.
double learning_rate(const TrainSettings& settings, int64_t step);
}  // namespace train

}  // namespace hearth
