/* Hearth evaluator plugin ABI. A plain C interface so that a plugin built by another compiler,
 * or against another LibTorch, loads safely.
 *
 * A plugin is a shared library exporting two functions:
 *   uint32_t hearth_plugin_abi_version(void);            -- must return HEARTH_PLUGIN_ABI_VERSION
 *   const hearth_plugin_api* hearth_plugin_get_api(void);
 * The loader calls the first before anything else, so a mismatch is reported with both versions
 * and the table of the second is never read from an incompatible plugin.
 *
 * Threading contract: the host calls create/destroy/describe/game_start/game_end/stats of one
 * instance from one thread at a time. evaluate is called by at most info.max_concurrent_calls
 * threads at once (0 or 1: one at a time); a plugin spread over several devices reports their
 * number so that the host keeps each device busy with a batch of its own. With
 * max_concurrent_calls > 1, game_start/game_end/stats may run while evaluate calls are in progress. A reentrant
 * plugin (one whose evaluate any number of threads may call at once: a CPU evaluator without shared mutable state)
 * reports HEARTH_MAX_CONCURRENT_CALLS, and the host then calls it inline from the search threads, with no batching
 * thread between them. A plugin may
 * run threads of its own (the torch plugin's keep-warm timer) and may call host->log from any of
 * its threads; host->log is thread-safe.
 *
 * Buffers: input is batch x input_planes x board_size x board_size floats (see engine/encoding.h);
 * policy is batch x policy_size logits (index y*size+x), value is batch floats in [-1, 1] from the
 * side to move's view. All owned by the host.
 *
 * Errors: functions that can fail return 0 on success and nonzero on failure, writing a
 * NUL-terminated message of at most errlen bytes (including the NUL) to err. create returns NULL
 * on failure.
 */
#ifndef HEARTH_PLUGIN_ABI_H
#define HEARTH_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEARTH_PLUGIN_ABI_VERSION 1u

enum hearth_log_level { HEARTH_LOG_DEBUG = 0, HEARTH_LOG_INFO = 1, HEARTH_LOG_WARN = 2, HEARTH_LOG_ERROR = 3 };
enum hearth_rule { HEARTH_RULE_FREESTYLE = 0, HEARTH_RULE_STANDARD = 1 };

/* What the host tells a plugin at creation. */
typedef struct hearth_host {
  uint32_t struct_size; /* sizeof(hearth_host) as the host built it */
  int32_t board_size;   /* the game's board size; a plugin that cannot serve it fails create */
  int32_t rule;         /* enum hearth_rule */
  void (*log)(void* log_ctx, int level, const char* message);
  void* log_ctx;
} hearth_host;

#define HEARTH_MAX_BATCH_SIZES 16
/* The largest max_concurrent_calls; a plugin reporting it is reentrant (see the threading contract). */
#define HEARTH_MAX_CONCURRENT_CALLS 64

typedef struct hearth_plugin_info {
  int32_t board_size;
  int32_t input_planes;
  int32_t policy_size;
  int32_t max_batch;                               /* largest batch evaluate accepts */
  int32_t preferred_batches[HEARTH_MAX_BATCH_SIZES]; /* ascending; batches padded up to these */
  int32_t num_preferred_batches;
  char description[256];                           /* one line for logs */
  int32_t max_concurrent_calls;                    /* evaluate calls it serves at once; 0 = 1 */
} hearth_plugin_info;

typedef struct hearth_plugin hearth_plugin; /* opaque instance */

typedef struct hearth_plugin_api {
  uint32_t struct_size; /* sizeof(hearth_plugin_api) as the plugin built it */
  const char* name;     /* short name, e.g. "torch" */

  /* Options are key=value pairs (keys[i], values[i]); an unknown key fails create with a message
   * naming it. */
  hearth_plugin* (*create)(const hearth_host* host, const char* const* keys, const char* const* values,
                           int32_t num_options, char* err, size_t errlen);
  void (*destroy)(hearth_plugin* plugin);
  int (*describe)(hearth_plugin* plugin, hearth_plugin_info* info);
  int (*evaluate)(hearth_plugin* plugin, const float* input, int32_t batch, float* policy, float* value,
                  char* err, size_t errlen);
  /* Hints: a game starts or ends (keep-warm uses them). May be NULL. */
  void (*game_start)(hearth_plugin* plugin);
  void (*game_end)(hearth_plugin* plugin);
  /* Writes a JSON object of plugin statistics to out (at most len bytes incl. NUL); returns 0 on
   * success. May be NULL. */
  int (*stats)(hearth_plugin* plugin, char* out, size_t len);
} hearth_plugin_api;

typedef uint32_t (*hearth_plugin_abi_version_fn)(void);
typedef const hearth_plugin_api* (*hearth_plugin_get_api_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* HEARTH_PLUGIN_ABI_H */
