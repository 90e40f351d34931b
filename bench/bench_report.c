/* SPDX-License-Identifier: MIT */
/* bench_report.c - the result table (stdout), --json and --csv files, machine information. */
#define _GNU_SOURCE
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "umm.h"

typedef struct machine_info {
    char kernel[128];
    long nproc;
    char cpu_model[256];
} machine_info_t;

static void machine_info(machine_info_t *m)
{
    struct utsname u;
    char line[512];
    memset(m, 0, sizeof *m);
    snprintf(m->kernel, sizeof m->kernel, "%s", uname(&u) == 0 ? u.release : "unknown");
    m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(m->cpu_model, sizeof m->cpu_model, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        colon += 1 + strspn(colon + 1, " \t");
        colon[strcspn(colon, "\n")] = 0;
        snprintf(m->cpu_model, sizeof m->cpu_model, "%s", colon);
        break;
    }
    fclose(f);
}

double bench_ratio(const bench_result_t *r)
{
    if (!r->ran || !(r->baseline > 0))
        return NAN;
    return r->umm / r->baseline;
}

int bench_target_met(const bench_result_t *r)
{
    double q = bench_ratio(r);
    if (!(r->target > 0) || !r->verified || isnan(q))
        return 0;
    return r->higher_better ? q >= r->target : q <= r->target;
}

/* the `met` column */
static const char *met_text(const bench_result_t *r)
{
    if (!r->ran)
        return "FAIL(run)";
    if (!r->verified)
        return "FAIL(counters)";
    if (r->target <= 0)
        return "info";
    if (r->advisory)
        return bench_target_met(r) ? "yes(info)" : "no(info)";
    return bench_target_met(r) ? "yes" : "no";
}

/* the `target` column: "<=1.20" (a cost: lower is better) or ">=0.60" (a throughput) */
static void target_text(char *buf, size_t len, const bench_result_t *r)
{
    if (r->target > 0)
        snprintf(buf, len, "%s%.2f", r->higher_better ? ">=" : "<=", r->target);
    else
        snprintf(buf, len, "-");
}

static void fmt_num(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else if (v < 10)
        snprintf(buf, len, "%.3f", v);
    else if (v < 1000)
        snprintf(buf, len, "%.1f", v);
    else
        snprintf(buf, len, "%.0f", v);
}

void bench_print_table(const bench_result_t *r, int n)
{
    printf("%-40s | %10s | %10s | %-8s | %7s | %7s | %s\n", "case", "umm", "baseline", "unit",
           "ratio", "target", "met");
    printf("%.40s-+-%.10s-+-%.10s-+-%.8s-+-%.7s-+-%.7s-+-%s\n",
           "----------------------------------------", "----------", "----------",
           "----------", "-------", "-------", "---------");
    for (int i = 0; i < n; i++) {
        char u[32], b[32], q[32], t[32];
        fmt_num(u, sizeof u, r[i].ran ? r[i].umm : NAN);
        fmt_num(b, sizeof b, r[i].ran ? r[i].baseline : NAN);
        snprintf(q, sizeof q, "%.3f", bench_ratio(&r[i]));
        if (isnan(bench_ratio(&r[i])))
            snprintf(q, sizeof q, "-");
        target_text(t, sizeof t, &r[i]);
        printf("%-40s | %10s | %10s | %-8s | %7s | %7s | %s\n", r[i].name, u, b, r[i].unit, q, t,
               met_text(&r[i]));
    }
    printf("# ratio = umm/baseline. Target '<=x': a cost, lower is better; '>=x': a throughput, "
           "higher is better;\n# 'yes(info)'/'no(info)': advisory target, never fails the run.\n");
    fflush(stdout);
}

/* a JSON number, or null for NaN / "no target" */
static void json_num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.6g", v);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_row(FILE *f, const bench_result_t *r, const machine_info_t *m,
                     const bench_opts_t *o)
{
    fputs("  {\"case\": ", f);
    json_str(f, r->name);
    fputs(", \"umm\": ", f);
    json_num(f, r->ran ? r->umm : NAN);
    fputs(", \"baseline\": ", f);
    json_num(f, r->ran ? r->baseline : NAN);
    fputs(", \"unit\": ", f);
    json_str(f, r->unit);
    fputs(", \"ratio\": ", f);
    json_num(f, bench_ratio(r));
    fputs(", \"target\": ", f);
    json_num(f, r->target > 0 ? r->target : NAN);
    fprintf(f, ", \"met\": %s", r->target > 0 ? (bench_target_met(r) ? "true" : "false") : "null");
    fprintf(f, ", \"higher_is_better\": %s, \"advisory\": %s", r->higher_better ? "true" : "false",
            r->advisory ? "true" : "false");
    fprintf(f, ", \"ran\": %s, \"verified\": %s", r->ran ? "true" : "false",
            r->verified ? "true" : "false");
    fputs(", \"kernel\": ", f);
    json_str(f, m->kernel);
    fprintf(f, ", \"nproc\": %ld, \"cpu_model\": ", m->nproc);
    json_str(f, m->cpu_model);
    fputs(", \"umm_version\": ", f);
    json_str(f, umm_version());
    fprintf(f, ", \"bytes\": %zu, \"reps\": %d, \"quick\": %s}", o->bytes, o->reps,
            o->quick ? "true" : "false");
}

int bench_write_json(const char *path, const bench_result_t *r, int n, const bench_opts_t *o)
{
    machine_info_t m;
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    machine_info(&m);
    fputs("[\n", f);
    for (int i = 0; i < n; i++) {
        json_row(f, &r[i], &m, o);
        fputs(i + 1 < n ? ",\n" : "\n", f);
    }
    fputs("]\n", f);
    return fclose(f) != 0;
}

/* a CSV field: quoted, with doubled quotes */
static void csv_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (!isnan(v) && !isinf(v))
        fprintf(f, "%.6g", v);
}

int bench_write_csv(const char *path, const bench_result_t *r, int n, const bench_opts_t *o)
{
    machine_info_t m;
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    machine_info(&m);
    fputs("case,umm,baseline,unit,ratio,target,met,ran,verified,kernel,nproc,cpu_model,"
          "umm_version,bytes,reps,quick,higher_is_better,advisory\n", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s,", r[i].name);
        csv_num(f, r[i].ran ? r[i].umm : NAN);
        fputc(',', f);
        csv_num(f, r[i].ran ? r[i].baseline : NAN);
        fprintf(f, ",%s,", r[i].unit);
        csv_num(f, bench_ratio(&r[i]));
        fputc(',', f);
        csv_num(f, r[i].target > 0 ? r[i].target : NAN);
        fprintf(f, ",%s,%d,%d,", met_text(&r[i]), r[i].ran, r[i].verified);
        csv_str(f, m.kernel);
        fprintf(f, ",%ld,", m.nproc);
        csv_str(f, m.cpu_model);
        fputc(',', f);
        csv_str(f, umm_version());
        fprintf(f, ",%zu,%d,%d,%d,%d\n", o->bytes, o->reps, o->quick, r[i].higher_better,
                r[i].advisory);
    }
    return fclose(f) != 0;
}
