/*
 * manifest.c - choose the image for a platform from an image index.
 *
 * An OCI image index (image-spec image-index.md) or a Docker manifest
 * list contains one descriptor per image, each with a "platform" object:
 * "os", "architecture" as Go's GOARCH names it, and an optional
 * "variant" (v6, v7, v8 for ARM). This file only parses: the index comes
 * from pull.c, already checked against its digest.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "manifest.h"
#include "reference.h"

/* The host's platform as OCI names it, from uname(2)'s machine. */
void
manifest_host_platform(struct platform *p)
{
	static const struct {
		const char *machine;
		const char *arch;
		const char *variant;
	} names[] = {
		{ "x86_64", "amd64", "" }, { "aarch64", "arm64", "v8" },
		{ "armv7l", "arm", "v7" }, { "armv6l", "arm", "v6" },
		{ "i686", "386", "" }, { "i386", "386", "" },
		{ "ppc64le", "ppc64le", "" }, { "s390x", "s390x", "" },
		{ "riscv64", "riscv64", "" },
	};
	struct utsname u;
	size_t i;

	memset(p, 0, sizeof(*p));
	snprintf(p->os, sizeof(p->os), "linux");
	(void)uname(&u);
	snprintf(p->arch, sizeof(p->arch), "%.63s", u.machine);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(u.machine, names[i].machine)) {
			snprintf(p->arch, sizeof(p->arch), "%s",
				 names[i].arch);
			snprintf(p->variant, sizeof(p->variant), "%s",
				 names[i].variant);
		}
}

/* Parse "os/arch[/variant]", as docker's --platform takes it. */
int
manifest_parse_platform(struct platform *p, const char *text)
{
	char copy[3 * 64];
	char *arch;
	char *variant;

	memset(p, 0, sizeof(*p));
	if (strlen(text) >= sizeof(copy))
		goto invalid;
	snprintf(copy, sizeof(copy), "%s", text);
	arch = strchr(copy, '/');
	if (arch == NULL)
		goto invalid;
	*arch++ = '\0';
	variant = strchr(arch, '/');
	if (variant != NULL)
		*variant++ = '\0';
	if (copy[0] == '\0' || arch[0] == '\0' || strlen(copy) >= 64 ||
	    strlen(arch) >= 64 || (variant != NULL && (variant[0] == '\0' ||
	    strlen(variant) >= 64 || strchr(variant, '/') != NULL)))
		goto invalid;
	snprintf(p->os, sizeof(p->os), "%.63s", copy);
	snprintf(p->arch, sizeof(p->arch), "%.63s", arch);
	snprintf(p->variant, sizeof(p->variant), "%.63s",
		 variant ? variant : "");
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}

/* Does a descriptor's platform object match p? */
static int
platform_matches(const struct json *platform, const struct platform *p)
{
	const char *v;

	v = json_string(json_get(platform, "os"), NULL);
	if (v == NULL || strcmp(v, p->os))
		return 0;
	v = json_string(json_get(platform, "architecture"), NULL);
	if (v == NULL || strcmp(v, p->arch))
		return 0;
	v = json_string(json_get(platform, "variant"), NULL);
	/* An image without a variant fits every variant, and arm64 images
	 * often leave out "v8". */
	return v == NULL || p->variant[0] == '\0' || !strcmp(v, p->variant) ||
	       (!strcmp(p->arch, "arm64") && !strcmp(p->variant, "v8"));
}

/*
 * Copy into digest (72 bytes) the digest of the first manifest of the
 * index made for platform p. Fails with ENOENT when there is none.
 */
int
manifest_select(const struct json *index, const struct platform *p,
		char *digest)
{
	const struct json *manifests;
	const struct json *m;
	const char *d;
	size_t i;

	manifests = json_get(index, "manifests");
	for (i = 0; (m = json_index(manifests, i)) != NULL; i++) {
		d = json_string(json_get(m, "digest"), NULL);
		if (d == NULL || !reference_valid_digest(d) ||
		    !platform_matches(json_get(m, "platform"), p))
			continue;
		snprintf(digest, 7 + 65, "%s", d);
		return 0;
	}
	errno = ENOENT;
	return -1;
}
