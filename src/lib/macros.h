/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's ARRAY_SIZE and container_of, for the userspace. */
#ifndef PN_MACROS_H
#define PN_MACROS_H

#include <stddef.h>

/*
 * Elements of an array. A pointer passed by mistake does not compile: the
 * zero-width bitfield is negative when arr and &arr[0] have the same type.
 */
#define ARRAY_SIZE(arr)                                                                            \
	(sizeof(arr) / sizeof((arr)[0]) + sizeof(struct {                                          \
		 int : -__builtin_types_compatible_p(__typeof__(arr), __typeof__(&(arr)[0]));      \
	 }))

/* The struct that holds *ptr as its member `member`; the type of ptr is checked. */
#define container_of(ptr, type, member)                                                            \
	({                                                                                         \
		const __typeof__(((type *)0)->member) *mptr_ = (ptr);                              \
		(type *)((char *)mptr_ - offsetof(type, member));                                  \
	})

#endif
