# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry info`, `ferry map`, `ferry convert`, `ferry inspect`
agent_libagent_a_SOURCES += \
	agent/cmd-info.c \
	agent/cmd-map.c \
	agent/cmd-convert.c \
	agent/cmd-inspect.c
