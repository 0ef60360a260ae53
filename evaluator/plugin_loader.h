// Finds and opens evaluator plugins: loadable modules (libhearth_<name>.so) or the built-in copies
// linked into the program (uniform, heuristic), and checks their ABI before anything is called.
//
// Thread-safety: load_plugin/load_builtin_plugin/plugin_search_dirs may be called from any thread
// (dlopen is thread-safe). A LoadedPlugin is a move-only value; its const accessors are thread-safe.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "evaluator/plugin_abi.h"

namespace hearth {

// Any failure to find, open, check or create a plugin. what() is one line naming the file (or
// the plugin) and the cause.
struct PluginError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An opened plugin: the dlopen handle (none for a built-in) and its checked API table. Closing
// the handle (destructor) unmaps the plugin's code, so every instance created through api() must
// be destroyed first: PluginEvaluator holds its LoadedPlugin for exactly that reason.
class LoadedPlugin {
 public:
  LoadedPlugin() = default;
  LoadedPlugin(void* handle, const hearth_plugin_api* api, std::string name, std::string path);
  ~LoadedPlugin();
  LoadedPlugin(LoadedPlugin&& other) noexcept;
  LoadedPlugin& operator=(LoadedPlugin&& other) noexcept;
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  const hearth_plugin_api* api() const { return api_; }
  // The plugin's own short name (api->name), or the requested name when it gives none.
  const std::string& name() const { return name_; }
  // The file it came from, or "built-in <name>".
  const std::string& path() const { return path_; }
  bool is_builtin() const { return api_ != nullptr && handle_ == nullptr; }
  explicit operator bool() const { return api_ != nullptr; }

 private:
  void* handle_ = nullptr;
  const hearth_plugin_api* api_ = nullptr;
  std::string name_;
  std::string path_;
};

// The names of the plugins compiled into the program.
std::vector<std::string> builtin_plugin_names();

// The standard search order: `plugin_dir` (when not empty), <dir of the executable>/plugins,
// <dir of the executable>, then the build's plugin folder (HEARTH_DEFAULT_PLUGIN_DIR).
std::vector<std::string> plugin_search_dirs(const std::string& plugin_dir);

// Opens a plugin.
//   - "builtin:<name>" forces the built-in copy.
//   - A value containing '/' or ending in ".so" is a file path (one without '/' is looked for in
//     the working directory, then in each search dir).
//   - Otherwise libhearth_<name>.so is looked for in each of `search_dirs` in order; when none
//     exists and <name> is a built-in, the built-in is used.
// Checks, in this order: the file exists, dlopen succeeds, hearth_plugin_abi_version exists and
// returns HEARTH_PLUGIN_ABI_VERSION, hearth_plugin_get_api exists and returns a table of at
// least the host's struct_size with every required function. Throws PluginError otherwise.
LoadedPlugin load_plugin(const std::string& name_or_path, const std::vector<std::string>& search_dirs);

// The built-in copy of `name`; PluginError listing the built-ins if there is none.
LoadedPlugin load_builtin_plugin(const std::string& name);

}  // namespace hearth
