/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qcow2.c: the qcow2 reader's header: probing, qcow2_header_decode(), open
 * and close.  Follows qemu's docs/interop/qcow2.txt, sections "Header",
 * "Additional fields", "Header extensions", "Feature name table"; the
 * cluster mapping lives in qcow2-cluster.c.
 *
 * The first cluster of the file:
 *
 *     Byte  0 -  3:   magic "QFI\xfb"
 *           4 -  7:   version (2 or 3)
 *           8 - 15:   backing_file_offset (0: no backing file)
 *          16 - 19:   backing_file_size (<= 1023)
 *          20 - 23:   cluster_bits (9..21)
 *          24 - 31:   size (virtual bytes)
 *          32 - 35:   crypt_method (0: none; ferry refuses the others)
 *          36 - 39:   l1_size (entries)
 *          40 - 47:   l1_table_offset (cluster aligned)
 *          48 - 55:   refcount_table_offset (cluster aligned)
 *          56 - 59:   refcount_table_clusters
 *          60 - 63:   nb_snapshots
 *          64 - 71:   snapshots_offset (cluster aligned)
 *     version 3 only:
 *          72 - 79:   incompatible_features
 *          80 - 87:   compatible_features
 *          88 - 95:   autoclear_features
 *          96 - 99:   refcount_order (<= 6)
 *         100 - 103:  header_length (>= 104, multiple of 8)
 *         104:        compression_type (if header_length > 104)
 *     then header extensions (type, length, data padded to 8 bytes) up to
 *     type 0 or the backing file name, which ends within the first cluster.
 *
 * Every field is checked before anything it sizes is allocated or read.
 * External data files (incompatible bit 2) are supported: the named file
 * is opened read-only, relative to the image's directory, like a backing
 * file.  Internal snapshots are ignored: the active L1 table is read.
 */
#include <config.h>

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conv/qcow2-priv.h"

/* Sets @error to "<path>: qcow2 header: <message>"; returns FALSE, so
 * that a check reads "return qcow2_header_error(...)". */
static gboolean G_GNUC_PRINTF(4, 5)
qcow2_header_error(GError **error, FerryError code, const char *path,
                   const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, FERRY_ERROR, code, "%s: qcow2 header: %s", path, msg);
    return FALSE;
}

static int
qcow2_probe(const guint8 *head, gsize len)
{
    guint32 version;

    if (len < QCOW2_MAGIC_LEN || memcmp(head, QCOW2_MAGIC, QCOW2_MAGIC_LEN) != 0)
        return 0;
    if (len < 8)
        return 50;
    version = conv_be32(head + 4);
    /* Other versions (1 is the old qcow) are still claimed, so that open()
     * refuses them by name instead of reading them as raw. */
    return version == 2 || version == 3 ? 100 : 50;
}

void
qcow2_header_clear(Qcow2Header *hdr)
{
    g_free(hdr->backing_name);
    g_free(hdr->backing_format);
    g_free(hdr->data_file);
    memset(hdr, 0, sizeof(*hdr));
}

/* A string header extension or the backing file name: no NUL inside. */
static char *
qcow2_dup_name(const guint8 *p, gsize len)
{
    if (memchr(p, '\0', len))
        return NULL;
    return g_strndup((const char *)p, len);
}

static const char *
qcow2_incompat_bit_name(guint bit)
{
    static const char *const names[] = {
        "dirty", "corrupt", "external data file", "compression type",
        "extended L2 entries",
    };

    return bit < G_N_ELEMENTS(names) ? names[bit] : NULL;
}

/* Checks a table of @bytes at @offset: cluster aligned ("Must be aligned
 * to a cluster boundary"), after the header cluster, inside the file. */
static gboolean
qcow2_check_table(const char *path, const char *field, guint64 offset,
                  guint64 bytes, guint64 cluster_size, guint64 file_size,
                  GError **error)
{
    if (offset & (cluster_size - 1)) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "%s 0x%" G_GINT64_MODIFIER "x is not aligned to the "
                                  "cluster size (%" G_GUINT64_FORMAT ")",
                                  field, offset, cluster_size);
    }
    if (bytes == 0)
        return TRUE;
    if (offset < cluster_size) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "%s 0x%" G_GINT64_MODIFIER "x overlaps the header cluster",
                                  field, offset);
    }
    if (offset > file_size || bytes > file_size - offset) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "%s 0x%" G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT
                                  " bytes) is past end of file (%" G_GUINT64_FORMAT " bytes)",
                                  field, offset, bytes, file_size);
    }
    return TRUE;
}

/* Walks the header extensions in buf[start, end). */
static gboolean
qcow2_header_read_extensions(const char *path, const guint8 *buf, gsize start,
                             gsize end, Qcow2Header *hdr,
                             char incompat_names[64][QCOW2_FEATURE_NAME_BYTES + 1],
                             GError **error)
{
    gsize off = start;
    gboolean seen_feature_table = FALSE;

    while (off < end) {
        guint32 type, ext_len;
        const guint8 *data;

        if (end - off < 8) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "header extension at offset %" G_GSIZE_FORMAT
                                      " runs past the end of the extension area (%"
                                      G_GSIZE_FORMAT ")", off, end);
        }
        type = conv_be32(buf + off);
        ext_len = conv_be32(buf + off + 4);
        if (type == QCOW2_EXT_END)
            return TRUE;
        if (ext_len > end - off - 8) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "header extension 0x%08x at offset %" G_GSIZE_FORMAT
                                      ": length %u runs past the end of the extension "
                                      "area (%" G_GSIZE_FORMAT ")", type, off, ext_len, end);
        }
        data = buf + off + 8;

        switch (type) {
        case QCOW2_EXT_BACKING_FORMAT:
            if (hdr->backing_format) {
                return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                          "backing format extension 0x%08x appears twice",
                                          type);
            }
            if (ext_len == 0 || ext_len > QCOW2_MAX_BACKING_FORMAT) {
                return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                          "backing format extension length %u is outside "
                                          "1..%u", ext_len, QCOW2_MAX_BACKING_FORMAT);
            }
            hdr->backing_format = qcow2_dup_name(data, ext_len);
            if (!hdr->backing_format) {
                return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                          "backing format extension holds a NUL byte");
            }
            break;

        case QCOW2_EXT_DATA_FILE:
            if (hdr->data_file) {
                return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                          "external data file extension 0x%08x appears twice",
                                          type);
            }
            if (ext_len == 0 || ext_len > QCOW2_MAX_DATA_FILE_NAME) {
                return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                          "external data file name length %u is outside "
                                          "1..%u", ext_len, QCOW2_MAX_DATA_FILE_NAME);
            }
            hdr->data_file = qcow2_dup_name(data, ext_len);
            if (!hdr->data_file) {
                return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                          "external data file name holds a NUL byte");
            }
            break;

        case QCOW2_EXT_FEATURE_TABLE: {
            guint32 i;

            /* Only used to name unknown bits in messages. */
            if (seen_feature_table)
                break;
            seen_feature_table = TRUE;
            for (i = 0; i + QCOW2_FEATURE_ENTRY_BYTES <= ext_len;
                 i += QCOW2_FEATURE_ENTRY_BYTES) {
                guint8 ftype = data[i];
                guint8 bit = data[i + 1];
                gsize n;

                if (ftype != 0 || bit >= 64)
                    continue;
                for (n = 0; n < QCOW2_FEATURE_NAME_BYTES; n++) {
                    guint8 c = data[i + 2 + n];

                    if (c == '\0')
                        break;
                    /* Names go into messages: printable ASCII only. */
                    incompat_names[bit][n] = g_ascii_isprint(c) ? (char)c : '?';
                }
                incompat_names[bit][n] = '\0';
            }
            break;
        }

        case QCOW2_EXT_CRYPTO_HEADER:
            return qcow2_header_error(error, FERRY_ERROR_UNSUPPORTED, path,
                                      "full disk encryption header extension 0x%08x: "
                                      "encrypted qcow2 images are not supported", type);

        default:
            /* Bitmaps and unknown extensions "can be safely ignored". */
            break;
        }
        /* Padding to the next multiple of 8; ext_len <= end - off - 8. */
        off += 8 + (((gsize)ext_len + 7) & ~(gsize)7);
    }
    return TRUE;
}

/* The fields every version has (bytes 0-71): magic, version and
 * cluster_bits checked, the rest only converted here. */
static gboolean
qcow2_header_decode_common(const char *path, const guint8 *buf, gsize len,
                           guint64 file_size, Qcow2Header *hdr, GError **error)
{
    guint64 cluster_size;

    if (len < QCOW2_V2_HEADER_LENGTH) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "file is too short for a qcow2 header (%" G_GUINT64_FORMAT
                                  " bytes)", file_size);
    }
    if (memcmp(buf, QCOW2_MAGIC, QCOW2_MAGIC_LEN) != 0) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "magic is not QFI\\xfb");
    }
    hdr->version = conv_be32(buf + 4);
    hdr->backing_file_offset = conv_be64(buf + 8);
    hdr->backing_file_size = conv_be32(buf + 16);
    hdr->cluster_bits = conv_be32(buf + 20);
    hdr->size = conv_be64(buf + 24);
    hdr->crypt_method = conv_be32(buf + 32);
    hdr->l1_size = conv_be32(buf + 36);
    hdr->l1_table_offset = conv_be64(buf + 40);
    hdr->refcount_table_offset = conv_be64(buf + 48);
    hdr->refcount_table_clusters = conv_be32(buf + 56);
    hdr->nb_snapshots = conv_be32(buf + 60);
    hdr->snapshots_offset = conv_be64(buf + 64);

    if (hdr->version != 2 && hdr->version != 3) {
        return qcow2_header_error(error, FERRY_ERROR_UNSUPPORTED, path,
                                  "version %u is not supported (only 2 and 3 are)",
                                  hdr->version);
    }
    if (hdr->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        hdr->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "cluster_bits %u is outside %d..%d",
                                  hdr->cluster_bits, QCOW2_MIN_CLUSTER_BITS,
                                  QCOW2_MAX_CLUSTER_BITS);
    }
    cluster_size = G_GUINT64_CONSTANT(1) << hdr->cluster_bits;
    if (len < MIN(file_size, cluster_size)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: qcow2 header: decoder was given %" G_GSIZE_FORMAT
                    " bytes, not the first cluster", path, len);
        return FALSE;
    }

    return TRUE;
}

/* Version-dependent fields: version 2 implies them, version 3 stores them
 * in bytes 72-103 (and the compression type at byte 104). */
static gboolean
qcow2_header_decode_version_fields(const char *path, const guint8 *buf,
                                   gsize len, guint64 file_size,
                                   guint64 cluster_size, Qcow2Header *hdr,
                                   GError **error)
{
    if (hdr->version == 2) {
        hdr->header_length = QCOW2_V2_HEADER_LENGTH;
        hdr->refcount_order = 4;
        hdr->compression_type = QCOW2_COMPRESSION_ZLIB;
    } else {
        guint8 ctype = 0;

        if (len < QCOW2_V3_MIN_HEADER_LENGTH) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "file is too short for a version 3 header (%"
                                      G_GUINT64_FORMAT " bytes)", file_size);
        }
        hdr->incompatible_features = conv_be64(buf + 72);
        hdr->compatible_features = conv_be64(buf + 80);
        hdr->autoclear_features = conv_be64(buf + 88);
        hdr->refcount_order = conv_be32(buf + 96);
        hdr->header_length = conv_be32(buf + 100);
        if (hdr->header_length < QCOW2_V3_MIN_HEADER_LENGTH ||
            hdr->header_length % 8 != 0) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "header_length %u is not a multiple of 8 of at "
                                      "least %d", hdr->header_length,
                                      QCOW2_V3_MIN_HEADER_LENGTH);
        }
        if (hdr->header_length > cluster_size) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "header_length %u is larger than the cluster size (%"
                                      G_GUINT64_FORMAT ")", hdr->header_length,
                                      cluster_size);
        }
        if (hdr->header_length > len) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "header_length %u is past end of file (%"
                                      G_GUINT64_FORMAT " bytes)", hdr->header_length,
                                      file_size);
        }
        if (hdr->header_length > QCOW2_COMPRESSION_TYPE_OFFSET)
            ctype = buf[QCOW2_COMPRESSION_TYPE_OFFSET];
        hdr->compression_type = ctype;
        if (hdr->refcount_order > QCOW2_MAX_REFCOUNT_ORDER) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "refcount_order %u is larger than %u",
                                      hdr->refcount_order, QCOW2_MAX_REFCOUNT_ORDER);
        }
    }

    return TRUE;
}

static gboolean
qcow2_header_decode_backing_name(const char *path, const guint8 *buf,
                                 gsize len, guint64 file_size,
                                 guint64 cluster_size, Qcow2Header *hdr,
                                 GError **error)
{
    /* The backing file name: inside the first cluster, after the header,
     * at most 1023 bytes, no NUL. */
    if (hdr->backing_file_offset != 0 && hdr->backing_file_size != 0) {
        if (hdr->backing_file_size > QCOW2_MAX_BACKING_NAME) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "backing_file_size %u is longer than %u bytes",
                                      hdr->backing_file_size, QCOW2_MAX_BACKING_NAME);
        }
        if (hdr->backing_file_offset < hdr->header_length) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "backing_file_offset %" G_GUINT64_FORMAT
                                      " overlaps the header (%u bytes)",
                                      hdr->backing_file_offset, hdr->header_length);
        }
        if (hdr->backing_file_offset > cluster_size ||
            hdr->backing_file_size > cluster_size - hdr->backing_file_offset) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "backing_file_offset %" G_GUINT64_FORMAT
                                      " + backing_file_size %u runs past the first cluster "
                                      "(%" G_GUINT64_FORMAT " bytes)",
                                      hdr->backing_file_offset, hdr->backing_file_size,
                                      cluster_size);
        }
        if (hdr->backing_file_offset + hdr->backing_file_size > len) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "backing_file_offset %" G_GUINT64_FORMAT
                                      " + backing_file_size %u is past end of file (%"
                                      G_GUINT64_FORMAT " bytes)",
                                      hdr->backing_file_offset, hdr->backing_file_size,
                                      file_size);
        }
        hdr->backing_name = qcow2_dup_name(buf + hdr->backing_file_offset,
                                           hdr->backing_file_size);
        if (!hdr->backing_name) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "backing file name at offset %" G_GUINT64_FORMAT
                                      " holds a NUL byte", hdr->backing_file_offset);
        }
    }

    return TRUE;
}

/* The feature bits against each other and against what ferry reads. */
static gboolean
qcow2_header_check_features(const char *path, Qcow2Header *hdr,
                            char incompat_names[64][QCOW2_FEATURE_NAME_BYTES + 1],
                            GError **error)
{
    guint64 unknown;

    /* "An implementation must fail to open an image if an unknown bit is
     * set." */
    unknown = hdr->incompatible_features & ~QCOW2_INCOMPAT_KNOWN;
    if (unknown) {
        guint bit = (guint)g_bit_nth_lsf((gulong)unknown, -1);

        if (sizeof(gulong) < 8 && (unknown & 0xffffffffu) == 0)
            bit = 32 + (guint)g_bit_nth_lsf((gulong)(unknown >> 32), -1);
        if (incompat_names[bit][0])
            return qcow2_header_error(error, FERRY_ERROR_UNSUPPORTED, path,
                                      "incompatible_features bit %u ('%s') "
                                      "is not supported",
                                      bit, incompat_names[bit]);
        return qcow2_header_error(error, FERRY_ERROR_UNSUPPORTED, path,
                                  "incompatible_features bit %u is not "
                                  "supported", bit);
    }
    /* The dirty bit only says refcounts may be stale: reading needs none.
     * The corrupt bit says any structure may be wrong; qemu would read
     * such an image, but a migration should not copy it silently. */
    if (hdr->incompatible_features & QCOW2_INCOMPAT_CORRUPT) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "incompatible_features bit %d (%s) is set: repair the "
                                  "image with 'qemu-img check -r all' first", 1,
                                  qcow2_incompat_bit_name(1));
    }
    if (hdr->incompatible_features & QCOW2_INCOMPAT_COMPRESSION) {
        if (hdr->compression_type == QCOW2_COMPRESSION_ZLIB) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "incompatible_features bit %d (%s) is set but "
                                      "compression_type is 0 (zlib)", 3,
                                      qcow2_incompat_bit_name(3));
        }
    } else if (hdr->compression_type != QCOW2_COMPRESSION_ZLIB) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "compression_type %u is set without incompatible_features "
                                  "bit %d (%s)", hdr->compression_type, 3,
                                  qcow2_incompat_bit_name(3));
    }
    if (hdr->compression_type > QCOW2_COMPRESSION_ZSTD) {
        return qcow2_header_error(error, FERRY_ERROR_UNSUPPORTED, path,
                                  "compression_type %u is not supported (0 zlib, 1 zstd)",
                                  hdr->compression_type);
    }
    if ((hdr->incompatible_features & QCOW2_INCOMPAT_EXTENDED_L2) &&
        hdr->cluster_bits < QCOW2_MIN_CLUSTER_BITS_EXTENDED_L2) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "cluster_bits %u is below %d, the minimum for extended "
                                  "L2 entries", hdr->cluster_bits,
                                  QCOW2_MIN_CLUSTER_BITS_EXTENDED_L2);
    }
    if ((hdr->incompatible_features & QCOW2_INCOMPAT_DATA_FILE) &&
        !hdr->data_file) {
        return qcow2_header_error(error, FERRY_ERROR_UNSUPPORTED, path,
                                  "incompatible_features bit %d (%s) is set but no data "
                                  "file name extension (0x%08x) names the file", 2,
                                  qcow2_incompat_bit_name(2), QCOW2_EXT_DATA_FILE);
    }
    if (!(hdr->incompatible_features & QCOW2_INCOMPAT_DATA_FILE)) {
        /* A name without the bit is not used (qemu ignores it too). */
        g_clear_pointer(&hdr->data_file, g_free);
        if (hdr->autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW) {
            return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                      "autoclear_features bit %d (raw external data) is "
                                      "set without an external data file", 1);
        }
    } else if ((hdr->autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW) &&
               hdr->backing_name) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "raw external data file conflicts with backing file "
                                  "'%s'", hdr->backing_name);
    }

    return TRUE;
}

/* The L1, refcount and snapshot tables: sizes under qemu's limits, and
 * each inside the file. */
static gboolean
qcow2_header_check_tables(const char *path, const Qcow2Header *hdr,
                          guint64 file_size, GError **error)
{
    guint64 cluster_size = G_GUINT64_CONSTANT(1) << hdr->cluster_bits;
    guint64 l2_entries, l1_needed;
    guint shift;

    /* The active L1 table must cover the virtual size ("L1 table is too
     * small" in qemu) and stay under qemu's 32 MiB limit. */
    if ((guint64)hdr->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "l1_size %u is larger than %u entries",
                                  hdr->l1_size, QCOW2_MAX_L1_BYTES / 8);
    }
    l2_entries = cluster_size /
        ((hdr->incompatible_features & QCOW2_INCOMPAT_EXTENDED_L2) ? 16 : 8);
    shift = hdr->cluster_bits + (guint)g_bit_nth_msf((gulong)l2_entries, -1);
    l1_needed = (hdr->size >> shift) +
        ((hdr->size & ((G_GUINT64_CONSTANT(1) << shift) - 1)) != 0);
    if (l1_needed > hdr->l1_size) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "l1_size %u is too small for size %" G_GUINT64_FORMAT
                                  " (%" G_GUINT64_FORMAT " entries needed)",
                                  hdr->l1_size, hdr->size, l1_needed);
    }
    if (!qcow2_check_table(path, "l1_table_offset", hdr->l1_table_offset,
                           (guint64)hdr->l1_size * 8, cluster_size, file_size,
                           error))
        return FALSE;

    /* Refcounts are not needed for reading, but a table qemu would refuse
     * says the image is not what it claims. */
    if ((guint64)hdr->refcount_table_clusters << hdr->cluster_bits >
        QCOW2_MAX_REFTABLE_BYTES) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "refcount_table_clusters %u is larger than %u bytes",
                                  hdr->refcount_table_clusters, QCOW2_MAX_REFTABLE_BYTES);
    }
    if (!qcow2_check_table(path, "refcount_table_offset",
                           hdr->refcount_table_offset,
                           (guint64)hdr->refcount_table_clusters << hdr->cluster_bits,
                           cluster_size, file_size, error))
        return FALSE;

    /* Snapshots are ignored, but their table must be plausible. */
    if (hdr->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        return qcow2_header_error(error, FERRY_ERROR_CORRUPT, path,
                                  "nb_snapshots %u is larger than %u",
                                  hdr->nb_snapshots, QCOW2_MAX_SNAPSHOTS);
    }
    if (!qcow2_check_table(path, "snapshots_offset", hdr->snapshots_offset,
                           (guint64)hdr->nb_snapshots *
                           QCOW2_MIN_SNAPSHOT_ENTRY_BYTES,
                           cluster_size, file_size, error))
        return FALSE;
    return TRUE;
}

static gboolean
qcow2_header_decode_fields(const char *path, const guint8 *buf, gsize len,
                           guint64 file_size, Qcow2Header *hdr, GError **error)
{
    char incompat_names[64][QCOW2_FEATURE_NAME_BYTES + 1];
    guint64 cluster_size, ext_end;

    memset(hdr, 0, sizeof(*hdr));
    memset(incompat_names, 0, sizeof(incompat_names));

    if (!qcow2_header_decode_common(path, buf, len, file_size, hdr, error))
        return FALSE;
    cluster_size = G_GUINT64_CONSTANT(1) << hdr->cluster_bits;
    if (!qcow2_header_decode_version_fields(path, buf, len, file_size,
                                            cluster_size, hdr, error))
        return FALSE;

    if (hdr->crypt_method != 0) {
        return qcow2_header_error(error, FERRY_ERROR_UNSUPPORTED, path,
                                  "crypt_method %u (%s): encrypted qcow2 images are not "
                                  "supported", hdr->crypt_method,
                                  hdr->crypt_method == 1 ? "aes" :
                                  hdr->crypt_method == 2 ? "luks" : "unknown");
    }

    if (!qcow2_header_decode_backing_name(path, buf, len, file_size,
                                          cluster_size, hdr, error))
        return FALSE;

    /* Header extensions: from the end of the header to the backing file
     * name, or to the end of the first cluster. */
    ext_end = hdr->backing_name ? hdr->backing_file_offset : cluster_size;
    ext_end = MIN(ext_end, (guint64)len);
    if (!qcow2_header_read_extensions(path, buf, hdr->header_length,
                                      (gsize)ext_end, hdr, incompat_names,
                                      error))
        return FALSE;

    if (!qcow2_header_check_features(path, hdr, incompat_names, error))
        return FALSE;
    return qcow2_header_check_tables(path, hdr, file_size, error);
}

gboolean
qcow2_header_decode(const char *path, const guint8 *buf, gsize len,
                    guint64 file_size, Qcow2Header *hdr, GError **error)
{
    if (!qcow2_header_decode_fields(path, buf, len, file_size, hdr, error)) {
        /* Nothing half-decoded is handed back. */
        qcow2_header_clear(hdr);
        return FALSE;
    }
    return TRUE;
}

static void
qcow2_priv_free(Qcow2Priv *priv)
{
    if (!priv)
        return;
    qcow2_cluster_fini(priv);
    if (priv->data_fd >= 0)
        close(priv->data_fd);
    g_free(priv->data_path);
    qcow2_header_clear(&priv->hdr);
    g_free(priv);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Qcow2Priv, qcow2_priv_free)

static char *
qcow2_format_detail(const Qcow2Priv *priv)
{
    GString *s = g_string_new(NULL);
    const Qcow2Header *hdr = &priv->hdr;

    g_string_append_printf(s, "compat=%s cluster_size=%" G_GUINT64_FORMAT
                           " compression=%s",
                           hdr->version == 2 ? "0.10" : "1.1",
                           priv->cluster_size,
                           hdr->compression_type == QCOW2_COMPRESSION_ZSTD ?
                           "zstd" : "zlib");
    if (priv->extended_l2)
        g_string_append(s, " extended_l2=on");
    if (hdr->data_file)
        g_string_append_printf(s, " data_file='%s'", hdr->data_file);
    if (hdr->incompatible_features & QCOW2_INCOMPAT_DIRTY)
        g_string_append(s, " dirty=on");
    if (hdr->nb_snapshots)
        g_string_append_printf(s, " snapshots=%u", hdr->nb_snapshots);
    return g_string_free(s, FALSE);
}

static gboolean
qcow2_open(ConvImage *img, GError **error)
{
    g_autoptr(Qcow2Priv) priv = g_new0(Qcow2Priv, 1);
    g_autofree guint8 *buf = NULL;
    guint8 head[QCOW2_V3_MIN_HEADER_LENGTH];
    gsize len;

    priv->data_fd = -1;
    /* Read enough to learn cluster_bits, then the whole first cluster,
     * which holds the header, its extensions and the backing file name. */
    len = (gsize)MIN((guint64)sizeof(head), img->file_size);
    if (!conv_file_pread(img, head, len, 0, "qcow2 header", error))
        return FALSE;
    if (len >= 24) {
        guint32 bits = conv_be32(head + 20);

        if (bits >= QCOW2_MIN_CLUSTER_BITS && bits <= QCOW2_MAX_CLUSTER_BITS)
            len = (gsize)MIN(G_GUINT64_CONSTANT(1) << bits, img->file_size);
    }
    buf = g_malloc(MAX(len, 1));
    if (!conv_file_pread(img, buf, len, 0, "qcow2 header", error))
        return FALSE;
    if (!qcow2_header_decode(img->path, buf, len, img->file_size, &priv->hdr,
                             error))
        return FALSE;

    priv->cluster_bits = priv->hdr.cluster_bits;
    priv->cluster_size = G_GUINT64_CONSTANT(1) << priv->cluster_bits;
    priv->extended_l2 = (priv->hdr.incompatible_features &
                         QCOW2_INCOMPAT_EXTENDED_L2) != 0;

    if (priv->hdr.data_file) {
        struct stat st;

        priv->data_path = conv_image_resolve_relative(img, priv->hdr.data_file);
        /* open() of a FIFO named by a hostile header would block forever. */
        if (stat(priv->data_path, &st) == 0 &&
            !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: external data file: %s: not a regular file or "
                        "block device", img->path, priv->data_path);
            return FALSE;
        }
        priv->data_fd = conv_open_readonly(priv->data_path,
                                           &priv->data_file_size, error);
        if (priv->data_fd < 0) {
            g_prefix_error(error, "%s: external data file: ", img->path);
            return FALSE;
        }
    }
    if (!qcow2_cluster_init(img, priv, error))
        return FALSE;

    img->size = priv->hdr.size;
    img->backing_name = g_strdup(priv->hdr.backing_name);
    img->backing_format = g_strdup(priv->hdr.backing_format);
    img->detail = qcow2_format_detail(priv);
    img->priv = g_steal_pointer(&priv);
    return TRUE;
}

static void
qcow2_close(ConvImage *img)
{
    qcow2_priv_free(img->priv);
    img->priv = NULL;
}

const struct ferry_format qcow2_format = {
    .name = "qcow2",
    .probe = qcow2_probe,
    .open = qcow2_open,
    .block_status = qcow2_block_status,
    .pread = qcow2_pread,
    .close = qcow2_close,
};
