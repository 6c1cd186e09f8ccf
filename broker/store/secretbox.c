/* SPDX-License-Identifier: Apache-2.0 */
/* AES-256-GCM sealing of small secrets, and the key file it uses. */
#include "secretbox.h"

#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERSION 1
#define NONCE_LEN 12
#define TAG_LEN 16

void secretbox_key_wipe(struct secretbox_key *key)
{
    OPENSSL_cleanse(key, sizeof *key);
}

/* Writes a new key to a private temporary file, then link()s it into place: link never
 * replaces an existing file, so of two concurrent creators one key wins, and a crash never
 * leaves a half-written key at `path`. Returns 0, or -1 (EEXIST in errno if path exists). */
static int create_key(const char *path, struct dp_err *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)getpid());
    uint8_t k[SECRETBOX_KEY_LEN];
    if (RAND_bytes(k, sizeof k) != 1) {
        dp_err_set(err, "no random bytes for the key file %s (OpenSSL RAND_bytes failed)", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        dp_err_errno(err, "cannot create the key file %s", tmp);
        OPENSSL_cleanse(k, sizeof k);
        return -1;
    }
    int ok = write(fd, k, sizeof k) == (ssize_t)sizeof k && fsync(fd) == 0;
    OPENSSL_cleanse(k, sizeof k);
    if (close(fd) != 0 || !ok) {
        dp_err_errno(err, "cannot write the key file %s", tmp);
        unlink(tmp);
        return -1;
    }
    int rc = link(tmp, path);
    int saved = errno;
    unlink(tmp);
    errno = saved;
    if (rc != 0 && errno != EEXIST)
        dp_err_errno(err, "cannot put the key file in place at %s", path);
    return rc;
}

int secretbox_key_load(const char *path, int create, struct secretbox_key *key, struct dp_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        if (create_key(path, err) != 0 && errno != EEXIST)
            return -1;
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        dp_err_errno(err, "cannot open the key file %s%s", path,
                     errno == ENOENT ? " (it is made when deskpoold first starts)" : "");
        return -1;
    }
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) != 0) {
        dp_err_errno(err, "cannot stat the key file %s", path);
    } else if (!S_ISREG(st.st_mode)) {
        dp_err_set(err, "key file %s is not a regular file; move it away and restore the key",
                   path);
    } else if (st.st_mode & 077) {
        /* Anyone who reads this key reads every stored NT hash: refuse, do not fix it
         * silently, the admin must know the key may have leaked. */
        dp_err_set(err,
                   "key file %s is accessible by group or others (mode %04o); run: chmod "
                   "600 %s (and consider whether it was read by anyone)",
                   path, (unsigned)(st.st_mode & 07777), path);
    } else if (st.st_uid != geteuid()) {
        dp_err_set(err,
                   "key file %s is owned by uid %u but deskpoold runs as uid %u; run: "
                   "chown %u %s",
                   path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
    } else if (st.st_size != SECRETBOX_KEY_LEN) {
        dp_err_set(err,
                   "key file %s is %lld bytes, not %d: damaged or not a deskpool key. "
                   "Restore it from a backup; without it users must set their passwords again",
                   path, (long long)st.st_size, SECRETBOX_KEY_LEN);
    } else if (read(fd, key->k, sizeof key->k) != (ssize_t)sizeof key->k) {
        dp_err_errno(err, "cannot read the key file %s", path);
        secretbox_key_wipe(key);
    } else {
        rc = 0;
    }
    close(fd);
    return rc;
}

/* One AES-256-GCM pass; enc selects the direction. Returns 0 or -1 (a bad tag on open). */
static int gcm(int enc, const struct secretbox_key *key, const uint8_t nonce[NONCE_LEN],
               const void *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
               uint8_t tag[TAG_LEN])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c != NULL;
    ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(c, NULL, NULL, key->k, nonce, enc) == 1;
    if (ok && aad_len)
        ok = EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) == 1;
    if (ok && len)
        ok = EVP_CipherUpdate(c, out, &n, in, (int)len) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    /* For decryption this is where the tag is checked. */
    ok = ok && EVP_CipherFinal_ex(c, out + len, &n) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int secretbox_seal(const struct secretbox_key *key, const void *aad, size_t aad_len,
                   const uint8_t *pt, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                   struct dp_err *err)
{
    if (len > (1u << 20) || aad_len > (1u << 20) || cap < len + SECRETBOX_OVERHEAD) {
        dp_err_set(err, "secret of %zu bytes does not fit its buffer (a deskpool bug)", len);
        return -1;
    }
    out[0] = VERSION;
    if (RAND_bytes(out + 1, NONCE_LEN) != 1) {
        dp_err_set(err, "no random bytes for a nonce (OpenSSL RAND_bytes failed)");
        return -1;
    }
    if (gcm(1, key, out + 1, aad, aad_len, pt, len, out + 1 + NONCE_LEN,
            out + 1 + NONCE_LEN + len) != 0) {
        dp_err_set(err, "AES-256-GCM encryption failed in OpenSSL");
        return -1;
    }
    *out_len = len + SECRETBOX_OVERHEAD;
    return 0;
}

int secretbox_open(const struct secretbox_key *key, const void *aad, size_t aad_len,
                   const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                   struct dp_err *err)
{
    if (len < SECRETBOX_OVERHEAD || in[0] != VERSION) {
        dp_err_set(err,
                   "encrypted secret is malformed (%zu bytes, version %d); set the "
                   "password again",
                   len, len ? in[0] : -1);
        return -1;
    }
    size_t n = len - SECRETBOX_OVERHEAD;
    if (cap < n || aad_len > (1u << 20)) {
        dp_err_set(err, "decrypted secret does not fit its buffer (a deskpool bug)");
        return -1;
    }
    uint8_t tag[TAG_LEN];
    memcpy(tag, in + 1 + NONCE_LEN + n, TAG_LEN);
    if (gcm(0, key, in + 1, aad, aad_len, in + 1 + NONCE_LEN, n, out, tag) != 0) {
        OPENSSL_cleanse(out, n);
        dp_err_set(err, "encrypted secret does not decrypt: it was changed, or the key file is "
                        "not the one it was written with; set the password again");
        return -1;
    }
    *out_len = n;
    return 0;
}
