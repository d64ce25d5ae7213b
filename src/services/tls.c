// SPDX-License-Identifier: GPL-2.0-only
/*
 * Server credentials from the TLS flags: plaintext without -tls, TLS
 * with a certificate and key, mutual TLS (client certificates required and
 * verified) once a CA is given. Errors name the flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <grpc/grpc_security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "transport.h"

static char *read_file(const char *path, const char *flag, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", flag, path, strerror(errno));
		return NULL;
	}
	if (pn_read_fd(fd, (1 << 20) - 1, &buf, NULL))
		snprintf(err, errlen, "%s %s: cannot read it (or larger than 1 MiB)", flag, path);
	close(fd);
	return buf;
}

grpc_server_credentials *pn_rpc_credentials(const struct pn_rpc_opts *o, char *err, size_t errlen)
{
	grpc_ssl_pem_key_cert_pair pair;
	grpc_server_credentials *creds = NULL;
	char *ca = NULL, *cert = NULL, *key = NULL;

	if (!o->tls)
		return grpc_insecure_server_credentials_create();
	cert = read_file(o->tls_cert_file, "-tlscertfile", err, errlen);
	if (!cert)
		goto out;
	key = read_file(o->tls_key_file, "-tlskeyfile", err, errlen);
	if (!key)
		goto out;
	if (o->tls_ca_file && o->tls_ca_file[0]) {
		ca = read_file(o->tls_ca_file, "-tlscafile", err, errlen);
		if (!ca)
			goto out;
	}
	pair.private_key = key;
	pair.cert_chain = cert;
	creds = grpc_ssl_server_credentials_create_ex(
		ca, &pair, 1,
		ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY :
		     GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
		NULL);
	if (!creds)
		snprintf(err, errlen,
			 "-tlscertfile/-tlskeyfile: gRPC refused the certificate or "
			 "key (PEM expected)");
out:
	free(ca);
	free(cert);
	free(key);
	return creds;
}
