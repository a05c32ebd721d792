# SPDX-License-Identifier: LGPL-2.1-or-later
# conv/: image formats, the copy engine and the sink interface.
noinst_LIBRARIES += conv/libconv.a

conv_libconv_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(ZLIB_CFLAGS) $(ZSTD_CFLAGS) $(LIBDEFLATE_CFLAGS) \
	-DG_LOG_DOMAIN=\"ferry-conv\"
conv_libconv_a_SOURCES = \
	conv/conv.h \
	conv/conv-priv.h \
	conv/error.c \
	conv/extents.c \
	conv/format.c \
	conv/image.c \
	conv/raw.c

# One fragment per area, so that work on one format never touches another's.
include conv/qcow2.mk
include conv/vmdk.mk
include conv/vmdk-write.mk
include conv/vpc.mk
include conv/engine.mk

CONV_LIBS = conv/libconv.a $(GLIB_LIBS) $(ZLIB_LIBS) $(ZSTD_LIBS) $(LIBDEFLATE_LIBS) $(OPENSSL_LIBS)
