/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_png.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

/*
 * libpng reports errors by longjmp; everything the jump can skip over is kept in this struct
 * so the cleanup after setjmp sees the current values, not stale registers.
 */
struct png_job {
    FILE *f;
    png_structp png;
    png_infop info;
    char tmp[4096];
};

static int write_rows(struct png_job *job, const uint8_t *bgrx, unsigned width, unsigned height,
                      size_t stride)
{
    if (setjmp(png_jmpbuf(job->png)))
        return -1;
    png_init_io(job->png, job->f);
    /* Screenshots compress well enough at level 3 and it is several times faster than 9,
     * which matters when a benchmark saves a picture per login. */
    png_set_compression_level(job->png, 3);
    png_set_IHDR(job->png, job->info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(job->png, job->info);
    /* Our rows are B,G,R,X: let libpng swap to RGB and drop the fourth byte. */
    png_set_bgr(job->png);
    png_set_filler(job->png, 0, PNG_FILLER_AFTER);
    for (unsigned y = 0; y < height; y++)
        png_write_row(job->png, (png_const_bytep)(bgrx + (size_t)y * stride));
    png_write_end(job->png, NULL);
    return 0;
}

int probe_png_write(const char *path, const uint8_t *bgrx, unsigned width, unsigned height,
                    size_t stride, struct dp_err *err)
{
    struct png_job job = {0};
    int rc = -1;

    if (width == 0 || height == 0 || stride < (size_t)width * 4) {
        dp_err_set(err, "%s: no picture to save (%ux%u, stride %zu)", path, width, height, stride);
        return -1;
    }
    if ((size_t)snprintf(job.tmp, sizeof(job.tmp), "%s.tmp", path) >= sizeof(job.tmp)) {
        dp_err_set(err, "%s: path too long", path);
        return -1;
    }
    job.f = fopen(job.tmp, "wb");
    if (!job.f) {
        dp_err_errno(err, "cannot create %s (is the folder there and writable?)", job.tmp);
        return -1;
    }
    job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (job.png)
        job.info = png_create_info_struct(job.png);
    if (!job.png || !job.info) {
        dp_err_set(err, "%s: libpng could not start (out of memory?)", path);
        goto out;
    }
    if (write_rows(&job, bgrx, width, height, stride) < 0) {
        dp_err_set(err, "%s: libpng failed while writing (disk full?)", path);
        goto out;
    }
    rc = 0;
out:
    png_destroy_write_struct(&job.png, &job.info);
    if (fclose(job.f) != 0 && rc == 0) {
        dp_err_errno(err, "cannot write %s", job.tmp);
        rc = -1;
    }
    if (rc == 0 && rename(job.tmp, path) != 0) {
        dp_err_errno(err, "cannot rename %s to %s", job.tmp, path);
        rc = -1;
    }
    if (rc != 0)
        unlink(job.tmp);
    return rc;
}
