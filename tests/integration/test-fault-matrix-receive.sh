#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The fault matrix for the ssh:// transport through `ferry receive` on the
# target (this build's ferry, named by --remote-ferry; the cells and their
# rules: fault-matrix-functions.sh).  A cut resumes from the offset the
# receiver verified, a whole MiB.
. "$top_srcdir/tests/integration/fault-matrix-functions.sh"
matrix_args="--transport ferry-receive --remote-ferry $FERRY"
matrix_setup

cell none ok
cell cut ok resume cut:10485760
cell reset ok resume reset:10485760
cell stall ok stall:3@4194304
cell trickle ok --on all trickle:16777216
cell cut-each 'ok|9' --on all cut:6291456
cell refused 9 --on all refuse
pool_full_cell
matrix_print "ssh:// (ferry receive)" 8
