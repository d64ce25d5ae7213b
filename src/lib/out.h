/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writing into a caller's buffer, for the formatters of src/lib (format.c,
 * jsonstr.c): a cursor that counts past the end, as snprintf does, and the
 * word-at-a-time scan their escapers share. All of it is inline: it is on
 * the path of every byte of every reported event.
 */
#ifndef PN_OUT_H
#define PN_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A cursor that keeps counting past the end of buf, so callers learn the size they need. */
struct out {
	char *buf;
	size_t len;
	size_t pos;
};

static inline void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->pos < o->len) {
		size_t room = o->len - o->pos;

		memcpy(o->buf + o->pos, s, n < room ? n : room);
	}
	o->pos += n;
}

static inline void out_char(struct out *o, char c)
{
	if (o->pos < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static inline void out_str(struct out *o, const char *s)
{
	if (s)
		out_mem(o, s, strlen(s));
}

#define out_lit(o, s) out_mem(o, s, sizeof(s) - 1)

/*
 * Names are mostly plain ASCII with nothing to escape, so the escapers look
 * at 8 bytes per step to find where the next byte that needs handling is.
 * Each test is exact for a whole word (a borrow can only start at a byte
 * that matches), so a word that passes holds no such byte; which byte it is
 * in a word that fails is left to the per-byte check, which keeps this
 * independent of byte order.
 */
#define BYTES_01 0x0101010101010101ULL
#define BYTES_80 0x8080808080808080ULL

static inline uint64_t load8(const unsigned char *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x)); /* names have no particular alignment */
	return x;
}

/* The n bytes at p, 4 <= n <= 8, in one word: two loads, overlapping if n < 8. */
static inline uint64_t load4to8(const unsigned char *p, size_t n)
{
	uint32_t lo, hi;

	memcpy(&lo, p, sizeof(lo));
	memcpy(&hi, p + n - sizeof(hi), sizeof(hi));
	return lo | (uint64_t)hi << 32;
}

/* Nonzero if a byte of x is below lim (lim <= 0x80). */
static inline uint64_t any_below(uint64_t x, unsigned int lim)
{
	return (x - BYTES_01 * lim) & ~x & BYTES_80;
}

/* Nonzero if a byte of x is c. */
static inline uint64_t any_equal(uint64_t x, unsigned char c)
{
	return any_below(x ^ (BYTES_01 * c), 1);
}

/*
 * How many bytes from s on need no escape: plain_word() tells for 8 at a
 * time, plain_byte() for one. A word that fails hands its bytes to the
 * per-byte check. What is left after the whole words is checked as one word
 * that ends at s[n - 1], overlapping bytes already seen (a byte seen twice
 * does not change the answer), so nothing outside s[0..n) is read.
 */
static inline size_t plain_prefix(const unsigned char *s, size_t n, bool (*plain_word)(uint64_t),
				  bool (*plain_byte)(unsigned char))
{
	size_t i = 0;

	while (n - i >= 8 && plain_word(load8(s + i)))
		i += 8;
	if (i == n)
		return n;
	if (n - i < 8) {
		if (n >= 8 ? plain_word(load8(s + n - 8)) : n >= 4 && plain_word(load4to8(s, n)))
			return n;
	}
	while (i < n && plain_byte(s[i]))
		i++;
	return i;
}

#endif
