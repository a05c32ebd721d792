# SPDX-License-Identifier: LGPL-2.1-or-later
# the copy engine, sinks and writers
conv_libconv_a_CFLAGS += $(OPENSSL_CFLAGS)
conv_libconv_a_SOURCES += \
	conv/writer-priv.h \
	conv/engine-priv.h \
	conv/engine.c \
	conv/engine-pipeline.c \
	conv/engine-compress.c \
	conv/sink.c \
	conv/sink-hash.c \
	conv/write-raw.c \
	conv/qcow2-write-priv.h \
	conv/qcow2-write.c \
	conv/qcow2-write-emit.c
