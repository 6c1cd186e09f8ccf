/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-probe's picture handling: PNG round trip through libpng's reader, colour count. */
#include <check.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "probe_colours.h"
#include "probe_png.h"

/* A BGRX test card with padding at the end of each row (stride > width * 4), as GDI has. */
static uint8_t *card(unsigned w, unsigned h, size_t stride)
{
    uint8_t *p = malloc(stride * h);
    memset(p, 0xEE, stride * h); /* padding and X bytes must not leak into the picture */
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            uint8_t *px = p + y * stride + x * 4;
            px[0] = (uint8_t)(x * 7);  /* B */
            px[1] = (uint8_t)(y * 13); /* G */
            px[2] = (uint8_t)(x ^ y);  /* R */
            px[3] = (uint8_t)(x + y);  /* X: ignored */
        }
    return p;
}

START_TEST(png_round_trip)
{
    const unsigned w = 37, h = 19;
    const size_t stride = w * 4 + 12;
    uint8_t *bgrx = card(w, h, stride);
    char dir[] = "/tmp/test_probe_png.XXXXXX";
    char path[64];
    struct dp_err err = {0};
    png_image img;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.png", dir);
    ck_assert_msg(probe_png_write(path, bgrx, w, h, stride, &err) == 0, "%s", dp_err_msg(&err));
    ck_assert_int_ne(access(strcat(strcpy((char[80]){0}, path), ".tmp"), F_OK), 0);

    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    ck_assert(png_image_begin_read_from_file(&img, path));
    ck_assert_uint_eq(img.width, w);
    ck_assert_uint_eq(img.height, h);
    ck_assert(!(img.format & PNG_FORMAT_FLAG_ALPHA)); /* RGB: no transparent screenshots */
    img.format = PNG_FORMAT_RGB;
    uint8_t *rgb = malloc(PNG_IMAGE_SIZE(img));
    ck_assert(png_image_finish_read(&img, NULL, rgb, 0, NULL));
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            const uint8_t *src = bgrx + y * stride + x * 4;
            const uint8_t *got = rgb + (y * w + x) * 3;
            ck_assert_msg(got[0] == src[2] && got[1] == src[1] && got[2] == src[0],
                          "pixel %u,%u differs", x, y);
        }
    free(rgb);
    unlink(path);
    rmdir(dir);
    free(bgrx);
}
END_TEST

START_TEST(png_errors_name_the_file)
{
    uint8_t px[16] = {0};
    struct dp_err err = {0};

    ck_assert_int_eq(probe_png_write("/nonexistent-dir/x.png", px, 2, 2, 8, &err), -1);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "/nonexistent-dir/x.png"));
    dp_err_clear(&err);
    ck_assert_int_eq(probe_png_write("/tmp/x.png", px, 0, 2, 8, &err), -1);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "no picture"));
}
END_TEST

START_TEST(colours_counted)
{
    const unsigned w = 64, h = 64;
    const size_t stride = w * 4 + 4;
    uint8_t *p = calloc(stride * h, 1);

    ck_assert_int_eq(probe_count_colours(p, w, h, stride), 1); /* all black */
    /* The X byte and row padding do not make colours. */
    for (unsigned y = 0; y < h; y++) {
        p[y * stride + 3] = (uint8_t)y;
        p[y * stride + w * 4] = 0xFF;
    }
    ck_assert_int_eq(probe_count_colours(p, w, h, stride), 1);
    p[0] = 1;               /* blue 1 */
    p[stride + 5] = 1;      /* green 1 at (1,1) */
    p[2 * stride + 10] = 1; /* red 1 at (2,2) */
    ck_assert_int_eq(probe_count_colours(p, w, h, stride), 4);
    free(p);

    uint8_t *c = card(200, 100, 800);
    long n = probe_count_colours(c, 200, 100, 800);
    ck_assert_int_gt(n, 1000);
    free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("probe_png");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, png_round_trip);
    tcase_add_test(tc, png_errors_name_the_file);
    tcase_add_test(tc, colours_counted);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
