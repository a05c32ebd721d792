# SPDX-License-Identifier: LGPL-2.1-or-later
# conv/qcow2: the qcow2 reader (header, cluster mapping, decompression).
conv_libconv_a_SOURCES += \
	conv/qcow2-priv.h \
	conv/qcow2.c \
	conv/qcow2-cluster.c \
	conv/qcow2-compress.c
