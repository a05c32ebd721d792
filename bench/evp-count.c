/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evp-count.c: an LD_PRELOAD shim for bench/ssh-libraries.sh that counts
 * the calls an SSH library makes into libcrypto's cipher and MAC entry
 * points, and the bytes they carry, and writes them to the file named by
 * EVP_COUNT_OUT at exit.  It answers "how many EVP calls per GiB", which
 * a sampling profile (perf) can only show as a share of time.  A call
 * libcrypto makes to one of its own exported functions through the
 * dynamic linker is counted too (EVP_Cipher's CTR mode reaches
 * CRYPTO_ctr128_encrypt_ctr32 that way); calls bound inside libcrypto are
 * not seen.  Bench-only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

struct counter {
    const char *name;
    unsigned long long calls, bytes;
};

enum { C_CIPHER, C_ENCRYPT, C_DECRYPT, C_CIPHERUPDATE, C_HMAC, C_MAC, C_CTR,
       C_MAC_FETCH, C_MD_FETCH, C_LAST };
static struct counter counters[C_LAST] = {
    [C_CIPHER] = { "EVP_Cipher" },
    [C_ENCRYPT] = { "EVP_EncryptUpdate" },
    [C_DECRYPT] = { "EVP_DecryptUpdate" },
    [C_CIPHERUPDATE] = { "EVP_CipherUpdate" },
    [C_HMAC] = { "HMAC_Update" },
    [C_MAC] = { "EVP_MAC_update" },
    [C_CTR] = { "CRYPTO_ctr128_encrypt_ctr32" },
    [C_MAC_FETCH] = { "EVP_MAC_fetch" },
    [C_MD_FETCH] = { "EVP_MD_fetch" },
};

static void *
next(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);

    if (!f) {
        fprintf(stderr, "evp-count: no %s in the libraries loaded\n", name);
        abort();
    }
    return f;
}

/* Single-threaded callers (bench/ssh-send.c): plain increments. */
#define COUNT(i, n) (counters[i].calls++, counters[i].bytes += (unsigned long long)(n))

int
EVP_Cipher(void *c, unsigned char *out, const unsigned char *in, unsigned int inl)
{
    static int (*f)(void *, unsigned char *, const unsigned char *, unsigned int);

    if (!f)
        f = next("EVP_Cipher");
    COUNT(C_CIPHER, inl);
    return f(c, out, in, inl);
}

#define UPDATE(fn, idx)                                                          \
    int fn(void *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl) \
    {                                                                            \
        static int (*f)(void *, unsigned char *, int *, const unsigned char *, int); \
        if (!f)                                                                  \
            f = next(#fn);                                                       \
        COUNT(idx, inl);                                                         \
        return f(ctx, out, outl, in, inl);                                       \
    }
UPDATE(EVP_EncryptUpdate, C_ENCRYPT)
UPDATE(EVP_DecryptUpdate, C_DECRYPT)
UPDATE(EVP_CipherUpdate, C_CIPHERUPDATE)

#define MACUPDATE(fn, idx)                                                       \
    int fn(void *ctx, const unsigned char *data, size_t len)                     \
    {                                                                            \
        static int (*f)(void *, const unsigned char *, size_t);                  \
        if (!f)                                                                  \
            f = next(#fn);                                                       \
        COUNT(idx, len);                                                         \
        return f(ctx, data, len);                                                \
    }
MACUPDATE(HMAC_Update, C_HMAC)
MACUPDATE(EVP_MAC_update, C_MAC)

/* A fetch looks an algorithm up by name in OpenSSL 3's tables: costly if
 * done per packet. */
#define FETCH(fn, idx)                                                           \
    void *fn(void *libctx, const char *algorithm, const char *properties)       \
    {                                                                            \
        static void *(*f)(void *, const char *, const char *);                   \
        if (!f)                                                                  \
            f = next(#fn);                                                       \
        COUNT(idx, 0);                                                           \
        return f(libctx, algorithm, properties);                                 \
    }
FETCH(EVP_MAC_fetch, C_MAC_FETCH)
FETCH(EVP_MD_fetch, C_MD_FETCH)

void
CRYPTO_ctr128_encrypt_ctr32(const unsigned char *in, unsigned char *out, size_t len,
                            const void *key, unsigned char ivec[16],
                            unsigned char ecount_buf[16], unsigned int *num, void *ctr)
{
    static void (*f)(const unsigned char *, unsigned char *, size_t, const void *,
                     unsigned char *, unsigned char *, unsigned int *, void *);

    if (!f)
        f = next("CRYPTO_ctr128_encrypt_ctr32");
    COUNT(C_CTR, len);
    f(in, out, len, key, ivec, ecount_buf, num, ctr);
}

__attribute__((destructor)) static void
report(void)
{
    const char *path = getenv("EVP_COUNT_OUT");
    FILE *f;

    if (!path || !(f = fopen(path, "w")))
        return;
    for (int i = 0; i < C_LAST; i++)
        if (counters[i].calls)
            fprintf(f, "%s %llu %llu\n", counters[i].name, counters[i].calls, counters[i].bytes);
    fclose(f);
}
