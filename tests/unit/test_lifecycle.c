// SPDX-License-Identifier: GPL-2.0-only
/* kimager's job (src/lib/lifecycle.c): image references made whole, and the two line formats. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lifecycle.h"

static void normalized(const char *ref, const char *want)
{
	char buf[256];

	assert_int_equal(pn_image_normalize(ref, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

static void test_normalize(void **state)
{
	(void)state;
	normalized("nginx", "docker.io/library/nginx:latest");
	normalized("nginx:1.25", "docker.io/library/nginx:1.25");
	normalized("bitnami/redis", "docker.io/bitnami/redis:latest");
	normalized("docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25");
	normalized("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9");
	normalized("localhost/app", "localhost/app:latest");
	normalized("myhost:5000/team/app", "myhost:5000/team/app:latest");
	normalized("nginx@sha256:0123", "docker.io/library/nginx@sha256:0123");
	normalized("sha256:0123", "sha256:0123"); /* an image id is no reference */
	normalized("", "");
}

static const struct pn_lifecycle added = {
	.kind = PN_LC_IMAGE_ADDED,
	.realtime_ns = 1618808068123456789LL, /* 2021-04-19T04:54:28.123456789Z */
	.snapshot = true,
	.image = "docker.io/library/nginx:1.25",
	.image_spec = "nginx:1.25",
	.image_id = "sha256:ab",
	.namespace = "default",
	.pod = "web-1",
	.container_name = "nginx",
	.container_id = "4f2a",
};

static void test_kimager_lines(void **state)
{
	struct pn_lifecycle lc = added;
	char buf[512];
	size_t n;

	(void)state;
	n = pn_lifecycle_format(buf, sizeof(buf), PN_LC_OUTPUT_KIMAGER, &lc);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "[2021-04-19T04:54:28Z INFO ] [+|image]  "
				 "docker.io/library/nginx:1.25  [default|web-1]\n");
	lc.kind = PN_LC_IMAGE_REMOVED;
	pn_lifecycle_format(buf, sizeof(buf), PN_LC_OUTPUT_KIMAGER, &lc);
	assert_string_equal(buf, "[2021-04-19T04:54:28Z INFO ] [-|image]  "
				 "docker.io/library/nginx:1.25  [default|web-1]\n");
	/* kimager logged images only */
	lc.kind = PN_LC_CONTAINER_STARTED;
	assert_int_equal(pn_lifecycle_format(buf, sizeof(buf), PN_LC_OUTPUT_KIMAGER, &lc), 0);
	assert_string_equal(buf, "");
	/* text others chose stays one line */
	lc.kind = PN_LC_IMAGE_ADDED;
	lc.pod = "a\nb";
	pn_lifecycle_format(buf, sizeof(buf), PN_LC_OUTPUT_KIMAGER, &lc);
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

static void test_json_lines(void **state)
{
	struct pn_lifecycle lc = added;
	char buf[512], small[16];
	size_t n;

	(void)state;
	lc.kind = PN_LC_CONTAINER_STOPPED;
	lc.snapshot = false;
	lc.pod = "we\"b";
	n = pn_lifecycle_format(buf, sizeof(buf), PN_LC_OUTPUT_JSON, &lc);
	assert_string_equal(
		buf, "{\"time\":\"2021-04-19T04:54:28.123456789Z\","
		     "\"lifecycle\":\"container_stopped\","
		     "\"image\":\"docker.io/library/nginx:1.25\",\"image_spec\":\"nginx:1.25\","
		     "\"image_id\":\"sha256:ab\",\"namespace\":\"default\",\"pod\":\"we\\\"b\","
		     "\"container_name\":\"nginx\",\"container_id\":\"4f2a\","
		     "\"snapshot\":false}\n");
	/* snprintf's convention: the length needed, a NUL-terminated prefix */
	assert_int_equal(pn_lifecycle_format(small, sizeof(small), PN_LC_OUTPUT_JSON, &lc), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	/* said only when true, as identity_incomplete on events */
	lc.reconciled = true;
	pn_lifecycle_format(buf, sizeof(buf), PN_LC_OUTPUT_JSON, &lc);
	assert_non_null(strstr(buf, "\"snapshot\":false,\"reconciled\":true}\n"));
}

static void test_output_names(void **state)
{
	enum pn_lifecycle_output o = PN_LC_OUTPUT_NONE;

	(void)state;
	assert_int_equal(pn_lifecycle_output_parse("kimager", &o), 0);
	assert_int_equal(o, PN_LC_OUTPUT_KIMAGER);
	assert_int_equal(pn_lifecycle_output_parse("json", &o), 0);
	assert_int_equal(o, PN_LC_OUTPUT_JSON);
	assert_int_equal(pn_lifecycle_output_parse("none", &o), 0);
	assert_int_equal(o, PN_LC_OUTPUT_NONE);
	assert_int_equal(pn_lifecycle_output_parse("text", &o), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_kimager_lines),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_output_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
