/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A struct pn_kernel_sink that records every call instead of writing BPF
 * maps, and EXPECT() to assert exactly which calls were made since the last
 * check, in order. Include after <cmocka.h>.
 */
#ifndef PN_TEST_RECORDING_SINK_H
#define PN_TEST_RECORDING_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "registry.h"

enum call_kind { CALL_WATCH, CALL_UNWATCH, CALL_LEVELS };

struct call {
	enum call_kind kind;
	uint64_t id;
	uint32_t ops;
	uint32_t levels[8];
	unsigned n_levels;
};

static struct {
	struct call calls[64];
	size_t n;
	/* a watch() of this cgroup id is refused with refuse_e, as a full BPF map refuses (-E2BIG) */
	uint64_t refuse_id;
	int refuse_e;
	/* nonzero: a map of this many entries, which refuses a new id with -E2BIG when full */
	size_t capacity;
	uint64_t live[64];
	size_t n_live;
} rec;

static inline bool rec_live(uint64_t id, size_t *at)
{
	for (size_t i = 0; i < rec.n_live; i++)
		if (rec.live[i] == id) {
			if (at)
				*at = i;
			return true;
		}
	return false;
}

static inline struct call *rec_next(void)
{
	assert_true(rec.n < ARRAY_SIZE(rec.calls));
	memset(&rec.calls[rec.n], 0, sizeof(rec.calls[0]));
	return &rec.calls[rec.n++];
}

static inline int sink_watch(void *ctx, uint64_t id, uint32_t ops)
{
	struct call *c = rec_next();

	assert_ptr_equal(ctx, &rec);
	c->kind = CALL_WATCH;
	c->id = id;
	c->ops = ops;
	if (rec.refuse_e && id == rec.refuse_id)
		return rec.refuse_e;
	if (!rec_live(id, NULL)) {
		if (rec.capacity && rec.n_live >= rec.capacity)
			return -E2BIG;
		assert_true(rec.n_live < ARRAY_SIZE(rec.live));
		rec.live[rec.n_live++] = id;
	}
	return 0;
}

static inline int sink_unwatch(void *ctx, uint64_t id)
{
	struct call *c = rec_next();
	size_t at;

	assert_ptr_equal(ctx, &rec);
	c->kind = CALL_UNWATCH;
	c->id = id;
	if (rec_live(id, &at))
		rec.live[at] = rec.live[--rec.n_live];
	return 0;
}

static inline int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The levels' order is not part of the contract (the capture side sorts them): kept sorted. */
static inline int sink_levels(void *ctx, const uint32_t *levels, unsigned n)
{
	struct call *c = rec_next();

	assert_ptr_equal(ctx, &rec);
	assert_true(n <= ARRAY_SIZE(c->levels));
	c->kind = CALL_LEVELS;
	memcpy(c->levels, levels, n * sizeof(*levels));
	c->n_levels = n;
	qsort(c->levels, n, sizeof(*c->levels), cmp_u32);
	return 0;
}

static inline void call_print(const char *what, const struct call *c)
{
	switch (c->kind) {
	case CALL_WATCH:
		print_message("  %s watch(%llu, %#x)\n", what, (unsigned long long)c->id, c->ops);
		break;
	case CALL_UNWATCH:
		print_message("  %s unwatch(%llu)\n", what, (unsigned long long)c->id);
		break;
	case CALL_LEVELS:
		print_message("  %s levels(", what);
		for (unsigned i = 0; i < c->n_levels; i++)
			print_message("%s%u", i ? "," : "", c->levels[i]);
		print_message(")\n");
		break;
	}
}

static inline bool call_equal(const struct call *a, const struct call *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == CALL_LEVELS)
		return a->n_levels == b->n_levels &&
		       !memcmp(a->levels, b->levels, a->n_levels * sizeof(a->levels[0]));
	return a->id == b->id && (a->kind == CALL_UNWATCH || a->ops == b->ops);
}

/* Exactly these calls since the last check, in this order; then starts a new record. */
static inline void expect_calls(const struct call *want, size_t n)
{
	bool same = rec.n == n;

	for (size_t i = 0; same && i < n; i++)
		same = call_equal(&rec.calls[i], &want[i]);
	if (!same) {
		for (size_t i = 0; i < n; i++)
			call_print("want", &want[i]);
		for (size_t i = 0; i < rec.n; i++)
			call_print("got ", &rec.calls[i]);
		fail_msg("the kernel sink saw other calls than expected");
	}
	rec.n = 0;
}

#define W(i, o)                                                                                    \
	{                                                                                          \
		.kind = CALL_WATCH, .id = (i), .ops = (o)                                          \
	}
#define U(i)                                                                                       \
	{                                                                                          \
		.kind = CALL_UNWATCH, .id = (i)                                                    \
	}
#define L0                                                                                         \
	{                                                                                          \
		.kind = CALL_LEVELS                                                                \
	}
#define L1(a)                                                                                      \
	{                                                                                          \
		.kind = CALL_LEVELS, .levels = { (a) }, .n_levels = 1                              \
	}
#define L2(a, b)                                                                                   \
	{                                                                                          \
		.kind = CALL_LEVELS, .levels = { (a), (b) }, .n_levels = 2                         \
	}
#define EXPECT(...)                                                                                \
	do {                                                                                       \
		const struct call want_[] = { __VA_ARGS__ };                                       \
		expect_calls(want_, ARRAY_SIZE(want_));                                            \
	} while (0)
#define EXPECT_NONE() expect_calls(NULL, 0)

/* The sink to hand to pn_registry_new(); starts an empty record. */
static inline struct pn_kernel_sink recording_sink(void)
{
	rec.n = 0;
	return (struct pn_kernel_sink){
		.watch = sink_watch,
		.unwatch = sink_unwatch,
		.levels = sink_levels,
		.ctx = &rec,
	};
}

#endif
