# SPDX-License-Identifier: LGPL-2.1-or-later
# The VMDK reader: extents and the open/read vtable, the text descriptor,
# sparse extents (grain directory, grain tables, streamOptimized grains).
conv_libconv_a_SOURCES += \
	conv/vmdk-priv.h \
	conv/vmdk.c \
	conv/vmdk-descriptor.c \
	conv/vmdk-sparse.c
