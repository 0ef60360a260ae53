// Plugin resolution and ABI checks. The order of checks matters: the ABI version function is
// called before hearth_plugin_get_api, so a plugin built against another ABI is reported with
// both versions and its (possibly differently shaped) table is never read.
#include "evaluator/plugin_loader.h"

#include "engine/util/executable_path.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

// The built-in copies (plugins/CMakeLists.txt, BUILTIN): same code as the modules, entry points
// renamed so several can link into one program.
extern "C" {
uint32_t hearth_uniform_abi_version();
const hearth_plugin_api* hearth_uniform_get_api();
uint32_t hearth_heuristic_abi_version();
const hearth_plugin_api* hearth_heuristic_get_api();
}

namespace hearth {
namespace {

namespace fs = std::filesystem;

struct Builtin {
  const char* name;
  hearth_plugin_abi_version_fn abi_version;
  hearth_plugin_get_api_fn get_api;
};

const Builtin kBuiltins[] = {
    {"uniform", hearth_uniform_abi_version, hearth_uniform_get_api},
    {"heuristic", hearth_heuristic_abi_version, hearth_heuristic_get_api},
};

constexpr const char kBuiltinPrefix[] = "builtin:";
constexpr const char kAbiVersionSymbol[] = "hearth_plugin_abi_version";
constexpr const char kGetApiSymbol[] = "hearth_plugin_get_api";

const Builtin* find_builtin(const std::string& name) {
  for (const auto& b : kBuiltins)
    if (name == b.name) return &b;
  return nullptr;
}

std::string builtin_list() {
  std::string out;
  for (const auto& b : kBuiltins) out += (out.empty() ? "" : ", ") + std::string(b.name);
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// Throws unless the plugin was built for this host's ABI. `where` prefixes every message.
void check_abi_version(uint32_t version, const std::string& where) {
  if (version != HEARTH_PLUGIN_ABI_VERSION)
    throw PluginError(where + ": plugin ABI " + std::to_string(version) + ", host ABI " +
                      std::to_string(HEARTH_PLUGIN_ABI_VERSION) + " (rebuild the plugin against this Hearth)");
}

// Throws unless the table is large enough for the host and has every required function.
const hearth_plugin_api* check_api_table(const hearth_plugin_api* api, const std::string& where) {
  if (!api) throw PluginError(where + ": " + kGetApiSymbol + " returned no API table");
  if (api->struct_size < sizeof(hearth_plugin_api))
    throw PluginError(where + ": API table of " + std::to_string(api->struct_size) + " bytes, host needs " +
                      std::to_string(sizeof(hearth_plugin_api)));
  const char* missing = !api->create     ? "create"
                        : !api->destroy  ? "destroy"
                        : !api->describe ? "describe"
                        : !api->evaluate ? "evaluate"
                                         : nullptr;
  if (missing) throw PluginError(where + ": API table has no '" + missing + "' function");
  return api;
}

std::string plugin_name(const hearth_plugin_api* api, const std::string& fallback) {
  return api->name && *api->name ? std::string(api->name) : fallback;
}

LoadedPlugin open_file(const std::string& path, const std::string& requested) {
  const std::string where = "plugin file " + path;
  // RTLD_LOCAL: two plugins may carry the same internal symbols (each their own LibTorch glue).
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    throw PluginError(where + ": not a loadable plugin: " + (why ? why : "dlopen failed"));
  }
  // Closes the handle on every error path below.
  std::unique_ptr<void, int (*)(void*)> owned(handle, dlclose);
  auto sym = [&](const char* name) {
    dlerror();
    void* p = dlsym(handle, name);
    if (!p) throw PluginError(where + ": missing symbol " + name + " (not a Hearth plugin)");
    return p;
  };
  // Version first: nothing else of the plugin is touched on a mismatch.
  check_abi_version(reinterpret_cast<hearth_plugin_abi_version_fn>(sym(kAbiVersionSymbol))(), where);
  const hearth_plugin_api* api =
      check_api_table(reinterpret_cast<hearth_plugin_get_api_fn>(sym(kGetApiSymbol))(), where);
  return LoadedPlugin(owned.release(), api, plugin_name(api, requested), path);
}

}  // namespace

LoadedPlugin::LoadedPlugin(void* handle, const hearth_plugin_api* api, std::string name, std::string path)
    : handle_(handle), api_(api), name_(std::move(name)), path_(std::move(path)) {}

LoadedPlugin::~LoadedPlugin() {
  if (handle_) dlclose(handle_);
}

LoadedPlugin::LoadedPlugin(LoadedPlugin&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      api_(std::exchange(other.api_, nullptr)),
      name_(std::move(other.name_)),
      path_(std::move(other.path_)) {}

LoadedPlugin& LoadedPlugin::operator=(LoadedPlugin&& other) noexcept {
  if (this != &other) {
    if (handle_) dlclose(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    api_ = std::exchange(other.api_, nullptr);
    name_ = std::move(other.name_);
    path_ = std::move(other.path_);
  }
  return *this;
}

std::vector<std::string> builtin_plugin_names() {
  std::vector<std::string> out;
  for (const auto& b : kBuiltins) out.push_back(b.name);
  return out;
}

std::vector<std::string> plugin_search_dirs(const std::string& plugin_dir) {
  std::vector<std::string> dirs;
  auto add = [&](const std::string& d) {
    if (!d.empty() && std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  };
  add(plugin_dir);
  const fs::path exe = executable_path("");
  if (exe.has_parent_path()) {
    add((exe.parent_path() / "plugins").string());
    add(exe.parent_path().string());
  }
#ifdef HEARTH_DEFAULT_PLUGIN_DIR
  add(HEARTH_DEFAULT_PLUGIN_DIR);
#endif
  return dirs;
}

LoadedPlugin load_builtin_plugin(const std::string& name) {
  const Builtin* b = find_builtin(name);
  if (!b) throw PluginError("plugin '" + name + "': no built-in of that name (built-ins: " + builtin_list() + ")");
  const std::string where = "built-in plugin " + name;
  check_abi_version(b->abi_version(), where);
  const hearth_plugin_api* api = check_api_table(b->get_api(), where);
  return LoadedPlugin(nullptr, api, plugin_name(api, name), "built-in " + name);
}

LoadedPlugin load_plugin(const std::string& name_or_path, const std::vector<std::string>& search_dirs) {
  const std::string& value = name_or_path;
  if (value.empty()) throw PluginError("plugin: empty name (give a name such as 'heuristic' or a path to a .so)");
  if (value.rfind(kBuiltinPrefix, 0) == 0) return load_builtin_plugin(value.substr(sizeof(kBuiltinPrefix) - 1));

  std::vector<std::string> tried;
  const bool is_path = value.find('/') != std::string::npos || ends_with(value, ".so");
  if (is_path) {
    tried.push_back(value.find('/') != std::string::npos ? value : "./" + value);
    if (value.find('/') == std::string::npos)
      for (const auto& dir : search_dirs) tried.push_back((fs::path(dir) / value).string());
  } else {
    for (const auto& dir : search_dirs) tried.push_back((fs::path(dir) / ("libhearth_" + value + ".so")).string());
  }
  for (const auto& candidate : tried)
    if (is_file(candidate)) return open_file(candidate, value);

  if (is_path) throw PluginError("plugin file " + value + ": not found (tried " + join(tried) + ")");
  if (find_builtin(value)) return load_builtin_plugin(value);
  throw PluginError("plugin '" + value + "': no libhearth_" + value + ".so found (tried " +
                    (tried.empty() ? std::string("no search dirs") : join(tried)) +
                    ") and no built-in of that name (built-ins: " + builtin_list() + ")");
}

}  // namespace hearth
