# SPDX-License-Identifier: LGPL-2.1-or-later
# data/: the demo host for README's first command; the D-Bus interface,
# bus policy, activation file, systemd unit, polkit actions and example
# configuration of ferry-agent.
EXTRA_DIST += data/demo-host.xml.in data/make-demo-host.sh

# All under $(prefix) (or $(sysconfdir)), so that distcheck's staged
# install works; packages configure --prefix=/usr --sysconfdir=/etc.
dbusinterfacesdir = $(datadir)/dbus-1/interfaces
dist_dbusinterfaces_DATA = data/org.ferry.Agent1.xml
dbussystemdir = $(datadir)/dbus-1/system.d
dist_dbussystem_DATA = data/org.ferry.Agent1.conf
dbusservicedir = $(datadir)/dbus-1/system-services
dbusservice_DATA = data/org.ferry.Agent1.service
polkitactiondir = $(datadir)/polkit-1/actions
dist_polkitaction_DATA = data/org.ferry.Agent1.policy
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = data/ferry-agent.service
ferryconfdir = $(sysconfdir)/ferry
dist_ferryconf_DATA = data/ferry.conf.example

EXTRA_DIST += data/org.ferry.Agent1.service.in data/ferry-agent.service.in
CLEANFILES += data/org.ferry.Agent1.service data/ferry-agent.service

data_edit = sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g'

data/org.ferry.Agent1.service: $(top_srcdir)/data/org.ferry.Agent1.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && $(data_edit) $(top_srcdir)/data/org.ferry.Agent1.service.in >$@
data/ferry-agent.service: $(top_srcdir)/data/ferry-agent.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && $(data_edit) $(top_srcdir)/data/ferry-agent.service.in >$@

# Readiness rules, one file per target (inspect/rules.c reads them from
# $(pkgdatadir)/rules, the FERRY_RULES_DIR of inspect/local.mk).
rulesdir = $(pkgdatadir)/rules
dist_rules_DATA = data/rules/aws.conf data/rules/azure.conf \
	data/rules/cloudstack.conf data/rules/sce.conf
