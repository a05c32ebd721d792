#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Generates configure and Makefile.in from a git checkout.
set -e
srcdir=$(dirname "$0")
cd "$srcdir"
autoreconf -fi
