#include "engine/config/shard.h"

#include <cstdlib>

#include "engine/util/text.h"

namespace hearth {

bool parse_shard(const std::string& text, Shard* out, std::string* error) {
  size_t b = text.find_first_not_of(" \t"), e = text.find_last_not_of(" \t");
  const std::string t = b == std::string::npos ? "" : text.substr(b, e - b + 1);
  if (t.empty()) {
    *out = Shard{};
    return true;
  }
  const auto bad = [&](const std::string& why) {
    *error = "'" + t + "' " + why;
    return false;
  };
  const size_t slash = t.find('/');
  if (slash == std::string::npos) return bad("is not i/n (shard i of n, 0 <= i < n), e.g. 0/4");
  int i = -1, n = -1;
  if (!parse_int(std::string_view(t).substr(0, slash), &i) || !parse_int(std::string_view(t).substr(slash + 1), &n))
    return bad("is not i/n (shard i of n, 0 <= i < n), e.g. 0/4");
  if (n < 1) return bad("has no shards: n must be at least 1");
  if (i < 0 || i >= n) return bad("names shard " + std::to_string(i) + " of " + std::to_string(n) + ": i must be 0.." + std::to_string(n - 1));
  *out = Shard{i, n};
  return true;
}

bool parse_shard_option(const std::string& text, Shard* out, std::string* error) {
  if (text != "slurm") return parse_shard(text, out, error);
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count || !*id || !*count) {
    *error = "'slurm' takes the shard from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, which are not set "
             "(not a Slurm array task?): give the shard as i/n";
    return false;
  }
  std::string problem;
  if (parse_shard(std::string(id) + "/" + count, out, &problem)) return true;
  *error = "'slurm' gave " + problem + " (an array whose task ids are not 0..count-1? give the shard as i/n)";
  return false;
}

}  // namespace hearth
