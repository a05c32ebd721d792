# SPDX-License-Identifier: LGPL-2.1-or-later
# The VMDK writer: options, plan and header (vmdk-write.c), the
# monolithicSparse layout and the streamOptimized stream.
conv_libconv_a_SOURCES += \
	conv/vmdk-write-priv.h \
	conv/vmdk-write.c \
	conv/vmdk-write-sparse.c \
	conv/vmdk-write-stream.c
