# SPDX-License-Identifier: LGPL-2.1-or-later
# jobs, the D-Bus service (ferry-agent), `ferry serve --stdio` and the job
# verbs (jobs, watch, cancel, resume).
#
# The D-Bus skeletons and proxies are generated from data/org.ferry.Agent1.xml
# at build time: built sources in the build tree, never committed, not
# distributed (nodist), so that distcheck rebuilds them.
FERRY_DBUS_GENERATED = agent/ferry-dbus.c agent/ferry-dbus.h
BUILT_SOURCES += $(FERRY_DBUS_GENERATED)
CLEANFILES += $(FERRY_DBUS_GENERATED)

agent/ferry-dbus.h: $(top_srcdir)/data/org.ferry.Agent1.xml
	$(AM_V_GEN)$(MKDIR_P) agent && \
	$(GDBUS_CODEGEN) --interface-prefix org.ferry.Agent1. --c-namespace Ferry \
		--c-generate-object-manager --c-generate-autocleanup all \
		--generate-c-code agent/ferry-dbus $(top_srcdir)/data/org.ferry.Agent1.xml
agent/ferry-dbus.c: agent/ferry-dbus.h
	@:

nodist_agent_libagent_a_SOURCES = $(FERRY_DBUS_GENERATED)
agent_libagent_a_SOURCES += \
	agent/jobs-priv.h \
	agent/jobs.c \
	agent/state.c \
	agent/state-config.c \
	agent/authz-priv.h \
	agent/authz.c \
	agent/dbus-priv.h \
	agent/dbus-errors.c \
	agent/dbus-client.c \
	agent/stdio-priv.h \
	agent/stdio.c \
	agent/stdio-methods.c \
	agent/cmd-serve.c \
	agent/cmd-jobs.c

# The daemon's own files: the service side of the bus.
ferry_agent_SOURCES += \
	agent/dbus.c \
	agent/dbus-job.c \
	agent/dbus-auth.c
ferry_agent_CPPFLAGS = $(AM_CPPFLAGS) -DFERRY_SYSCONFDIR=\"$(sysconfdir)\"
