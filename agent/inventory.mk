# SPDX-License-Identifier: LGPL-2.1-or-later
# inventory (libvirt) and `ferry list`
agent_libagent_a_SOURCES += \
	agent/inventory-priv.h \
	agent/libvirt-priv.h \
	agent/inventory.c \
	agent/inventory-xml.c \
	agent/inventory-disk.c \
	agent/inventory-json.c \
	agent/cmd-list.c
