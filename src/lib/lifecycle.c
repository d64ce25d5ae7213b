// SPDX-License-Identifier: GPL-2.0-only
#include "lifecycle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "jsonstr.h"
#include "out.h"
#include "text.h"

size_t pn_image_normalize(const char *ref, char *out, size_t len)
{
	const char *slash = strchr(ref, '/'), *last = strrchr(ref, '/');
	const char *name = last ? last + 1 : ref;
	bool registry, tagged;

	if (!ref[0] || strncmp(ref, "sha256:", 7) == 0)
		return (size_t)snprintf(out, len, "%s", ref);
	/* docker's rule: a first component with '.' or ':', or localhost, is a registry */
	registry = slash && (memchr(ref, '.', (size_t)(slash - ref)) ||
			     memchr(ref, ':', (size_t)(slash - ref)) ||
			     (slash - ref == 9 && strncmp(ref, "localhost", 9) == 0));
	tagged = strchr(name, ':') || strchr(name, '@');
	return (size_t)snprintf(out, len, "%s%s%s%s", registry ? "" : "docker.io/",
				!registry && !slash ? "library/" : "", ref,
				tagged ? "" : ":latest");
}

static char *dup_or_null(const char *s, bool *ok)
{
	char *d = s ? strdup(s) : NULL;

	*ok &= !s || d;
	return d;
}

int pn_lifecycle_copy(struct pn_lifecycle *dst, const struct pn_lifecycle *src)
{
	bool ok = true;

	*dst = *src;
	dst->image = dup_or_null(src->image, &ok);
	dst->image_spec = dup_or_null(src->image_spec, &ok);
	dst->image_id = dup_or_null(src->image_id, &ok);
	dst->namespace = dup_or_null(src->namespace, &ok);
	dst->pod = dup_or_null(src->pod, &ok);
	dst->container_name = dup_or_null(src->container_name, &ok);
	dst->container_id = dup_or_null(src->container_id, &ok);
	if (ok)
		return 0;
	pn_lifecycle_clear(dst);
	return -ENOMEM;
}

void pn_lifecycle_clear(struct pn_lifecycle *lc)
{
	if (!lc)
		return;
	free((char *)lc->image);
	free((char *)lc->image_spec);
	free((char *)lc->image_id);
	free((char *)lc->namespace);
	free((char *)lc->pod);
	free((char *)lc->container_name);
	free((char *)lc->container_id);
	memset(lc, 0, sizeof(*lc));
}

int pn_lifecycle_output_parse(const char *name, enum pn_lifecycle_output *out)
{
	if (strcmp(name, "kimager") == 0)
		*out = PN_LC_OUTPUT_KIMAGER;
	else if (strcmp(name, "json") == 0)
		*out = PN_LC_OUTPUT_JSON;
	else if (strcmp(name, "none") == 0)
		*out = PN_LC_OUTPUT_NONE;
	else
		return -EINVAL;
	return 0;
}

static const char *const kind_names[] = {
	[PN_LC_CONTAINER_STARTED] = "container_started",
	[PN_LC_CONTAINER_STOPPED] = "container_stopped",
	[PN_LC_IMAGE_ADDED] = "image_added",
	[PN_LC_IMAGE_REMOVED] = "image_removed",
};

static void json_field(struct out *o, const char *key, const char *v)
{
	out_char(o, ',');
	out_char(o, '"');
	out_str(o, key);
	out_lit(o, "\":");
	pn_json_strn(o, v ? v : "", v ? strlen(v) : 0);
}

/* Text others chose, kept to one line (pn_text_escape); NULL prints nothing. */
static void text(struct out *o, const char *s)
{
	if (s)
		pn_text_escape(o, s, strlen(s));
}

size_t pn_lifecycle_format(char *buf, size_t len, enum pn_lifecycle_output output,
			   const struct pn_lifecycle *lc)
{
	struct out o = { buf, len, 0 };
	char t[40];
	size_t tn = pn_format_time(t, sizeof(t), lc->realtime_ns);

	if (output == PN_LC_OUTPUT_KIMAGER) {
		if (lc->kind != PN_LC_IMAGE_ADDED && lc->kind != PN_LC_IMAGE_REMOVED) {
			if (len)
				buf[0] = '\0';
			return 0;
		}
		/* kimager's line: seconds, not nanoseconds */
		out_char(&o, '[');
		out_mem(&o, t, tn > 20 ? 19 : tn);
		out_lit(&o, "Z INFO ] [");
		out_char(&o, lc->kind == PN_LC_IMAGE_ADDED ? '+' : '-');
		out_lit(&o, "|image]  ");
		text(&o, lc->image);
		out_lit(&o, "  [");
		text(&o, lc->namespace);
		out_char(&o, '|');
		text(&o, lc->pod);
		out_lit(&o, "]\n");
	} else {
		out_lit(&o, "{\"time\":\"");
		out_mem(&o, t, tn);
		out_lit(&o, "\",\"lifecycle\":\"");
		out_str(&o, kind_names[lc->kind]);
		out_char(&o, '"');
		json_field(&o, "image", lc->image);
		json_field(&o, "image_spec", lc->image_spec);
		json_field(&o, "image_id", lc->image_id);
		json_field(&o, "namespace", lc->namespace);
		json_field(&o, "pod", lc->pod);
		json_field(&o, "container_name", lc->container_name);
		json_field(&o, "container_id", lc->container_id);
		out_lit(&o, ",\"snapshot\":");
		if (lc->snapshot)
			out_lit(&o, "true");
		else
			out_lit(&o, "false");
		/* like identity_incomplete on events: said only when true */
		if (lc->reconciled)
			out_lit(&o, ",\"reconciled\":true");
		out_lit(&o, "}\n");
	}
	if (len)
		buf[o.pos < len ? o.pos : len - 1] = '\0';
	return o.pos;
}
