// SPDX-License-Identifier: GPL-2.0-only
/*
 * Log lines and JSON lines. Matches are built by hand (rules.c is not
 * needed): what the formatter sees is exactly what the test says.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "format.h"
#include "macros.h"

#define PYTHON "/usr/bin/python3"

/* monotonic 5 s + offset = 2026-11-21T21:20:54.123456789Z */
#define TS_NS	  5000000000ULL
#define OFFSET_NS 1795296049123456789LL
#define TIME_STR  "2026-11-21T21:20:54.123456789Z"

static struct pn_tag tags[] = { { "app", "nginx" }, { "team", "web" } };
static struct pn_subject subject = {
	.tags = tags,
	.n_tags = 2,
	.tags_text = "app=nginx,team=web",
};
static struct pn_tag one_tag[] = { { "team", "web" } };
static struct pn_subject subject_team = {
	.tags = one_tag,
	.n_tags = 1,
	.tags_text = "team=web",
};
static struct pn_watch watch = { .name = "nginx-conf", .pod = "web-1" };
static const struct pn_format_ctx ctx = {
	.node = "node-a",
	.container = "containerd://4f2a",
	.container_id = "4f2a",
	.pod_uid = "0b9e",
	.pod = "web-7", /* the runtime's: shown only where the watch names no pod */
	.namespace = "prod",
	.container_name = "nginx",
	.image = "nginx:1.25",
	.image_id = "sha256:ab",
	.realtime_offset_ns = OFFSET_NS,
};

static struct pn_event make_event(void)
{
	struct pn_event ev = {
		.ts_ns = TS_NS,
		.cgroup_id = 12345,
		.watch_cgroup_id = 12000,
		.pid = 4243,
		.tgid = 4242,
		.uid = 101,
		.gid = 102,
		.ops = PN_MODIFY,
		.comm = "nginx",
		.path = "/etc/nginx/nginx.conf",
	};
	return ev;
}

/*
 * An event on `file` inside the directory part of `full` (file "": on the
 * watched path itself). The directory of "/x" is "/", as pn_path_split says.
 */
static struct pn_match make_match(uint32_t event, const char *full, const char *file)
{
	size_t dir_len = file[0] ? strlen(full) - strlen(file) - 1 : strlen(full);
	struct pn_match m = {
		.event = event,
		.watch = &watch,
		.subject = &subject_team,
		.full_path = full,
		.dir_len = dir_len ? dir_len : 1,
		.file = file,
	};
	return m;
}

static void line_is(const char *fmt, const struct pn_event *ev, const struct pn_match *m,
		    const char *want)
{
	char buf[1024];
	size_t n = pn_format_line(buf, sizeof(buf), fmt, ev, m, &ctx);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_default_line(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/etc/nginx/nginx.conf", "nginx.conf");

	(void)state;
	line_is(PN_DEFAULT_LOG_FORMAT, &ev, &m,
		"MODIFY file '/etc/nginx/nginx.conf' (web-1:node-a) team=web\n");
	/* a watch without log_format passes NULL */
	line_is(NULL, &ev, &m, "MODIFY file '/etc/nginx/nginx.conf' (web-1:node-a) team=web\n");
}

/* A name chosen by a watched process cannot forge a log line. */
static void test_line_escapes_process_text(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m =
		make_match(PN_CREATE, "/tmp/a\\b/x\nMODIFY file 'y'", "x\nMODIFY file 'y'");

	(void)state;
	memcpy(ev.comm, "ev\til\x7f", sizeof("ev\til\x7f"));
	line_is("{event} {path}{sep}{file} {comm}", &ev, &m,
		"CREATE /tmp/a\\\\b/x\\x0aMODIFY file 'y' ev\\x09il\\x7f\n");
}

static void test_every_specifier(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_CLOSE_WRITE, "/etc/nginx/nginx.conf", "nginx.conf");

	(void)state;
	m.subject = &subject;
	line_is("{event}|{ftype}|{path}|{file}|{sep}|{pod}|{node}|{tags}|{pid}|{comm}|{uid}|"
		"{cgroup}|{container}|{container_id}|{pod_uid}|{namespace}|{container_name}|"
		"{image}|{image_id}|{time}",
		&ev, &m,
		"CLOSE_WRITE|file|/etc/nginx|nginx.conf|/|web-1|node-a|app=nginx,team=web|4242|"
		"nginx|101|12345|containerd://4f2a|4f2a|0b9e|prod|nginx|nginx:1.25|sha256:ab|" TIME_STR
		"\n");

	/* a watch that names no pod (no controller): the runtime's pod */
	struct pn_watch nameless = { .name = "w" };

	m.watch = &nameless;
	line_is("{pod}", &ev, &m, "web-7\n");
	m.watch = &watch;

	m.is_dir = true;
	line_is("{ftype}", &ev, &m, "directory\n");

	ev.cgroup_id = UINT64_MAX;
	ev.uid = 0;
	ev.tgid = UINT32_MAX;
	line_is("{cgroup} {uid} {pid}", &ev, &m, "18446744073709551615 0 4294967295\n");
}

static void test_event_names(void **state)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ PN_ACCESS, "ACCESS" },
		{ PN_ATTRIB, "ATTRIB" },
		{ PN_CLOSE_WRITE, "CLOSE_WRITE" },
		{ PN_CLOSE_NOWRITE, "CLOSE_NOWRITE" },
		{ PN_CREATE, "CREATE" },
		{ PN_DELETE, "DELETE" },
		{ PN_DELETE_SELF, "DELETE_SELF" },
		{ PN_MODIFY, "MODIFY" },
		{ PN_MOVE_SELF, "MOVE_SELF" },
		{ PN_MOVED_FROM, "MOVED_FROM" },
		{ PN_MOVED_TO, "MOVED_TO" },
		{ PN_OPEN, "OPEN" },
		{ 0, "UNKNOWN" },
		{ PN_CLOSE, "UNKNOWN" }, /* not one bit */
		{ PN_ISDIR, "UNKNOWN" }, /* never an event by itself */
	};
	struct pn_event ev = make_event();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct pn_match m = make_match(names[i].bit, "/a/b", "b");
		char want[64];

		snprintf(want, sizeof(want), "%s\n", names[i].name);
		line_is("{event}", &ev, &m, want);
	}
}

static void test_sep(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m;

	(void)state;
	/* an entry of the root directory: "/" + "x" is "/x" */
	m = make_match(PN_CREATE, "/x", "x");
	assert_int_equal(m.dir_len, 1);
	line_is("{path}|{sep}|{file}|{path}{sep}{file}", &ev, &m, "/||x|/x\n");

	/* the watched path itself: no file, no separator */
	m = make_match(PN_DELETE_SELF, "/etc/nginx", "");
	line_is("'{path}{sep}{file}'", &ev, &m, "'/etc/nginx'\n");
	m = make_match(PN_ATTRIB, "/", "");
	line_is("'{path}{sep}{file}'", &ev, &m, "'/'\n");

	/* nested entry */
	m = make_match(PN_CREATE, "/var/log/app/x.log", "x.log");
	line_is("{path}{sep}{file}", &ev, &m, "/var/log/app/x.log\n");
}

static void test_missing_parts(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_OPEN, "/a/b", "b");
	char buf[256];

	(void)state;
	m.watch = NULL;
	m.subject = NULL;
	pn_format_line(buf, sizeof(buf), PN_DEFAULT_LOG_FORMAT, &ev, &m, NULL);
	assert_string_equal(buf, "OPEN file '/a/b' (:) \n");
	pn_format_line(
		buf, sizeof(buf),
		"[{container}][{node}][{tags}][{pod}][{container_id}][{pod_uid}][{namespace}]"
		"[{container_name}][{image}][{image_id}]",
		&ev, &m, NULL);
	assert_string_equal(buf, "[][][][][][][][][][]\n");
}

static void test_comm_full_width(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_OPEN, "/a/b", "b");

	(void)state;
	memset(ev.comm, 'c', sizeof(ev.comm)); /* 16 bytes, no NUL: the kernel's TASK_COMM_LEN */
	line_is("<{comm}>", &ev, &m, "<cccccccccccccccc>\n");
}

static void test_verbatim_text(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/a/b", "b");

	(void)state;
	line_is("{foo} {event} {{event}} {} { path} {Event} {", &ev, &m,
		"{foo} MODIFY {MODIFY} {} { path} {Event} {\n");
	line_is("", &ev, &m, "\n");
	line_is("no specifiers at all", &ev, &m, "no specifiers at all\n");
	line_is("{\"e\":\"{event}\",\"p\":\"{path}{sep}{file}\"}", &ev, &m,
		"{\"e\":\"MODIFY\",\"p\":\"/a/b\"}\n");
	line_is("{event}{event}{file}", &ev, &m, "MODIFYMODIFYb\n");
	line_is("{event", &ev, &m, "{event\n");
}

static void test_validate(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(pn_format_validate(PN_DEFAULT_LOG_FORMAT, err, sizeof(err)), 0);
	assert_int_equal(pn_format_validate(NULL, err, sizeof(err)), 0);
	assert_int_equal(pn_format_validate("", err, sizeof(err)), 0);
	assert_int_equal(pn_format_validate("{event} {ftype} {path} {file} {sep} {pod} {node} "
					    "{tags} {pid} {comm} {uid} {cgroup} {container} "
					    "{container_id} {pod_uid} {namespace} {container_name} "
					    "{image} {image_id} {labels} {annotations} {time} "
					    "{response}",
					    err, sizeof(err)),
			 0);
	/* braces that do not hold an identifier are text */
	assert_int_equal(pn_format_validate("{} { path} {\"a\":1} {", err, sizeof(err)), 0);

	err[0] = '\0';
	assert_int_equal(pn_format_validate("{event} {user} {path}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"{user}\""));
	assert_non_null(strstr(err, "{container}")); /* lists the valid ones */

	assert_int_equal(pn_format_validate("{Event}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"{Event}\""));
	assert_int_equal(pn_format_validate("{{pids}}", NULL, 0), -EINVAL);
}

static void test_line_truncation(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/etc/nginx/nginx.conf", "nginx.conf");
	const char *want = "MODIFY file '/etc/nginx/nginx.conf' (web-1:node-a) team=web\n";
	size_t full = strlen(want);
	char buf[128];

	(void)state;
	assert_int_equal(pn_format_line(NULL, 0, NULL, &ev, &m, &ctx), full);

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(pn_format_line(buf, 10, NULL, &ev, &m, &ctx), full);
	assert_string_equal(buf, "MODIFY fi");
	assert_int_equal(buf[10], 'X'); /* nothing written past len */

	/* exactly the length: the '\n' gives way to the NUL, as with snprintf */
	assert_int_equal(pn_format_line(buf, full, NULL, &ev, &m, &ctx), full);
	assert_int_equal(strlen(buf), full - 1);
	assert_int_equal(pn_format_line(buf, full + 1, NULL, &ev, &m, &ctx), full);
	assert_string_equal(buf, want);

	/* a cut inside a number and inside {time} */
	assert_int_equal(pn_format_line(buf, 3, "{pid}", &ev, &m, &ctx), 5);
	assert_string_equal(buf, "42");
	assert_int_equal(pn_format_line(buf, 5, "{time}", &ev, &m, &ctx), 31);
	assert_string_equal(buf, "2026");
}

static void time_is(int64_t ns, const char *want)
{
	char buf[64];

	assert_int_equal(pn_format_time(buf, sizeof(buf), ns), 30);
	assert_string_equal(buf, want);
}

static void test_time(void **state)
{
	char small[8];

	(void)state;
	time_is(0, "1970-01-01T00:00:00.000000000Z");
	time_is(1, "1970-01-01T00:00:00.000000001Z");
	time_is(-1, "1969-12-31T23:59:59.999999999Z");
	time_is(1795296054123456789LL, "2026-11-21T21:20:54.123456789Z");
	/* same second again (cached), then the next one */
	time_is(1795296054999999999LL, "2026-11-21T21:20:54.999999999Z");
	time_is(1795296055000000000LL, "2026-11-21T21:20:55.000000000Z");
	time_is(1709251199500000000LL, "2024-02-29T23:59:59.500000000Z");
	time_is(INT64_MAX, "2262-04-11T23:47:16.854775807Z");
	time_is(INT64_MIN, "1677-09-21T00:12:43.145224192Z");

	assert_int_equal(pn_format_time(small, sizeof(small), 0), 30);
	assert_string_equal(small, "1970-01");
	assert_int_equal(pn_format_time(NULL, 0, 0), 30);
}

/*
 * A timestamp from a record is whatever 64 bits arrived: past the range of
 * int64 nanoseconds (with the offset added) it is the last instant int64
 * holds, never a signed overflow (UBSan) or a date wrapped into the past.
 */
static void test_time_of_any_timestamp(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/etc/nginx/nginx.conf", "nginx.conf");
	struct pn_format_ctx c = ctx;
	char buf[1024];

	(void)state;
	assert_int_equal(pn_format_realtime_ns(UINT64_MAX, OFFSET_NS), INT64_MAX);
	assert_int_equal(pn_format_realtime_ns((uint64_t)INT64_MAX, OFFSET_NS), INT64_MAX);
	assert_int_equal(pn_format_realtime_ns((uint64_t)INT64_MAX - OFFSET_NS, OFFSET_NS),
			 INT64_MAX);
	assert_int_equal(pn_format_realtime_ns(1ULL << 62, OFFSET_NS),
			 (int64_t)(1ULL << 62) + OFFSET_NS);
	/* exactly in range only because the offset is negative */
	assert_int_equal(pn_format_realtime_ns(UINT64_MAX, INT64_MIN), INT64_MAX);
	assert_int_equal(pn_format_realtime_ns(0, INT64_MIN), INT64_MIN);
	assert_int_equal(pn_format_realtime_ns(TS_NS, -OFFSET_NS), (int64_t)TS_NS - OFFSET_NS);

	ev.ts_ns = UINT64_MAX;
	line_is("{time}", &ev, &m, "2262-04-11T23:47:16.854775807Z\n");
	assert_true(pn_format_json(buf, sizeof(buf), &ev, &m, &c) < sizeof(buf));
	assert_memory_equal(buf, "{\"time\":\"2262-04-11T23:47:16.854775807Z\",", 41);
	ev.ts_ns = (uint64_t)INT64_MAX;
	line_is("{time}", &ev, &m, "2262-04-11T23:47:16.854775807Z\n");
	ev.ts_ns = 1ULL << 62;
	line_is("{time}", &ev, &m, "2173-01-10T21:14:27.550844693Z\n");
}

/* ------------------------------------------------------------------ JSON */

static size_t json(char *buf, size_t len, const struct pn_event *ev, const struct pn_match *m)
{
	size_t n = pn_format_json(buf, len, ev, m, &ctx);

	assert_true(n < len);
	assert_int_equal(strlen(buf), n);
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', n - 1)); /* one line per object */
	return n;
}

/*
 * Runs the line through Debian's Python json module (strict: it refuses raw
 * control characters and malformed UTF-8), then the given assertion on `o`.
 */
static void python_check(const char *line, const char *assertion)
{
	char cmd[2048];
	FILE *p;
	int status;

	if (access(PYTHON, X_OK) != 0)
		skip();
	snprintf(cmd, sizeof(cmd),
		 PYTHON " -c 'import json,sys; o=json.loads(sys.stdin.buffer.read()); %s'",
		 assertion ? assertion : "pass");
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(line, p);
	status = pclose(p);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("python rejected %s (assertion: %s)", line, assertion);
}

static void test_json_file_event(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/etc/nginx/nginx.conf", "nginx.conf");
	char buf[2048];

	(void)state;
	m.subject = &subject;
	json(buf, sizeof(buf), &ev, &m);
	assert_string_equal(
		buf,
		"{\"time\":\"" TIME_STR "\",\"event\":\"MODIFY\",\"events\":[\"MODIFY\"],"
		"\"ftype\":\"file\",\"is_dir\":false,\"path\":\"/etc/nginx/nginx.conf\","
		"\"dir\":\"/etc/nginx\",\"file\":\"nginx.conf\",\"pid\":4243,\"tgid\":4242,"
		"\"uid\":101,\"gid\":102,\"comm\":\"nginx\",\"cgroup_id\":12345,"
		"\"container\":\"containerd://4f2a\",\"container_id\":\"4f2a\",\"pod_uid\":\"0b9e\","
		"\"namespace\":\"prod\",\"container_name\":\"nginx\",\"image\":\"nginx:1.25\","
		"\"image_id\":\"sha256:ab\",\"watch\":\"nginx-conf\","
		"\"pod\":\"web-1\","
		"\"node\":\"node-a\",\"tags\":{\"app\":\"nginx\",\"team\":\"web\"},"
		"\"truncated\":false}\n");
	python_check(buf, "assert o[\"tags\"]==dict(app=\"nginx\",team=\"web\"), o; "
			  "assert list(o[\"tags\"])==[\"app\",\"team\"]; "
			  "assert o[\"time\"]==\"" TIME_STR "\"");
}

static void test_json_dir_event(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_CREATE, "/data/new", "new");
	char buf[2048];

	(void)state;
	m.is_dir = true;
	m.subject = NULL;
	m.watch = NULL;
	ev.flags = PN_REC_ISDIR | PN_REC_TRUNCATED;
	json(buf, sizeof(buf), &ev, &m);
	assert_string_equal(
		buf,
		"{\"time\":\"" TIME_STR "\",\"event\":\"CREATE\",\"events\":[\"CREATE\","
		"\"ISDIR\"],\"ftype\":\"directory\",\"is_dir\":true,\"path\":\"/data/new\","
		"\"dir\":\"/data\",\"file\":\"new\",\"pid\":4243,\"tgid\":4242,\"uid\":101,"
		"\"gid\":102,\"comm\":\"nginx\",\"cgroup_id\":12345,"
		"\"container\":\"containerd://4f2a\",\"container_id\":\"4f2a\",\"pod_uid\":\"0b9e\","
		"\"namespace\":\"prod\",\"container_name\":\"nginx\",\"image\":\"nginx:1.25\","
		"\"image_id\":\"sha256:ab\",\"watch\":\"\",\"pod\":\"web-7\","
		"\"node\":\"node-a\",\"tags\":{},\"truncated\":true}\n");
	python_check(buf, "assert o[\"events\"]==[\"CREATE\",\"ISDIR\"] and o[\"is_dir\"] is True "
			  "and o[\"truncated\"] is True and o[\"tags\"]=={}");

	/* the watched directory itself */
	m = make_match(PN_DELETE_SELF, "/data", "");
	m.is_dir = true;
	ev.flags = 0;
	json(buf, sizeof(buf), &ev, &m);
	assert_non_null(strstr(buf, "\"event\":\"DELETE_SELF\",\"events\":[\"DELETE_SELF\","
				    "\"ISDIR\"],\"ftype\":\"directory\",\"is_dir\":true,"
				    "\"path\":\"/data\",\"dir\":\"/data\",\"file\":\"\","));
	assert_non_null(strstr(buf, "\"truncated\":false}\n"));
	python_check(buf, NULL);
}

/* multilink appears only when the kernel set it, after named_path, before the process */
static void test_json_multilink(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/data/f", "f");
	char buf[2048];

	(void)state;
	ev.flags = PN_REC_MULTILINK;
	json(buf, sizeof(buf), &ev, &m);
	assert_non_null(strstr(buf, "\"file\":\"f\",\"multilink\":true,\"pid\":4243,"));
	python_check(buf, "assert o[\"multilink\"] is True and o[\"truncated\"] is False");

	ev.flags = 0;
	json(buf, sizeof(buf), &ev, &m);
	assert_null(strstr(buf, "multilink"));
	python_check(buf, "assert \"multilink\" not in o");
}

static void test_json_identity_incomplete(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/data/f", "f");
	struct pn_format_ctx c = ctx;
	char buf[2048];

	(void)state;
	c.identity_incomplete = true;
	assert_true(pn_format_json(buf, sizeof(buf), &ev, &m, &c) < sizeof(buf));
	assert_non_null(strstr(buf, "\"file\":\"f\",\"identity_incomplete\":true,\"pid\":4243,"));
	python_check(buf, "assert o[\"identity_incomplete\"] is True");
	json(buf, sizeof(buf), &ev, &m);
	assert_null(strstr(buf, "identity_incomplete"));
}

static void test_labels_and_annotations(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/data/f", "f");
	char *lk[] = { "app", "tier" }, *lv[] = { "web", "a\nb" };
	char *ak[] = { "team.example.com/owner" }, *av[] = { "ops" };
	struct pn_labels labels = { lk, lv, 2 }, annots = { ak, av, 1 }, none = { 0 };
	struct pn_format_ctx c = ctx;
	char buf[2048];

	(void)state;
	c.labels = &labels;
	c.annotations = &annots;
	/* a specifier is a request of its own: no flag needed; values escaped as names are */
	assert_true(pn_format_line(buf, sizeof(buf), "{labels}|{annotations}", &ev, &m, &c) <
		    sizeof(buf));
	assert_string_equal(buf, "app=web,tier=a\\x0ab|team.example.com/owner=ops\n");
	/* JSON carries them only when asked (--event-labels, --event-annotations) */
	assert_true(pn_format_json(buf, sizeof(buf), &ev, &m, &c) < sizeof(buf));
	assert_null(strstr(buf, "labels"));
	assert_null(strstr(buf, "annotations"));
	c.with_labels = c.with_annotations = true;
	assert_true(pn_format_json(buf, sizeof(buf), &ev, &m, &c) < sizeof(buf));
	assert_non_null(strstr(buf, "\"image_id\":\"sha256:ab\",\"labels\":{\"app\":\"web\","
				    "\"tier\":\"a\\nb\"},\"annotations\":{\"team.example.com/"
				    "owner\":\"ops\"},\"watch\":"));
	python_check(buf, "assert o[\"labels\"]=={\"app\":\"web\",\"tier\":\"a\\nb\"}, o; "
			  "assert o[\"annotations\"]=={\"team.example.com/owner\":\"ops\"}");
	/* asked, and none known (the runtime has not named the container): empty objects */
	c.labels = &none;
	c.annotations = NULL;
	assert_true(pn_format_json(buf, sizeof(buf), &ev, &m, &c) < sizeof(buf));
	assert_non_null(strstr(buf, "\"labels\":{},\"annotations\":{},"));
	assert_true(pn_format_line(buf, sizeof(buf), "[{labels}][{annotations}]", &ev, &m, &c) <
		    sizeof(buf));
	assert_string_equal(buf, "[][]\n");
}

static void test_json_move(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match from = make_match(PN_MOVED_FROM, "/srv/a.txt", "a.txt");
	struct pn_match to = make_match(PN_MOVED_TO, "/srv/b.txt", "b.txt");
	struct pn_match self = make_match(PN_MOVE_SELF, "/srv", "");
	char buf[2048];

	(void)state;
	ev.old_path = "/srv/a.txt";
	ev.path = "/srv/b.txt";
	ev.cookie = 77;
	from.cookie = to.cookie = 77;
	from.other_path = "/srv/b.txt";
	to.other_path = "/srv/a.txt";
	ev.flags = PN_REC_OLD_TRUNCATED;

	json(buf, sizeof(buf), &ev, &from);
	assert_string_equal(
		buf,
		"{\"time\":\"" TIME_STR "\",\"event\":\"MOVED_FROM\","
		"\"events\":[\"MOVED_FROM\"],"
		"\"ftype\":\"file\",\"is_dir\":false,\"path\":\"/srv/a.txt\",\"dir\":\"/srv\","
		"\"file\":\"a.txt\",\"new_path\":\"/srv/b.txt\",\"cookie\":77,\"pid\":4243,"
		"\"tgid\":4242,\"uid\":101,\"gid\":102,\"comm\":\"nginx\",\"cgroup_id\":12345,"
		"\"container\":\"containerd://4f2a\",\"container_id\":\"4f2a\",\"pod_uid\":\"0b9e\","
		"\"namespace\":\"prod\",\"container_name\":\"nginx\",\"image\":\"nginx:1.25\","
		"\"image_id\":\"sha256:ab\",\"watch\":\"nginx-conf\","
		"\"pod\":\"web-1\","
		"\"node\":\"node-a\",\"tags\":{\"team\":\"web\"},\"truncated\":true}\n");
	python_check(buf, "assert o[\"new_path\"]==\"/srv/b.txt\" and o[\"cookie\"]==77 and "
			  "\"old_path\" not in o");

	json(buf, sizeof(buf), &ev, &to);
	assert_string_equal(
		buf,
		"{\"time\":\"" TIME_STR "\",\"event\":\"MOVED_TO\",\"events\":[\"MOVED_TO\"],"
		"\"ftype\":\"file\",\"is_dir\":false,\"path\":\"/srv/b.txt\",\"dir\":\"/srv\","
		"\"file\":\"b.txt\",\"old_path\":\"/srv/a.txt\",\"cookie\":77,\"pid\":4243,"
		"\"tgid\":4242,\"uid\":101,\"gid\":102,\"comm\":\"nginx\",\"cgroup_id\":12345,"
		"\"container\":\"containerd://4f2a\",\"container_id\":\"4f2a\",\"pod_uid\":\"0b9e\","
		"\"namespace\":\"prod\",\"container_name\":\"nginx\",\"image\":\"nginx:1.25\","
		"\"image_id\":\"sha256:ab\",\"watch\":\"nginx-conf\","
		"\"pod\":\"web-1\","
		"\"node\":\"node-a\",\"tags\":{\"team\":\"web\"},\"truncated\":true}\n");
	python_check(buf, "assert o[\"old_path\"]==\"/srv/a.txt\" and o[\"cookie\"]==77 and "
			  "\"new_path\" not in o");

	/* the watched path itself moved: inotify's cookie is 0 here */
	self.is_dir = true;
	self.other_path = "/srv2";
	ev.flags = 0;
	json(buf, sizeof(buf), &ev, &self);
	assert_non_null(strstr(buf, "\"path\":\"/srv\",\"dir\":\"/srv\",\"file\":\"\","
				    "\"new_path\":\"/srv2\",\"cookie\":0,\"pid\":4243,"));
	python_check(buf, NULL);

	/* a move without the other name still says it is part of a pair */
	to.other_path = NULL;
	json(buf, sizeof(buf), &ev, &to);
	assert_non_null(strstr(buf, "\"file\":\"b.txt\",\"cookie\":77,\"pid\""));

	/* other events never carry move fields */
	to = make_match(PN_CLOSE_WRITE, "/srv/b.txt", "b.txt");
	to.other_path = "/srv/a.txt";
	to.cookie = 5;
	json(buf, sizeof(buf), &ev, &to);
	assert_null(strstr(buf, "old_path"));
	assert_null(strstr(buf, "cookie"));
}

/* vfs opens through a symlink carry the name used; other events never do */
static void test_json_named_path(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_OPEN, "/etc/real.conf", "real.conf");
	char buf[2048];

	(void)state;
	ev.named_path = "/etc/link \"x\".conf";
	json(buf, sizeof(buf), &ev, &m);
	assert_non_null(strstr(buf, "\"file\":\"real.conf\","
				    "\"named_path\":\"/etc/link \\\"x\\\".conf\",\"pid\":4243,"));
	python_check(buf, "assert o[\"named_path\"]==\"/etc/link \\\"x\\\".conf\" and "
			  "o[\"path\"]==\"/etc/real.conf\"");

	ev.named_path = NULL;
	json(buf, sizeof(buf), &ev, &m);
	assert_null(strstr(buf, "named_path"));
}

static void test_json_escaping(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m;
	char buf[4096];
	static struct pn_tag odd_tags[] = { { "k\"ey", "v\\al\n" } };
	static struct pn_subject odd = { .tags = odd_tags, .n_tags = 1, .tags_text = "" };
	static struct pn_watch odd_watch = { .name = "w\tx", .pod = "p\x1f" };

	(void)state;
	m = make_match(PN_CREATE,
		       "/d/q\"b\\s\nn\x01"
		       "c\x7f",
		       "q\"b\\s\nn\x01"
		       "c\x7f");
	m.subject = &odd;
	m.watch = &odd_watch;
	memcpy(ev.comm, "sh\b\f\r\x1b", 7);
	json(buf, sizeof(buf), &ev, &m);
	assert_non_null(strstr(buf, "\"path\":\"/d/q\\\"b\\\\s\\nn\\u0001c\x7f\","
				    "\"dir\":\"/d\",\"file\":\"q\\\"b\\\\s\\nn\\u0001c\x7f\","));
	assert_non_null(strstr(buf, "\"comm\":\"sh\\b\\f\\r\\u001b\""));
	assert_non_null(strstr(buf, "\"watch\":\"w\\tx\",\"pod\":\"p\\u001f\""));
	assert_non_null(strstr(buf, "\"tags\":{\"k\\\"ey\":\"v\\\\al\\n\"}"));
	python_check(buf, "assert o[\"file\"]==\"q\\\"b\\\\s\\nn\\x01c\\x7f\", o[\"file\"]; "
			  "assert o[\"tags\"]=={\"k\\\"ey\":\"v\\\\al\\n\"}; "
			  "assert o[\"comm\"]==\"sh\\b\\f\\r\\x1b\"");

	/*
	 * UTF-8: well-formed sequences stay as they are; every byte that is not
	 * part of one becomes \u00XX: a lone 0xff, a cut 3-byte sequence, an
	 * overlong '/', a surrogate, a code point above U+10FFFF, a stray
	 * continuation byte.
	 */
	m = make_match(PN_CREATE,
		       "/u/caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80|\xff|\xe2\x82|\xc0\xaf|"
		       "\xed\xa0\x80|\xf4\x90\x80\x80|\x80",
		       "caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80|\xff|\xe2\x82|\xc0\xaf|"
		       "\xed\xa0\x80|\xf4\x90\x80\x80|\x80");
	json(buf, sizeof(buf), &ev, &m);
	assert_non_null(strstr(buf, "\"file\":\"caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80|"
				    "\\u00ff|\\u00e2\\u0082|\\u00c0\\u00af|"
				    "\\u00ed\\u00a0\\u0080|\\u00f4\\u0090\\u0080\\u0080|"
				    "\\u0080\""));
	python_check(buf, "assert o[\"file\"]==\"caf\\u00e9-\\u20ac-\\U0001F600|\\xff|\\xe2\\x82|"
			  "\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\x80\", "
			  "ascii(o[\"file\"])");

	/* a sequence cut by the end of the string (comm is cut at 16 bytes by the kernel) */
	memcpy(ev.comm, "abcdefghijklmn\xc3\xa9", 16);
	json(buf, sizeof(buf), &ev, &m);
	assert_non_null(strstr(buf, "\"comm\":\"abcdefghijklmn\xc3\xa9\""));
	memcpy(ev.comm, "abcdefghijklmno\xc3", 16);
	json(buf, sizeof(buf), &ev, &m);
	assert_non_null(strstr(buf, "\"comm\":\"abcdefghijklmno\\u00c3\""));
	python_check(buf, NULL);
}

static void test_json_truncation(void **state)
{
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MODIFY, "/d/a\"b", "a\"b");
	char full[2048], cut[64];
	size_t n;

	(void)state;
	n = json(full, sizeof(full), &ev, &m);
	assert_int_equal(pn_format_json(NULL, 0, &ev, &m, &ctx), n);
	memset(cut, 'X', sizeof(cut));
	assert_int_equal(pn_format_json(cut, 40, &ev, &m, &ctx), n);
	assert_int_equal(strlen(cut), 39);
	assert_memory_equal(cut, full, 39);
	assert_int_equal(cut[40], 'X');
	assert_int_equal(pn_format_json(full, n, &ev, &m, &ctx), n);
	assert_int_equal(strlen(full), n - 1);
}

/* ------------------------------------------------------------------ escaping, byte by byte */

/*
 * The escapers as they were written first, a byte at a time: the formatter
 * scans a word at a time and must produce exactly this.
 */
static size_t ref_utf8(const unsigned char *s, size_t n);

static size_t ref_text(char *out, const unsigned char *s, size_t n)
{
	size_t o = 0, k;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			o += (size_t)sprintf(out + o, "\\\\");
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			o += (size_t)sprintf(out + o, "\\x%02x", s[i]);
		} else if (s[i] < 0x80) {
			out[o++] = (char)s[i];
		} else if (!(k = ref_utf8(s + i, n - i))) {
			o += (size_t)sprintf(out + o, "\\x%02x", s[i]); /* not UTF-8 */
		} else if (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
			o += (size_t)sprintf(out + o, "\\x%02x\\x%02x", s[i], s[i + 1]); /* C1 */
			i++;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k - 1;
		}
	}
	out[o] = '\0';
	return o;
}

/* Well-formed UTF-8 by decoding, not by format.c's table of lead and second bytes. */
static size_t ref_utf8(const unsigned char *s, size_t n)
{
	uint32_t cp, min;
	size_t len;

	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, cp = s[0] & 0x1fu, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0fu, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, cp = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t ref_json(char *out, const unsigned char *s, size_t n)
{
	size_t o = 0, k;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c >= 0x80 && (k = ref_utf8(s + i, n - i))) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k - 1;
			continue;
		}
		switch (c) {
		case '"':
			o += (size_t)sprintf(out + o, "\\\"");
			break;
		case '\\':
			o += (size_t)sprintf(out + o, "\\\\");
			break;
		case '\n':
			o += (size_t)sprintf(out + o, "\\n");
			break;
		case '\t':
			o += (size_t)sprintf(out + o, "\\t");
			break;
		case '\r':
			o += (size_t)sprintf(out + o, "\\r");
			break;
		case '\b':
			o += (size_t)sprintf(out + o, "\\b");
			break;
		case '\f':
			o += (size_t)sprintf(out + o, "\\f");
			break;
		default:
			if (c < 0x20 || c >= 0x80)
				o += (size_t)sprintf(out + o, "\\u%04x", c);
			else
				out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

/* ------------------------------------------------------------------ lines of any length */

/*
 * The worst the kernel can hand over: paths of PN_PATH_MAX - 1 bytes, every
 * name byte a control byte (6 bytes each in JSON, 4 in a log line), and a
 * long tag. No line length fits a fixed buffer; the formatter must say the
 * exact length needed so that the caller can format the whole line again.
 */
#define LONG_NAME 255

static char *control_path(char lead)
{
	char *p = malloc(PN_PATH_MAX);

	assert_non_null(p);
	for (size_t i = 0; i < PN_PATH_MAX - 1; i++)
		p[i] = (i % (LONG_NAME + 1) == 0) ? '/' : (char)(lead + i % 30);
	p[PN_PATH_MAX - 1] = '\0';
	return p;
}

/* Formats whole into a heap buffer of the length the first (cut) call asked for. */
static char *format_whole(bool is_json, const struct pn_event *ev, const struct pn_match *m,
			  size_t *len)
{
	char stack[PN_LINE_STACK], *buf;
	size_t n = is_json ? pn_format_json(stack, sizeof(stack), ev, m, &ctx) :
			     pn_format_line(stack, sizeof(stack), NULL, ev, m, &ctx);

	assert_true(n >= sizeof(stack)); /* the old fixed buffer would have lost it */
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(is_json ? pn_format_json(buf, n + 1, ev, m, &ctx) :
				   pn_format_line(buf, n + 1, NULL, ev, m, &ctx),
			 n);
	assert_int_equal(strlen(buf), n);
	*len = n;
	return buf;
}

static void test_long_lines(void **state)
{
	char *full = control_path(1), *old = control_path(2), *named = control_path(3);
	char *file = strrchr(full, '/') + 1;
	size_t dir_len = (size_t)(file - 1 - full);
	char *want = malloc(32 * PN_PATH_MAX + 8192), *got, key[LONG_NAME + 1], val[1025];
	struct pn_tag long_tag[1] = { { key, val } };
	struct pn_subject subj = { .tags = long_tag, .n_tags = 1 };
	struct pn_event ev = make_event();
	struct pn_match m = make_match(PN_MOVED_TO, full, file);
	size_t n, o = 0;
	char tags_text[sizeof(key) + sizeof(val) + 1];

	(void)state;
	assert_non_null(want);
	memset(key, '\x1f', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	memset(val, '"', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	snprintf(tags_text, sizeof(tags_text), "%s=%s", key, val);
	subj.tags_text = tags_text;
	m.subject = &subj;
	m.other_path = old;
	m.cookie = 77;
	ev.path = full;
	ev.old_path = old;
	ev.named_path = named;

	/* JSON: the reference escaper for every string, the fixed text as the tests above */
	o += (size_t)sprintf(want + o, "{\"time\":\"" TIME_STR "\",\"event\":\"MOVED_TO\","
				       "\"events\":[\"MOVED_TO\"],\"ftype\":\"file\","
				       "\"is_dir\":false,\"path\":\"");
	o += ref_json(want + o, (const unsigned char *)full, strlen(full));
	o += (size_t)sprintf(want + o, "\",\"dir\":\"");
	o += ref_json(want + o, (const unsigned char *)full, dir_len);
	o += (size_t)sprintf(want + o, "\",\"file\":\"");
	o += ref_json(want + o, (const unsigned char *)file, strlen(file));
	o += (size_t)sprintf(want + o, "\",\"old_path\":\"");
	o += ref_json(want + o, (const unsigned char *)old, strlen(old));
	o += (size_t)sprintf(want + o, "\",\"cookie\":77,\"named_path\":\"");
	o += ref_json(want + o, (const unsigned char *)named, strlen(named));
	o += (size_t)sprintf(
		want + o,
		"\",\"pid\":4243,\"tgid\":4242,\"uid\":101,\"gid\":102,"
		"\"comm\":\"nginx\",\"cgroup_id\":12345,"
		"\"container\":\"containerd://4f2a\",\"container_id\":\"4f2a\",\"pod_uid\":\"0b9e\","
		"\"namespace\":\"prod\",\"container_name\":\"nginx\",\"image\":\"nginx:1.25\","
		"\"image_id\":\"sha256:ab\",\"watch\":\"nginx-conf\","
		"\"pod\":\"web-1\",\"node\":\"node-a\",\"tags\":{\"");
	o += ref_json(want + o, (const unsigned char *)key, strlen(key));
	o += (size_t)sprintf(want + o, "\":\"");
	o += ref_json(want + o, (const unsigned char *)val, strlen(val));
	o += (size_t)sprintf(want + o, "\"},\"truncated\":false}\n");
	got = format_whole(true, &ev, &m, &n);
	assert_int_equal(n, o);
	assert_memory_equal(got, want, n);
	free(got);

	/* the default log line: {path}{sep}{file}, {pod}:{node} and the tags, escaped alike */
	o = (size_t)sprintf(want, "MOVED_TO file '");
	o += ref_text(want + o, (const unsigned char *)full, dir_len);
	want[o++] = '/';
	o += ref_text(want + o, (const unsigned char *)file, strlen(file));
	o += (size_t)sprintf(want + o, "' (web-1:node-a) ");
	o += ref_text(want + o, (const unsigned char *)tags_text, strlen(tags_text));
	want[o++] = '\n';
	got = format_whole(false, &ev, &m, &n);
	assert_int_equal(n, o);
	assert_memory_equal(got, want, n);
	free(got);

	free(want);
	free(full);
	free(old);
	free(named);
}

#define MAX_IN	 128
#define MAX_LINE 4096

static void fail_on(const char *what, const unsigned char *s, size_t n, const char *want,
		    const char *got)
{
	char hex[3 * MAX_IN + 1] = "";

	for (size_t i = 0; i < n && i < MAX_IN; i++)
		sprintf(hex + 3 * i, "%02x ", s[i]);
	fail_msg("%s of %zu bytes [%s]:\nwant %s\ngot  %s", what, n, hex, want, got);
}

/*
 * A match whose {path} (and JSON "dir") is s[0..n) and whose file is "". The
 * log line reads exactly n bytes from a buffer of exactly n bytes, so ASan
 * sees a read past the end; JSON's "path" runs to a NUL, so it gets one more.
 */
static struct pn_match bytes_match(const char *buf, size_t n)
{
	struct pn_match m = {
		.event = PN_CREATE,
		.watch = &watch,
		.subject = &subject_team,
		.full_path = buf,
		.dir_len = n,
		.file = "",
	};
	return m;
}

static void check_text(const unsigned char *s, size_t n)
{
	struct pn_event ev = make_event();
	char *in = malloc(n ? n : 1);
	char want[4 * MAX_IN + 8] = "<", got[MAX_LINE];
	size_t len, got_len;
	struct pn_match m;

	assert_true(n <= MAX_IN);
	assert_non_null(in);
	memcpy(in, s, n);
	m = bytes_match(in, n);
	len = 1 + ref_text(want + 1, s, n);
	len += (size_t)sprintf(want + len, ">\n");
	got_len = pn_format_line(got, sizeof(got), "<{path}>", &ev, &m, &ctx);
	free(in);
	if (got_len != len || memcmp(got, want, len + 1) != 0)
		fail_on("log line", s, n, want, got);
}

/* A JSON line around "path":"","dir":"","file":"", split there. */
static const char *json_head, *json_tail;
static size_t json_head_len;

static void json_frame(void)
{
	static char line[MAX_LINE];
	static const char mid[] = "\"path\":\"\",\"dir\":\"\",\"file\":\"\"";
	struct pn_event ev = make_event();
	struct pn_match m = bytes_match("", 0);
	char *at;

	if (json_head)
		return;
	pn_format_json(line, sizeof(line), &ev, &m, &ctx);
	at = strstr(line, mid);
	assert_non_null(at);
	json_head = line;
	json_head_len = (size_t)(at - line);
	json_tail = at + sizeof(mid) - 1;
}

static void check_json(const unsigned char *s, size_t n)
{
	struct pn_event ev = make_event();
	char *in = malloc(n + 1);
	char want[MAX_LINE], got[MAX_LINE];
	size_t len, got_len;
	struct pn_match m;

	assert_true(n <= MAX_IN);
	assert_non_null(in);
	memcpy(in, s, n);
	in[n] = '\0';
	m = bytes_match(in, n);
	json_frame();
	memcpy(want, json_head, json_head_len);
	len = json_head_len;
	len += (size_t)sprintf(want + len, "\"path\":\"");
	len += ref_json(want + len, s, strlen(in));
	len += (size_t)sprintf(want + len, "\",\"dir\":\"");
	len += ref_json(want + len, s, n);
	len += (size_t)sprintf(want + len, "\",\"file\":\"\"%s", json_tail);
	got_len = pn_format_json(got, sizeof(got), &ev, &m, &ctx);
	free(in);
	if (got_len != len || memcmp(got, want, len + 1) != 0)
		fail_on("JSON line", s, n, want, got);
}

static void check_both(const unsigned char *s, size_t n)
{
	check_text(s, n);
	check_json(s, n);
}

/*
 * What goes into a name at every position: bytes either escaper treats
 * specially, their plain neighbours (an off-by-one in a word-wide test shows
 * there), UTF-8 whole, cut and malformed.
 */
static const struct {
	const char *s;
	size_t n;
} inserts[] = {
#define INS(lit)                                                                                   \
	{                                                                                          \
		lit, sizeof(lit) - 1                                                               \
	}
	INS("\x00"),
	INS("\x01"),
	INS("\b"),
	INS("\t"),
	INS("\n"),
	INS("\f"),
	INS("\r"),
	INS("\x1b"),
	INS("\x1f"),
	INS("\""),
	INS("\\"),
	INS("\x7f"),
	INS("\x80"),
	INS("\xbf"),
	INS("\xc3"),
	INS("\xff"),
	INS(" "),
	INS("!"),
	INS("#"),
	INS("["),
	INS("]"),
	INS("~"),
	INS("\xc3\xa9"),
	INS("\xe2\x82\xac"),
	INS("\xf0\x9f\x98\x80"),
	INS("\xf4\x8f\xbf\xbf"),
	INS("\xe2\x82"),
	INS("\xc0\xaf"),
	INS("\xed\xa0\x80"),
	INS("\xf4\x90\x80\x80"),
#undef INS
};

/* What surrounds it: ordinary name bytes, the plain bytes next to special ones, UTF-8. */
static const char *const fillers[] = {
	"abcdefghijklmnopqrstuvwxyz0123456789/._-",
	" !#$[]^~",
	"\xc3\xa9",
};

static void fill(unsigned char *s, size_t n, const char *filler)
{
	size_t fl = strlen(filler);

	for (size_t i = 0; i < n; i++)
		s[i] = (unsigned char)filler[i % fl];
}

/* Every length 0..40, each insert at every position it fits, alone. */
static void test_escape_every_position(void **state)
{
	unsigned char s[MAX_IN];

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(fillers); f++) {
		for (size_t n = 0; n <= 40; n++) {
			fill(s, n, fillers[f]);
			check_both(s, n);
			for (size_t k = 0; k < ARRAY_SIZE(inserts); k++) {
				for (size_t at = 0; at + inserts[k].n <= n; at++) {
					fill(s, n, fillers[f]);
					memcpy(s + at, inserts[k].s, inserts[k].n);
					check_both(s, n);
				}
			}
		}
	}
}

/* Two of them, so the scan also resumes after an escape in every alignment. */
static void test_escape_pairs(void **state)
{
	static const char pick[] = { '\n', '\\', '"', '\x7f', '\x80', '\xc3' };
	unsigned char s[MAX_IN];

	(void)state;
	for (size_t n = 2; n <= 24; n++) {
		for (size_t i = 0; i < n; i++) {
			for (size_t j = i + 1; j < n; j++) {
				for (size_t a = 0; a < sizeof(pick); a++) {
					for (size_t b = 0; b < sizeof(pick); b++) {
						fill(s, n, fillers[0]);
						s[i] = (unsigned char)pick[a];
						s[j] = (unsigned char)pick[b];
						check_both(s, n);
					}
				}
			}
		}
	}
}

/* Names mostly plain with special and UTF-8 bytes mixed in, from a fixed seed. */
static void test_escape_random(void **state)
{
	static const unsigned char odd[] = {
		0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, '"',  '\\',
		0x7f, 0x80, 0x82, 0x8f, 0x90, 0x9f, 0xa0, 0xa9, 0xbf, 0xc0, 0xc2,
		0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned char s[MAX_IN];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = (size_t)(x % 97);
		for (size_t i = 0; i < n; i++) {
			unsigned int r;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			r = (unsigned int)(x >> 32);
			if (r % 8)
				s[i] = (unsigned char)fillers[0][(r >> 8) % 40];
			else if (r % 32)
				s[i] = odd[(r >> 8) % sizeof(odd)];
			else
				s[i] = (unsigned char)(r >> 8);
		}
		check_both(s, n);
	}
}

/* Every buffer length: a cut lands inside an escape, a plain run and a UTF-8 sequence. */
static void cut_everywhere(bool as_json, const char *name)
{
	struct pn_event ev = make_event();
	size_t n = strlen(name);
	char *in = malloc(n + 1);
	char full[MAX_LINE], buf[MAX_LINE];
	struct pn_match m;
	size_t want;

	assert_non_null(in);
	memcpy(in, name, n + 1);
	m = bytes_match(in, n);
	want = as_json ? pn_format_json(full, sizeof(full), &ev, &m, &ctx) :
			 pn_format_line(full, sizeof(full), "<{path}>", &ev, &m, &ctx);
	assert_true(want + 2 < sizeof(full));
	for (size_t len = 0; len <= want + 1; len++) {
		size_t got, keep = len ? (len - 1 < want ? len - 1 : want) : 0;

		memset(buf, 'X', want + 2);
		got = as_json ? pn_format_json(buf, len, &ev, &m, &ctx) :
				pn_format_line(buf, len, "<{path}>", &ev, &m, &ctx);
		assert_int_equal(got, want);
		if (len) {
			assert_memory_equal(buf, full, keep);
			assert_int_equal(buf[keep], '\0');
		}
		for (size_t i = len; i < want + 2; i++)
			assert_int_equal(buf[i], 'X'); /* nothing written past len */
	}
	free(in);
}

static void test_escape_truncation(void **state)
{
	static const char *const names[] = {
		"/var/lib/containerd/io.containerd.snapshotter",	   /* clean, 45 bytes */
		"/var/lib/app\n/x\\y\"z/caf\xc3\xa9/\xff/\x7f/tail-bytes", /* one of each */
		"/srv/\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\x01\x01\x01\\\\\\\"\"\"",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		cut_everywhere(false, names[i]);
		cut_everywhere(true, names[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_line),
		cmocka_unit_test(test_every_specifier),
		cmocka_unit_test(test_line_escapes_process_text),
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_sep),
		cmocka_unit_test(test_missing_parts),
		cmocka_unit_test(test_comm_full_width),
		cmocka_unit_test(test_verbatim_text),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_line_truncation),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_time_of_any_timestamp),
		cmocka_unit_test(test_json_file_event),
		cmocka_unit_test(test_json_dir_event),
		cmocka_unit_test(test_json_multilink),
		cmocka_unit_test(test_labels_and_annotations),
		cmocka_unit_test(test_json_identity_incomplete),
		cmocka_unit_test(test_json_move),
		cmocka_unit_test(test_json_named_path),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_truncation),
		cmocka_unit_test(test_escape_every_position),
		cmocka_unit_test(test_escape_pairs),
		cmocka_unit_test(test_escape_random),
		cmocka_unit_test(test_escape_truncation),
		cmocka_unit_test(test_long_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
