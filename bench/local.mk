# SPDX-License-Identifier: LGPL-2.1-or-later
EXTRA_DIST += bench/README.md bench/sftp.sh bench/list.sh bench/export.sh bench/convert.sh \
	bench/deflate.sh bench/deflate-vs-zlib.c bench/relay.py bench/receive.sh \
	bench/streams.sh bench/ssh-link-functions.sh bench/bench-functions.sh bench/aws.sh bench/azure.sh \
	bench/ssh-libraries.sh bench/ssh-send.c bench/evp-count.c bench/relay-check.sh \
	bench/azure-sdk/package.json bench/azure-sdk/package-lock.json bench/azure-sdk/upload-pages.mjs
