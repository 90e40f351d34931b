/* SPDX-License-Identifier: MIT */
/* cli.c - command-line helpers shared by umm-bench and umm-demo (see cli.h). */
#define _POSIX_C_SOURCE 200809L /* readlink, posix_spawn */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef UMM_PROGRAM_DATADIR
#define UMM_PROGRAM_DATADIR "../share/umm"
#endif

#define CLI_PATH_MAX 4096

extern char **environ;

bool cli_parse_long(const char *prog, const char *opt, const char *text, long min, long max,
                    long *out)
{
    char *end = NULL;
    errno = 0;
    /* strtol accepts leading blanks and a '+': a number here is digits, '-' only if allowed */
    bool shape_ok = text && (isdigit((unsigned char)text[0]) || (text[0] == '-' && min < 0));
    long v = shape_ok ? strtol(text, &end, 10) : 0;
    if (!shape_ok || end == text || *end != '\0') {
        fprintf(stderr, "%s: --%s: '%s' is not a whole number in [%ld, %ld]\n", prog, opt,
                text ? text : "", min, max);
        return false;
    }
    if (errno == ERANGE || v < min || v > max) {
        fprintf(stderr, "%s: --%s: %s is out of range [%ld, %ld]\n", prog, opt, text, min, max);
        return false;
    }
    *out = v;
    return true;
}

bool cli_no_operands(const char *prog, int argc, char **argv, int first)
{
    if (first >= argc)
        return true;
    fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[first]);
    return false;
}

/* Directory of the running program (no trailing '/'), "." when it cannot be found. */
static void program_dir(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0) {
        snprintf(buf, size, ".");
        return;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
}

/* The script's path in buf, or false when it is in neither place. */
static bool find_script(const char *script, char *buf, size_t size)
{
    char dir[CLI_PATH_MAX];
    program_dir(dir, sizeof dir);
    snprintf(buf, size, "%s/%s/%s", dir, UMM_PROGRAM_DATADIR, script);
    if (access(buf, R_OK) == 0)
        return true;
    snprintf(buf, size, "%s/%s", dir, script);
    return access(buf, R_OK) == 0;
}

/* Spawn argv (searched in $PATH) and wait: its exit status, 127 when it could not start. */
static int spawn_wait(char *const argv[], bool quiet)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet) {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return 127;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 127;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

cli_plot_t cli_plot(const char *prefix, const char *script, const char *csv, const char *png)
{
    const char *env = getenv("UMM_PYTHON");
    char *python = (char *)(env && *env ? env : "python3");
    char path[CLI_PATH_MAX + 64];
    if (!find_script(script, path, sizeof path)) {
        fprintf(stderr, "%s: plot: %s is not installed next to this program (data in %s)\n",
                prefix, script, csv);
        return CLI_PLOT_FAILED;
    }
    char *probe[] = {python, "-c", "import matplotlib", NULL};
    if (spawn_wait(probe, true) != 0) {
        printf("%s: plot skipped: %s cannot import matplotlib (apt-get install python3-matplotlib);"
               " data in %s\n", prefix, python, csv);
        return CLI_PLOT_SKIPPED;
    }
    char *argv[] = {python, path, (char *)csv, (char *)png, NULL};
    if (spawn_wait(argv, false) != 0) {
        fprintf(stderr, "%s: plot: %s failed; %s not written\n", prefix, path, png);
        return CLI_PLOT_FAILED;
    }
    printf("%s: plot %s written\n", prefix, png);
    return CLI_PLOT_WRITTEN;
}
