# SPDX-License-Identifier: LGPL-2.1-or-later
# transport/: SSH sessions over libssh2: host keys, auth, exec, SFTP.
noinst_LIBRARIES += transport/libtransport.a

transport_libtransport_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(LIBSSH2_CFLAGS) \
	$(OPENSSL_CFLAGS) $(LIBCURL_CFLAGS) $(LIBDEFLATE_CFLAGS) -DG_LOG_DOMAIN=\"ferry-ssh\"
transport_libtransport_a_SOURCES = \
	transport/transport.h \
	transport/ssh-priv.h \
	transport/ssh-session.c \
	transport/ssh-knownhosts.c \
	transport/ssh-auth.c \
	transport/ssh-exec.c \
	transport/ssh-sftp.c \
	transport/ssh-sftp-streams.c \
	transport/rate-limit.c \
	transport/http.c \
	transport/receive-proto.c \
	transport/ssh-receive.c

TRANSPORT_LIBS = transport/libtransport.a $(CONV_LIBS) $(LIBSSH2_LIBS) \
	$(LIBCURL_LIBS) $(OPENSSL_LIBS) $(GLIB_LIBS)
