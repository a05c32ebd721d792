# SPDX-License-Identifier: LGPL-2.1-or-later
# providers/: export targets picked by URI scheme (file://, ssh://).
noinst_LIBRARIES += providers/libproviders.a

providers_libproviders_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) \
	$(LIBSSH2_CFLAGS) $(OPENSSL_CFLAGS) $(LIBCURL_CFLAGS) $(LIBXML_CFLAGS) \
	$(JSON_CFLAGS) -DG_LOG_DOMAIN=\"ferry-target\"
providers_libproviders_a_SOURCES = \
	providers/providers.h \
	providers/target-priv.h \
	providers/target.c \
	providers/target-sink.c \
	providers/target-file.c \
	providers/target-ssh.c

providers_libproviders_a_SOURCES += \
	providers/aws-priv.h \
	providers/aws-call-priv.h \
	providers/aws-target-priv.h \
	providers/aws-sigv4.c \
	providers/aws-config.c \
	providers/aws-xml.c \
	providers/aws-call.c \
	providers/aws-pool.c \
	providers/aws-s3.c \
	providers/aws-import.c \
	providers/aws-ebs.c \
	providers/aws-ebs-tags.c \
	providers/target-aws.c

providers_libproviders_a_SOURCES += \
	providers/cloudstack-priv.h \
	providers/cloudstack-api.c \
	providers/cloudstack-json.c \
	providers/target-cloudstack.c \
	providers/azure-priv.h \
	providers/azure-sharedkey.c \
	providers/azure-blob.c \
	providers/target-azure.c \
	providers/azure-arm-priv.h \
	providers/azure-token.c \
	providers/azure-json.c \
	providers/azure-arm.c \
	providers/target-azure-disk.c

PROVIDERS_LIBS = providers/libproviders.a $(TRANSPORT_LIBS) $(LIBXML_LIBS) \
	$(JSON_LIBS)
