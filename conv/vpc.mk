# SPDX-License-Identifier: LGPL-2.1-or-later
# VHD (qemu's "vpc") and VHDX readers, and the VHD writer.
conv_libconv_a_SOURCES += \
	conv/crc32c.h \
	conv/crc32c.c \
	conv/vpc-priv.h \
	conv/vpc.c \
	conv/vpc-read.c \
	conv/vhdx-priv.h \
	conv/vhdx.c \
	conv/vhdx-read.c \
	conv/vpc-write-priv.h \
	conv/vpc-write.c \
	conv/vpc-write-emit.c
