/* SPDX-License-Identifier: MIT */
/* cli.h - what umm's programs (umm-bench, umm-demo) share on their command line and around it:
 * strict number parsing and running a plot script that is installed with the program. */
#ifndef UMM_CLI_H
#define UMM_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Parse `text`, the value of option `opt`, as a whole decimal integer in [min, max]: no sign
 * unless min < 0, no suffix ("1x", "64MiB"), no blanks. On error, says so on stderr
 * ("PROG: --OPT: '64MiB' is not a whole number") and returns false, leaving *out alone. */
bool cli_parse_long(const char *prog, const char *opt, const char *text, long min, long max,
                    long *out);

/* After getopt: false, with a message, when an argument is left over (argv[first] onward). */
bool cli_no_operands(const char *prog, int argc, char **argv, int first);

/* Outcome of cli_plot: the PNG was written, plotting is not possible here (no Python 3 or no
 * matplotlib; a message says how to get it), or the script failed. */
typedef enum { CLI_PLOT_WRITTEN, CLI_PLOT_SKIPPED, CLI_PLOT_FAILED } cli_plot_t;

/* Run `PYTHON SCRIPT CSV PNG` without a shell (posix_spawnp) and wait for it. SCRIPT is a file
 * name looked up next to the running program: in <program dir>/UMM_PROGRAM_DATADIR (the
 * installed layout, e.g. bin/../share/umm) and then in <program dir> (a build tree). PYTHON is
 * $UMM_PYTHON, else python3 from $PATH. Messages start with `prefix`. */
cli_plot_t cli_plot(const char *prefix, const char *script, const char *csv, const char *png);

#endif
