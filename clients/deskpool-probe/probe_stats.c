/* SPDX-License-Identifier: Apache-2.0 */
/* Percentiles of login times (pure; see probe_load.h). */
#include "probe_load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

long probe_percentile(const long *sorted, size_t n, double p)
{
    if (n == 0)
        return -1;
    /* The rank is computed in integers where it can be, so p95 of 20 values is the 19th and
     * not the 20th through a rounding error (0.95 * 20 = 19.000000000000004). */
    double exact = p / 100.0 * (double)n;
    size_t rank = (size_t)ceil(exact - 1e-9);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

void probe_stats_compute(long *values, size_t n, struct probe_stats *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n == 0) {
        out->min = out->p50 = out->p95 = out->p99 = out->max = -1;
        return;
    }
    qsort(values, n, sizeof *values, cmp_long);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)values[i];
    out->min = values[0];
    out->max = values[n - 1];
    out->p50 = probe_percentile(values, n, 50);
    out->p95 = probe_percentile(values, n, 95);
    out->p99 = probe_percentile(values, n, 99);
    out->mean = sum / (double)n;
}
