// hearth: see commands.h for the subcommands.
#include "engine/app/commands.h"

int main(int argc, char** argv) { return hearth::run_program(argc, argv); }
