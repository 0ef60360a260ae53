// `hearth tournament`: plays a tournament (tournament.h) from the settings' [tournament], [game]
// and player options, with a live progress line on stderr (when it is a terminal), and prints the
// standings on stdout. Ctrl-C (SIGINT) or SIGTERM stops it cleanly: games in progress are
// abandoned, finished ones are already recorded, and the same command resumes; a second Ctrl-C
// kills at once.
//
// Exit status: 0 done (or stopped by SPRT / the game limit), 2 bad configuration (one message on
// stderr, before any game), 1 a failure while playing (a result could not be written), 130
// interrupted.
//
// Thread-safety: run_tournament is a whole program run (it installs signal handlers for its
// duration).
#pragma once

#include <iosfwd>

#include "engine/config/options.h"

namespace hearth {

int run_tournament(const Settings& settings, std::istream& in, std::ostream& out);

}  // namespace hearth
