/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every request message a method of ours takes: what the bounds' unit test
 * and fuzz target (tests/fuzz) walk. Include after the generated headers.
 */
#ifndef PN_TEST_REQUEST_MESSAGES_H
#define PN_TEST_REQUEST_MESSAGES_H

static const ProtobufCMessageDescriptor *const requests[] = {
	&argus__argusd_config__descriptor,
	&argus__empty__descriptor,
	&grpc__health__v1__health_check_request__descriptor,
	&panoptes__v1__create_watch_request__descriptor,
	&panoptes__v1__update_watch_request__descriptor,
	&panoptes__v1__delete_watch_request__descriptor,
	&panoptes__v1__list_watches_request__descriptor,
	&panoptes__v1__stream_events_request__descriptor,
	&panoptes__v1__get_status_request__descriptor,
	&panoptes__v1__stream_lifecycle_request__descriptor,
};

#endif
