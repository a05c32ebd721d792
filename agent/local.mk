# SPDX-License-Identifier: LGPL-2.1-or-later
# agent/: the ferry CLI, the ferry-agent daemon, inventory (libvirt).
noinst_LIBRARIES += agent/libagent.a

AGENT_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(LIBVIRT_CFLAGS) \
	$(LIBXML_CFLAGS) $(LIBDEFLATE_CFLAGS) -DG_LOG_DOMAIN=\"ferry\"

# cmd-list.c reads ferry.conf for `ferry list --inspect`.
agent_libagent_a_CFLAGS = $(AGENT_CFLAGS) -DFERRY_SYSCONFDIR=\"$(sysconfdir)\"
agent_libagent_a_SOURCES = \
	agent/agent.h \
	agent/errors.c \
	agent/print-json.c

include agent/inventory.mk
include agent/image-cmds.mk

# jobs.c names the export job kind, which needs providers/ (and so
# transport/): every program with libagent.a links them.
AGENT_LIBS = agent/libagent.a $(PROVIDERS_LIBS) $(INSPECT_LIBS) $(CONV_LIBS) $(JSON_LIBS) \
	$(LIBVIRT_LIBS) $(LIBXML_LIBS) $(GLIB_LIBS)

bin_PROGRAMS += ferry ferry-agent

ferry_SOURCES = agent/ferry.c
ferry_CFLAGS = $(AGENT_CFLAGS)
ferry_LDADD = $(AGENT_LIBS)

ferry_agent_SOURCES = agent/ferry-agent.c
ferry_agent_CFLAGS = $(AGENT_CFLAGS)
ferry_agent_LDADD = $(AGENT_LIBS)

include agent/service.mk
include agent/export.mk
