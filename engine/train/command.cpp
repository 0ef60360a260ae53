#include "engine/train/command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "engine/tournament/folder_lock.h"
#include "engine/train/data.h"
#include "engine/train/plot.h"
#include "engine/train/trainer.h"
#include "engine/util/interrupt.h"
#include "engine/util/text.h"

namespace hearth {
namespace train {

double learning_rate(const TrainSettings& o, int64_t step) {
  double lr = o.lr;
  if (o.lr_schedule == "cosine" && o.steps > o.warmup_steps) {
    const double span = static_cast<double>(o.steps - o.warmup_steps);
    const double progress = std::clamp(static_cast<double>(step - o.warmup_steps) / span, 0.0, 1.0);
    lr = o.lr * (0.01 + 0.99 * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress)));
  }
  if (o.warmup_steps > 0 && step < o.warmup_steps)
    lr *= 0.01 + 0.99 * static_cast<double>(step) / static_cast<double>(o.warmup_steps);
  return lr;
}

namespace {

// Runs `write(tmp)` for `path`'s temporary name, then renames it into place: a crash leaves the
// old file or the new one, never half of one. Throws std::runtime_error naming the file.
void write_atomically(const std::string& path, const std::function<void(const std::string&)>& write) {
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  try {
    write(tmp);
  } catch (...) {
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
  }
}

void write_text(const std::string& path, const std::string& text) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  });
}

std::string number(double x) {
  if (!std::isfinite(x)) return "null";
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", x);
  return text;
}

// The value of "key": in a JSON line we wrote (flat, numbers only); NaN if absent.
double field(const std::string& line, const std::string& key) {
  const std::string tag = "\"" + key + "\":";
  const size_t at = line.find(tag);
  if (at == std::string::npos) return std::nan("");
  char* end = nullptr;
  const double x = std::strtod(line.c_str() + at + tag.size(), &end);
  return end == line.c_str() + at + tag.size() ? std::nan("") : x;
}

struct Files {
  std::string dir, checkpoint, net, weights, log, plot;
  explicit Files(const std::string& d)
      : dir(d),
        checkpoint(d + "/checkpoint.pt"),
        net(d + "/net.pt"),
        weights(d + "/net.weights"),
        log(d + "/train.jsonl"),
        plot(d + "/loss.svg") {}
};

// The losses of every step logged so far, for the plot.
struct History {
  std::vector<int64_t> steps;
  std::vector<double> loss, policy, value;
  void add(int64_t step, double l, double p, double v) {
    steps.push_back(step);
    loss.push_back(l);
    policy.push_back(p);
    value.push_back(v);
  }
  PlotData plot(const std::string& title) const {
    return {title,
            steps,
            {{"loss", "#1f77b4", loss}, {"policy loss", "#ff7f0e", policy}, {"value loss", "#2ca02c", value}}};
  }
};

// Keeps the lines of train.jsonl up to step `done` (steps logged after the last checkpoint are
// drawn and logged again when the run resumes) and returns their losses.
History rewrite_log(const std::string& path, int64_t done) {
  History history;
  std::ifstream in(path);
  if (!in) return history;
  std::string kept, line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // a torn last line
    const double step = field(line, "step");
    if (!(step >= 1 && step <= static_cast<double>(done))) continue;
    kept += line + "\n";
    history.add(static_cast<int64_t>(step), field(line, "loss"), field(line, "policy_loss"), field(line, "value_loss"));
  }
  in.close();
  write_text(path, kept);
  return history;
}

std::string log_line(int64_t step, const StepStats& s, double lr, double samples_per_s, int size, double elapsed) {
  std::ostringstream o;
  o << "{\"step\":" << step << ",\"loss\":" << number(s.loss) << ",\"policy_loss\":" << number(s.policy_loss)
    << ",\"value_loss\":" << number(s.value_loss) << ",\"reg_loss\":" << number(s.reg_loss)
    << ",\"policy_accuracy\":" << number(s.policy_accuracy) << ",\"value_error\":" << number(s.value_error)
    << ",\"policy_entropy\":" << number(s.policy_entropy) << ",\"lr\":" << number(lr)
    << ",\"samples_per_s\":" << number(samples_per_s) << ",\"board_size\":" << size
    << ",\"elapsed_s\":" << number(elapsed) << "}\n";
  return o.str();
}

std::string sizes_text(const TrainingData& data) {
  std::string text;
  for (const auto& [size, indices] : data.by_size)
    text += (text.empty() ? "" : ", ") + std::to_string(size) + "x" + std::to_string(size) + ": " +
            std::to_string(indices.size());
  return text;
}

// Writes the net, the weights, the plot and (when it trained) the checkpoint, each atomically;
// the checkpoint last, so a resume never starts past the net beside it.
void write_outputs(Trainer& trainer, const Files& files, const History& history, bool checkpoint) {
  write_atomically(files.net, [&](const std::string& tmp) { trainer.save_net(tmp); });
  write_atomically(files.weights, [&](const std::string& tmp) { trainer.save_weights(tmp); });
  write_text(files.plot, loss_plot_svg(history.plot("hearth train: " + files.dir)));
  if (checkpoint) write_atomically(files.checkpoint, [&](const std::string& tmp) { trainer.save_checkpoint(tmp); });
}

}  // namespace
}  // namespace train

int run_train(const Settings& settings, std::istream&, std::ostream& out) {
  using namespace train;
  const TrainSettings& o = settings.train;
  const TrainerApi* api = nullptr;
  try {
    api = &load_trainer_api();
  } catch (const std::exception& e) {
    spdlog::error("train: {}", e.what());
    return 2;
  }
  const Files files(o.out_dir);
  std::unique_ptr<FolderLock> lock;
  std::unique_ptr<Trainer> trainer;
  TrainingData data;
  try {
    std::error_code ec;
    std::filesystem::create_directories(files.dir, ec);
    if (ec) throw std::runtime_error("cannot create train.out " + files.dir + ": " + ec.message());
    lock = std::make_unique<FolderLock>(files.dir);
    TrainerConfig config;
    config.shape = {o.blocks, o.channels};
    config.device = o.device;
    config.optimizer = o.optimizer;
    config.momentum = o.momentum;
    config.weight_decay = o.weight_decay;
    config.precision = o.precision;
    config.seed = o.seed;
    if (std::filesystem::exists(files.checkpoint)) {
      config.resume = files.checkpoint;
      if (!o.init.empty()) spdlog::info("train: {} exists, so train.init {} is not used", files.checkpoint, o.init);
    } else {
      config.init = o.init;
    }
    trainer = api->create(config);
    spdlog::info("train: {}", trainer->description());
    if (!config.resume.empty()) spdlog::info("train: resuming {} at step {}", files.checkpoint, trainer->steps_done());
    else if (!config.init.empty()) spdlog::info("train: starting from the weights of {}", config.init);
    if (trainer->steps_done() < o.steps) {
      data = read_training_data(split_list(o.data, "train.data"), o.window);
      for (const std::string& w : data.warnings) spdlog::warn("train: {}", w);
      spdlog::info("train: {} positions in the window ({}) of {} read from {} file(s){}", data.positions.size(),
                   sizes_text(data), data.lines, data.files.size(),
                   data.no_visits ? ", " + std::to_string(data.no_visits) + " without root visits skipped" : "");
    }
  } catch (const std::exception& e) {
    spdlog::error("train: {}", e.what());
    return 2;
  }

  History history;
  int64_t first = trainer->steps_done() + 1;
  StepStats last;
  bool trained = false, failed = false;
  try {
    history = rewrite_log(files.log, trainer->steps_done());
    std::ofstream log(files.log, std::ios::app);
    if (!log) throw std::runtime_error("cannot write " + files.log);
    InterruptScope interrupts;
    const BatchOptions batch_options{o.batch, o.augment, o.q_weight, o.seed};
    const auto start = std::chrono::steady_clock::now();
    auto last_report = start;
    const int64_t last_step = o.run_steps > 0 ? std::min(o.steps, first - 1 + o.run_steps) : o.steps;
    for (int64_t step = first; step <= last_step && !interrupt_flag().load(); ++step) {
      const auto t0 = std::chrono::steady_clock::now();
      const Batch batch = make_batch(data, batch_options, step);
      const double lr = learning_rate(o, step);
      last = trainer->train_step(batch, lr);
      trained = true;
      const auto t1 = std::chrono::steady_clock::now();
      const double step_s = std::chrono::duration<double>(t1 - t0).count();
      const double elapsed = std::chrono::duration<double>(t1 - start).count();
      if (!std::isfinite(last.loss)) {
        spdlog::error("train: the loss is not finite at step {} (train.lr {} too high?); the files of step {} are kept",
                      step, o.lr, first - 1);
        failed = true;
        break;
      }
      log << log_line(step, last, lr, step_s > 0 ? batch.n / step_s : 0.0, batch.size, elapsed);
      log.flush();
      if (!log) throw std::runtime_error("cannot write " + files.log);
      history.add(step, last.loss, last.policy_loss, last.value_loss);
      const bool checkpoint = step % o.checkpoint_every == 0;
      if (checkpoint || std::chrono::duration<double>(t1 - last_report).count() >= 10 || step == last_step) {
        spdlog::info("train: step {}/{} loss {:.4f} (policy {:.4f}, value {:.4f}), policy accuracy {:.3f}, value "
                     "error {:.3f}, lr {:.4g}, {:.0f} samples/s",
                     step, o.steps, last.loss, last.policy_loss, last.value_loss, last.policy_accuracy,
                     last.value_error, lr, static_cast<double>(o.batch) * (step - first + 1) / elapsed);
        last_report = t1;
      }
      if (checkpoint && step < last_step) {
        write_outputs(*trainer, files, history, true);
        first = step + 1;  // what a non-finite loss would fall back to
      }
    }
    if (failed) return 1;
    write_outputs(*trainer, files, history, trainer->steps_done() > 0);
  } catch (const std::exception& e) {
    spdlog::error("train: {}", e.what());
    return 1;
  }

  const int64_t done = trainer->steps_done();
  if (trained)
    out << "Trained to step " << done << " of " << o.steps << ": loss " << number(last.loss) << " (policy "
        << number(last.policy_loss) << ", value " << number(last.value_loss) << "), policy accuracy "
        << number(last.policy_accuracy) << ", value error " << number(last.value_error) << "\n";
  else
    out << "No steps to train (at step " << done << " of " << o.steps << ")\n";
  out << "Net: " << files.net << " (--plugin.model), weights: " << files.weights;
  if (done > 0) out << ", checkpoint: " << files.checkpoint;
  out << ", log: " << files.log << ", plot: " << files.plot << "\n";
  if (interrupt_flag().load() || done < o.steps)
    out << "Stopped at step " << done << (interrupt_flag().load() ? "" : " (train.run_steps)")
        << "; run the same command to continue.\n";
  out.flush();
  return interrupt_flag().load() ? 130 : 0;
}

}  // namespace hearth
