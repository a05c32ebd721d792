# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry info`, `ferry map`, `ferry convert`
agent_libagent_a_SOURCES += \
	agent/cmd-info.c \
	agent/cmd-map.c \
	agent/cmd-convert.c
