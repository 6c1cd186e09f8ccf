/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PHC scrypt string parser (broker/store/passwd_hash.c) under libFuzzer. Input: any
 * bytes as a stored password hash. Whatever parses must respect the documented bounds and
 * format back to exactly the input (one encoding per value), and the canonical form must
 * parse to the same values. Nothing here runs scrypt: the parser alone is the attack
 * surface (a hash restored from a tampered backup).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/passwd_hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct phc_scrypt h, again;
    if (phc_scrypt_parse((const char *)data, size, &h) != 0)
        return 0;
    if (h.ln < 1 || h.ln > 20 || h.r < 1 || h.r > 32 || h.p < 1 || h.p > 16 || h.salt_len < 8 ||
        h.salt_len > sizeof h.salt || h.hash_len < 16 || h.hash_len > sizeof h.hash ||
        128ull * (unsigned long long)h.r * (1ull << h.ln) > (1ull << 30))
        abort();
    char out[PASSWD_HASH_MAX];
    if (phc_scrypt_format(&h, out, sizeof out) != 0)
        abort();
    if (strlen(out) != size || memcmp(out, data, size) != 0)
        abort();
    if (phc_scrypt_parse(out, strlen(out), &again) != 0 || memcmp(&h, &again, sizeof h) != 0)
        abort();
    return 0;
}
