// Opens libhearth_trainer.so (trainer.h): the torch part of `hearth train`, a module of its own.
#include <dlfcn.h>
#include <sys/stat.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/train/trainer.h"
#include "engine/util/executable_path.h"

#ifndef HEARTH_TRAINER_DIR
#define HEARTH_TRAINER_DIR ""
#endif

namespace hearth::train {
namespace {

constexpr char kModule[] = "libhearth_trainer.so";

const TrainerApi* open_module(std::string* error) {
#ifndef HEARTH_TRAIN_WITH_TORCH
  *error = "this build of hearth has no LibTorch, so it cannot train: build with LibTorch (libtorch-dev, or "
           "CMAKE_PREFIX_PATH pointing at LibTorch) and HEARTH_WITH_TORCH=ON";
  return nullptr;
#else
  const std::string exe = executable_path("");
  const std::string exe_dir = exe.find('/') == std::string::npos ? "." : exe.substr(0, exe.find_last_of('/'));
  std::vector<std::string> candidates{exe_dir + "/" + kModule, exe_dir + "/plugins/" + kModule};
  if (*HEARTH_TRAINER_DIR) candidates.push_back(std::string(HEARTH_TRAINER_DIR) + "/" + kModule);
  std::string searched;
  for (const std::string& path : candidates) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      searched += (searched.empty() ? "" : ", ") + path;
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      *error = "cannot load " + path + ": " + (why ? why : "dlopen failed");
      return nullptr;
    }
    using ApiFn = const TrainerApi* (*)();
    auto api_fn = reinterpret_cast<ApiFn>(dlsym(handle, "hearth_trainer_api"));
    const TrainerApi* api = api_fn ? api_fn() : nullptr;
    if (!api) {
      *error = path + " is not hearth's trainer module (no hearth_trainer_api)";
      return nullptr;
    }
    if (api->version != kTrainerApiVersion) {
      *error = path + " is trainer module version " + std::to_string(api->version) + ", this program needs " +
               std::to_string(kTrainerApiVersion) + " (a stale copy beside the program?)";
      return nullptr;
    }
    return api;  // never closed: trainers it made may live until exit
  }
  *error = "cannot find the trainer module " + std::string(kModule) + " (looked for " + searched +
           "): copy it beside the program";
  return nullptr;
#endif
}

}  // namespace

bool trainer_built() {
#ifdef HEARTH_TRAIN_WITH_TORCH
  return true;
#else
  return false;
#endif
}

const TrainerApi& load_trainer_api() {
  static std::mutex mu;
  static const TrainerApi* api = nullptr;
  static std::string error;
  std::lock_guard<std::mutex> lock(mu);
  if (!api && error.empty()) api = open_module(&error);
  if (!api) throw std::runtime_error(error);
  return *api;
}

}  // namespace hearth::train
