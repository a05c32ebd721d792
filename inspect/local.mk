# SPDX-License-Identifier: LGPL-2.1-or-later
# inspect/: what a guest's disks say about it (partition tables, filesystems,
# os-release, fstab, drivers) and each target's readiness rules.
noinst_LIBRARIES += inspect/libinspect.a

# The installed rules (data/local.mk installs data/rules/*.conf there);
# $FERRY_RULES_DIR or an explicit directory overrides it.
inspect_libinspect_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) \
	$(EXT2FS_CFLAGS) -DG_LOG_DOMAIN=\"ferry-inspect\" \
	-DFERRY_RULES_DIR=\"$(pkgdatadir)/rules\"
inspect_libinspect_a_SOURCES = \
	inspect/inspect.h \
	inspect/inspect.c \
	inspect/rules.h \
	inspect/rules-priv.h \
	inspect/rules.c \
	inspect/rules-load.c

INSPECT_LIBS = inspect/libinspect.a $(CONV_LIBS) $(JSON_LIBS) $(EXT2FS_LIBS)

# The readers: partition tables, superblocks, FAT, ext2/3/4 through
# libext2fs (whose error_message() comes from libcom_err), the OS files.
inspect_libinspect_a_SOURCES += \
	inspect/inspect-priv.h \
	inspect/partitions.c \
	inspect/superblocks.c \
	inspect/fat.c \
	inspect/ext.c \
	inspect/os-files.c \
	inspect/os.c
INSPECT_LIBS += $(COM_ERR_LIBS)
