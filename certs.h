/*
 * certs.h - trust anchors for TLS, and the server certificate checks that
 * BearSSL's X.509 engine leaves to its caller.
 */
#ifndef CERTS_H
#define CERTS_H

#include <stddef.h>

#include <bearssl.h>

/* Bytes kept of the server's certificate for the iPAddress check. */
#define CERTS_EE_MAX	16384

/* The trust anchors of one client, decoded from PEM files at run time. */
struct certs {
	br_x509_trust_anchor *anchors;
	size_t count;
	size_t cap;
	char source[256];	/* the file or directory they came from */
};

/*
 * An X.509 engine that runs br_x509_minimal and, for a server given by
 * IP address, then checks the address against the certificate's
 * iPAddress subject alternative names (RFC 5280 4.2.1.6), which
 * br_x509_minimal does not read. vtable must stay the first member.
 */
struct certs_x509 {
	const br_x509_class *vtable;
	br_x509_minimal_context minimal;
	unsigned char ip[16];
	size_t ip_len;		/* 0: a host name, checked by minimal */
	unsigned char ee[CERTS_EE_MAX];
	size_t ee_len;
	int cert_index;		/* certificates seen in this chain */
	int ee_too_large;
};

int certs_load(struct certs *c, const char *ca_file, char *error,
	       size_t error_size);
void certs_free(struct certs *c);
int certs_x509_wrap(struct certs_x509 *x, const char *host);
const char *certs_error_text(int err);

#endif
