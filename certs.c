/*
 * certs.c - TLS trust anchors from PEM files, and server certificate checks.
 *
 * Certificates: RFC 5280 (X.509), RFC 7468 (PEM). Server identity: RFC 6125;
 * BearSSL's br_x509_minimal matches host names against dNSName entries,
 * and this file adds the iPAddress match for servers given by address.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bocker.h"
#include "certs.h"

/* Maximum length of a trust anchor's subject name, in bytes. */
#define DN_MAX		4096

/* Where distributions put the bundle of their trusted CAs. */
static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* Fedora, RHEL */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/ca-bundle.pem",		/* openSUSE */
	"/etc/ssl/cert.pem",			/* Alpine, the BSDs */
};

/* State while one PEM file is decoded. */
struct loader {
	struct certs *certs;
	br_pem_decoder_context pem;
	br_x509_decoder_context x509;
	int in_cert;		/* inside a CERTIFICATE object */
	unsigned char dn[DN_MAX];
	size_t dn_len;
	int dn_too_long;
};

static void
append_dn(void *ctx, const void *buf, size_t len)
{
	struct loader *l = ctx;

	if (l->dn_len + len > sizeof(l->dn)) {
		l->dn_too_long = 1;
		return;
	}
	memcpy(l->dn + l->dn_len, buf, len);
	l->dn_len += len;
}

static void
push_der(void *ctx, const void *buf, size_t len)
{
	struct loader *l = ctx;

	br_x509_decoder_push(&l->x509, buf, len);
}

/*
 * Turn the certificate just decoded into a trust anchor. The anchor's
 * name and key bytes live in one allocation that starts at dn.data, so
 * certs_free frees one pointer per anchor.
 */
static int
add_anchor(struct loader *l)
{
	struct certs *c = l->certs;
	br_x509_trust_anchor *ta;
	br_x509_pkey *pk;
	unsigned char *block;
	size_t size;

	pk = br_x509_decoder_get_pkey(&l->x509);
	if (pk == NULL || l->dn_too_long)
		return 0;
	if (c->count == c->cap) {
		size = c->cap ? c->cap * 2 : 64;
		ta = realloc(c->anchors, size * sizeof(*ta));
		if (ta == NULL)
			return -1;
		c->anchors = ta;
		c->cap = size;
	}
	size = l->dn_len;
	if (pk->key_type == BR_KEYTYPE_RSA)
		size += pk->key.rsa.nlen + pk->key.rsa.elen;
	else
		size += pk->key.ec.qlen;
	block = malloc(size ? size : 1);
	if (block == NULL)
		return -1;
	ta = &c->anchors[c->count];
	memset(ta, 0, sizeof(*ta));
	memcpy(block, l->dn, l->dn_len);
	ta->dn.data = block;
	ta->dn.len = l->dn_len;
	block += l->dn_len;
	/*
	 * A certificate that is not a CA can still be trusted directly: then
	 * BearSSL accepts exactly that server certificate, which lets a user
	 * pin a registry's self-signed certificate with the CA file option.
	 */
	ta->flags = br_x509_decoder_isCA(&l->x509) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = memcpy(block, pk->key.rsa.n,
					    pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		block += pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = memcpy(block, pk->key.rsa.e,
					    pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = memcpy(block, pk->key.ec.q,
					   pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	c->count++;
	return 0;
}

/* Feed PEM text to the decoder; certificates that fail to decode are
 * skipped, so one bad entry does not lose a whole system bundle. */
static int
push_pem(struct loader *l, const unsigned char *buf, size_t len)
{
	const char *name;
	size_t n;

	while (len > 0) {
		n = br_pem_decoder_push(&l->pem, buf, len);
		buf += n;
		len -= n;
		switch (br_pem_decoder_event(&l->pem)) {
		case BR_PEM_BEGIN_OBJ:
			name = br_pem_decoder_name(&l->pem);
			l->in_cert = strcmp(name, "CERTIFICATE") == 0 ||
				     strcmp(name, "X509 CERTIFICATE") == 0;
			l->dn_len = 0;
			l->dn_too_long = 0;
			br_x509_decoder_init(&l->x509, append_dn, l);
			br_pem_decoder_setdest(&l->pem,
					       l->in_cert ? push_der : NULL, l);
			break;
		case BR_PEM_END_OBJ:
			if (l->in_cert &&
			    br_x509_decoder_last_error(&l->x509) == 0 &&
			    add_anchor(l) < 0)
				return -1;
			l->in_cert = 0;
			break;
		case BR_PEM_ERROR:
			/* Start over: the next BEGIN line resynchronizes. */
			br_pem_decoder_init(&l->pem);
			l->in_cert = 0;
			break;
		}
	}
	return 0;
}

/* Add the certificates of one PEM file; returns how many it contained. */
static int
load_file(struct certs *c, const char *path)
{
	struct loader *l;
	unsigned char buf[4096];
	size_t before = c->count;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		goto fail;
	l->certs = c;
	br_pem_decoder_init(&l->pem);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || push_pem(l, buf, n) < 0)
			goto fail;
	}
	/* A file whose last line lacks its newline still ends the object. */
	if (push_pem(l, (const unsigned char *)"\n", 1) < 0)
		goto fail;
	free(l);
	(void)close(fd);
	return c->count - before;
fail:
	free(l);
	(void)close(fd);
	return -1;
}

/* Certificate files in a c_rehash directory: *.pem, *.crt and the
 * hashed links named like 5ed36f99.0. */
static int
is_cert_name(const char *name)
{
	size_t len = strlen(name);
	size_t i;

	if (len > 4 && (strcmp(name + len - 4, ".pem") == 0 ||
			strcmp(name + len - 4, ".crt") == 0))
		return 1;
	if (len < 10 || name[8] != '.')
		return 0;
	for (i = 0; i < len; i++)
		if (i != 8 && !(i < 8 ? strchr("0123456789abcdef", name[i])
				      : strchr("0123456789", name[i])))
			return 0;
	return 1;
}

/*
 * Add every certificate file of a directory. The hashed names are
 * usually symbolic links to the *.pem files beside them, so a file seen
 * before (same device and inode) is skipped.
 */
static int
load_dir(struct certs *c, const char *dir)
{
	struct { dev_t dev; ino_t ino; } *seen = NULL, *grown;
	size_t nseen = 0, i;
	char path[4096];
	struct dirent *e;
	struct stat st;
	int before = c->count;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!is_cert_name(e->d_name))
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		for (i = 0; i < nseen; i++)
			if (seen[i].dev == st.st_dev &&
			    seen[i].ino == st.st_ino)
				break;
		if (i < nseen)
			continue;
		grown = realloc(seen, (nseen + 1) * sizeof(*seen));
		if (grown == NULL)
			break;
		seen = grown;
		seen[nseen].dev = st.st_dev;
		seen[nseen++].ino = st.st_ino;
		(void)load_file(c, path);
	}
	free(seen);
	(void)closedir(d);
	return c->count - before;
}

/* SSL_CERT_DIR is a colon-separated list, as OpenSSL reads it. */
static int
load_dirs(struct certs *c, const char *list)
{
	char dir[4096];
	const char *p = list;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, ":");
		if (n > 0 && n < sizeof(dir)) {
			memcpy(dir, p, n);
			dir[n] = '\0';
			(void)load_dir(c, dir);
		}
		p += n + (p[n] == ':');
	}
	return c->count > 0 ? (int)c->count : -1;
}

void
certs_free(struct certs *c)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		free(c->anchors[i].dn.data);
	free(c->anchors);
	c->anchors = NULL;
	c->count = c->cap = 0;
}

/*
 * Load the trust anchors, from the first source that is set: ca_file,
 * BOCKER_CA_FILE, SSL_CERT_FILE, SSL_CERT_DIR, then the system bundles
 * and /etc/ssl/certs. A file named by the user must contain at least
 * one certificate. Finding no system anchors is not an error here,
 * because plain http:// needs none. The first https:// request then
 * fails with a message that names the two variables.
 */
int
certs_load(struct certs *c, const char *ca_file, char *error,
	   size_t error_size)
{
	const char *dir;
	size_t i;
	int n;

	memset(c, 0, sizeof(*c));
	if (ca_file == NULL || *ca_file == '\0')
		ca_file = getenv("BOCKER_CA_FILE");
	if (ca_file == NULL || *ca_file == '\0')
		ca_file = getenv("SSL_CERT_FILE");
	dir = getenv("SSL_CERT_DIR");
	if (ca_file != NULL && *ca_file != '\0') {
		(void)snprintf(c->source, sizeof(c->source), "%s", ca_file);
		n = load_file(c, ca_file);
		trace(n, "certs_load(\"%s\")", ca_file);
		if (n > 0)
			return 0;
		if (n == 0)
			errno = ENOENT;
		(void)snprintf(error, error_size, "load CA file '%s': %s",
			       ca_file, n == 0 ? "no certificate found"
					       : strerror(errno));
		certs_free(c);
		return -1;
	}
	if (dir != NULL && *dir != '\0') {
		(void)snprintf(c->source, sizeof(c->source), "%s", dir);
		n = load_dirs(c, dir);
		trace(n, "certs_load(\"%s\")", dir);
		return 0;
	}
	for (i = 0; i < sizeof(system_bundles) / sizeof(*system_bundles);
	     i++) {
		n = load_file(c, system_bundles[i]);
		if (n > 0) {
			(void)snprintf(c->source, sizeof(c->source), "%s",
				       system_bundles[i]);
			trace(n, "certs_load(\"%s\")", c->source);
			return 0;
		}
	}
	(void)snprintf(c->source, sizeof(c->source), "/etc/ssl/certs");
	n = load_dir(c, c->source);
	trace(n, "certs_load(\"%s\")", c->source);
	return 0;
}

/*
 * Read one DER element (X.690) at *p: its tag, and its value at *value
 * of *len bytes. Certificates use only one-byte tags and definite
 * lengths.
 */
static int
der_next(const unsigned char **p, const unsigned char *end, int *tag,
	 const unsigned char **value, size_t *len)
{
	const unsigned char *q = *p;
	size_t n;
	int k;

	if (end - q < 2 || (*q & 0x1f) == 0x1f)
		return -1;
	*tag = *q++;
	n = *q++;
	if (n & 0x80) {
		k = n & 0x7f;
		if (k == 0 || k > 3 || end - q < k)
			return -1;
		for (n = 0; k > 0; k--)
			n = n << 8 | *q++;
	}
	if ((size_t)(end - q) < n)
		return -1;
	*value = q;
	*len = n;
	*p = q + n;
	return 0;
}

/* Whether a GeneralNames value contains iPAddress [7] equal to ip. */
static int
names_have_ip(const unsigned char *p, size_t len, const unsigned char *ip,
	      size_t ip_len)
{
	const unsigned char *end = p + len, *v;
	size_t n;
	int tag;

	if (der_next(&p, end, &tag, &v, &n) < 0 || tag != 0x30)
		return 0;
	p = v;
	end = v + n;
	while (p < end) {
		if (der_next(&p, end, &tag, &v, &n) < 0)
			return 0;
		if (tag == 0x87 && n == ip_len && memcmp(v, ip, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether the certificate's subjectAltName extension (OID 2.5.29.17)
 * lists the address. Walks Certificate, tbsCertificate, then the
 * explicit [3] extensions field (RFC 5280 4.1).
 */
static int
cert_has_ip(const unsigned char *cert, size_t len, const unsigned char *ip,
	    size_t ip_len)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	const unsigned char *p = cert, *end = cert + len, *v, *ext, *ext_end;
	size_t n;
	int tag, i;

	for (i = 0; i < 2; i++) {
		if (der_next(&p, end, &tag, &v, &n) < 0 || tag != 0x30)
			return 0;
		p = v;
		end = v + n;
	}
	while (p < end) {
		if (der_next(&p, end, &tag, &v, &n) < 0)
			return 0;
		if (tag != 0xa3)
			continue;
		if (der_next(&v, v + n, &tag, &ext, &n) < 0 || tag != 0x30)
			return 0;
		for (ext_end = ext + n; ext < ext_end;) {
			if (der_next(&ext, ext_end, &tag, &v, &n) < 0)
				return 0;
			p = v;
			end = v + n;
			if (der_next(&p, end, &tag, &v, &n) < 0 || tag != 0x06)
				return 0;
			if (n != sizeof(san_oid) || memcmp(v, san_oid, n) != 0)
				continue;
			/* Skip the optional critical BOOLEAN. */
			if (der_next(&p, end, &tag, &v, &n) == 0 &&
			    tag == 0x01 && der_next(&p, end, &tag, &v, &n) < 0)
				return 0;
			return tag == 0x04 && names_have_ip(v, n, ip, ip_len);
		}
		return 0;
	}
	return 0;
}

/* The wrapper's methods: each one hands the call on to br_x509_minimal,
 * keeping a copy of the first certificate, which is the server's. */
static br_x509_minimal_context *
inner(const br_x509_class **ctx)
{
	return &((struct certs_x509 *)(void *)ctx)->minimal;
}

static void
x509_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct certs_x509 *x = (struct certs_x509 *)(void *)ctx;

	x->cert_index = 0;
	x->ee_len = 0;
	x->ee_too_large = 0;
	x->minimal.vtable->start_chain(&inner(ctx)->vtable, server_name);
}

static void
x509_start_cert(const br_x509_class **ctx, uint32_t length)
{
	inner(ctx)->vtable->start_cert(&inner(ctx)->vtable, length);
}

static void
x509_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct certs_x509 *x = (struct certs_x509 *)(void *)ctx;

	if (x->cert_index == 0 && x->ip_len > 0) {
		if (x->ee_len + len > sizeof(x->ee)) {
			x->ee_too_large = 1;
		} else {
			memcpy(x->ee + x->ee_len, buf, len);
			x->ee_len += len;
		}
	}
	inner(ctx)->vtable->append(&inner(ctx)->vtable, buf, len);
}

static void
x509_end_cert(const br_x509_class **ctx)
{
	struct certs_x509 *x = (struct certs_x509 *)(void *)ctx;

	x->cert_index++;
	inner(ctx)->vtable->end_cert(&inner(ctx)->vtable);
}

static unsigned
x509_end_chain(const br_x509_class **ctx)
{
	struct certs_x509 *x = (struct certs_x509 *)(void *)ctx;
	unsigned err;

	err = inner(ctx)->vtable->end_chain(&inner(ctx)->vtable);
	if (err != 0 || x->ip_len == 0)
		return err;
	if (x->ee_too_large ||
	    !cert_has_ip(x->ee, x->ee_len, x->ip, x->ip_len))
		return BR_ERR_X509_BAD_SERVER_NAME;
	return 0;
}

static const br_x509_pkey *
x509_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct certs_x509 *x;

	x = (const struct certs_x509 *)(const void *)ctx;
	return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
}

static const br_x509_class certs_x509_vtable = {
	sizeof(struct certs_x509),
	x509_start_chain,
	x509_start_cert,
	x509_append,
	x509_end_cert,
	x509_end_chain,
	x509_get_pkey,
};

/*
 * Finish setting up x, whose minimal member br_ssl_client_init_full has
 * initialized: set the validation time to now and, when host is an IP
 * literal, the address to match. Returns 1 for an IP literal, whose
 * name the caller must then not pass to br_ssl_client_reset (no SNI for
 * addresses, RFC 6066 section 3, and no dNSName match), else 0.
 */
int
certs_x509_wrap(struct certs_x509 *x, const char *host)
{
	time_t now = time(NULL);

	x->vtable = &certs_x509_vtable;
	/* BearSSL counts days from 1 January of year 0; 1970 is day 719528. */
	br_x509_minimal_set_time(&x->minimal, (uint32_t)(now / 86400) + 719528,
				 (uint32_t)(now % 86400));
	x->ip_len = 0;
	if (inet_pton(AF_INET, host, x->ip) == 1)
		x->ip_len = 4;
	else if (inet_pton(AF_INET6, host, x->ip) == 1)
		x->ip_len = 16;
	return x->ip_len > 0;
}

/* Words for a BearSSL error code (bearssl_ssl.h, bearssl_x509.h). */
const char *
certs_error_text(int err)
{
	static const struct {
		int err;
		const char *text;
	} texts[] = {
		{ BR_ERR_BAD_VERSION, "unsupported TLS version" },
		{ BR_ERR_BAD_MAC, "bad record MAC" },
		{ BR_ERR_NO_RANDOM, "no random source" },
		{ BR_ERR_UNEXPECTED, "unexpected TLS message" },
		{ BR_ERR_BAD_CIPHER_SUITE, "no common cipher suite" },
		{ BR_ERR_BAD_HANDSHAKE, "bad TLS handshake message" },
		{ BR_ERR_BAD_SIGNATURE, "bad server key exchange signature" },
		{ BR_ERR_WRONG_KEY_USAGE, "certificate key usage mismatch" },
		{ BR_ERR_IO, "connection closed during TLS" },
		{ BR_ERR_X509_EMPTY_CHAIN, "server sent no certificate" },
		{ BR_ERR_X509_BAD_TIME, "certificate has invalid dates" },
		{ BR_ERR_X509_UNSUPPORTED, "certificate uses unsupported "
					   "algorithm" },
		{ BR_ERR_X509_LIMIT_EXCEEDED, "certificate chain too long" },
		{ BR_ERR_X509_WRONG_KEY_TYPE, "certificate key type mismatch" },
		{ BR_ERR_X509_BAD_SIGNATURE, "certificate signature invalid" },
		{ BR_ERR_X509_TIME_UNKNOWN, "current time unknown" },
		{ BR_ERR_X509_EXPIRED, "certificate expired or not yet valid" },
		{ BR_ERR_X509_DN_MISMATCH, "certificate issuer name mismatch" },
		{ BR_ERR_X509_BAD_SERVER_NAME, "server name mismatch" },
		{ BR_ERR_X509_CRITICAL_EXTENSION, "certificate has unknown "
						  "critical extension" },
		{ BR_ERR_X509_NOT_CA, "issuer is not a CA" },
		{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "certificate key usage "
						   "forbids TLS" },
		{ BR_ERR_X509_WEAK_PUBLIC_KEY, "certificate key too weak" },
		{ BR_ERR_X509_NOT_TRUSTED, "certificate not trusted" },
	};
	size_t i;

	if (err >= BR_ERR_SEND_FATAL_ALERT)
		return "TLS alert sent to server";
	if (err >= BR_ERR_RECV_FATAL_ALERT)
		return "TLS alert received from server";
	for (i = 0; i < sizeof(texts) / sizeof(*texts); i++)
		if (texts[i].err == err)
			return texts[i].text;
	if (err >= BR_ERR_X509_OK)
		return "malformed certificate";
	return "TLS protocol error";
}
