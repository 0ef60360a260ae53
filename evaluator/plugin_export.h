// Declares a plugin's two entry points. In a loadable module they are the exported C symbols the
// loader looks up; in a built-in copy (HEARTH_BUILTIN_PLUGIN=name) they get the plugin's name in
// them so several plugins can link into one program.
//
//   HEARTH_PLUGIN_ENTRY(api_table)   -- in exactly one source file of the plugin
#pragma once

#include "evaluator/plugin_abi.h"

#define HEARTH_PP_CAT2(a, b) a##b
#define HEARTH_PP_CAT(a, b) HEARTH_PP_CAT2(a, b)

#ifdef HEARTH_BUILTIN_PLUGIN
#define HEARTH_PLUGIN_ENTRY(api_table)                                                              \
  extern "C" uint32_t HEARTH_PP_CAT(HEARTH_PP_CAT(hearth_, HEARTH_BUILTIN_PLUGIN), _abi_version)() { \
    return HEARTH_PLUGIN_ABI_VERSION;                                                               \
  }                                                                                                 \
  extern "C" const hearth_plugin_api* HEARTH_PP_CAT(HEARTH_PP_CAT(hearth_, HEARTH_BUILTIN_PLUGIN), _get_api)() { \
    return &(api_table);                                                                            \
  }
#else
#define HEARTH_PLUGIN_ENTRY(api_table)                                                   \
  extern "C" __attribute__((visibility("default"))) uint32_t hearth_plugin_abi_version() { \
    return HEARTH_PLUGIN_ABI_VERSION;                                                    \
  }                                                                                      \
  extern "C" __attribute__((visibility("default"))) const hearth_plugin_api* hearth_plugin_get_api() { \
    return &(api_table);                                                                 \
  }
#endif
