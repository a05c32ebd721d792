# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry export`: a domain's disks to a file:// or ssh:// pool (providers/).
agent_libagent_a_SOURCES += \
	agent/export.c \
	agent/export-job.c \
	agent/readiness.c \
	agent/cmd-export.c \
	agent/receive-priv.h \
	agent/receive.c \
	agent/cmd-receive.c

