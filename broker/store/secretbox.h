/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_SECRETBOX_H
#define DESKPOOL_BROKER_SECRETBOX_H

/*
 * Encryption at rest for the secrets the store must be able to read back (users' NT
 * hashes): AES-256-GCM with a 32-byte key in a file only the broker can read, a random
 * 12-byte nonce per message, and associated data that binds a ciphertext to its row (so a
 * hash copied into another user's row does not decrypt). Sealed form:
 *     version (1 byte, 1) | nonce (12) | ciphertext (as long as the plaintext) | tag (16)
 */
#include <stddef.h>
#include <stdint.h>

struct dp_err;

#define SECRETBOX_KEY_LEN 32
#define SECRETBOX_OVERHEAD (1 + 12 + 16)

struct secretbox_key {
    uint8_t k[SECRETBOX_KEY_LEN];
};

/*
 * Loads the key from `path`. If the file does not exist and `create` is set, makes a new
 * random key there with mode 0600 first (atomically: a concurrent creator's key wins and is
 * loaded). Refuses a key file that is group- or world-accessible (saying `chmod 600 PATH`),
 * owned by another user, not a regular file, or not exactly 32 bytes.
 */
int secretbox_key_load(const char *path, int create, struct secretbox_key *key, struct dp_err *err);

/* Wipes a key from memory. */
void secretbox_key_wipe(struct secretbox_key *key);

/* Encrypts len bytes into out (cap >= len + SECRETBOX_OVERHEAD); sets *out_len. */
int secretbox_seal(const struct secretbox_key *key, const void *aad, size_t aad_len,
                   const uint8_t *pt, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                   struct dp_err *err);

/* Decrypts and authenticates a sealed message into out (cap >= len - SECRETBOX_OVERHEAD);
 * sets *out_len. Fails, writing nothing usable, if any byte or the aad was changed or the
 * key is another one. */
int secretbox_open(const struct secretbox_key *key, const void *aad, size_t aad_len,
                   const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                   struct dp_err *err);

#endif
