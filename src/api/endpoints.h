/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where panoptesd's gRPC API listens unless told otherwise, and so where
 * panoptesctl looks first: the node's own processes only (docs/api.md,
 * "Listeners").
 */
#ifndef PN_API_ENDPOINTS_H
#define PN_API_ENDPOINTS_H

#define PN_API_DEFAULT_SOCKET "/run/panoptes/panoptes.sock"
#define PN_API_DEFAULT_LISTEN "127.0.0.1:50051"

#endif
