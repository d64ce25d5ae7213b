// SPDX-License-Identifier: GPL-2.0-only
/* panoptesctl health: the standard health check, for probes and scripts. */
#include "ctl.h"

#include <stdio.h>

#include "health.pb-c.h"

const char ctl_health_usage[] =
	"Usage: panoptesctl health [--service NAME]\n"
	"Calls grpc.health.v1.Health/Check and prints the answer: SERVING, NOT_SERVING, ...\n"
	"\n"
	"  --service NAME   \"\" (the whole agent, default), panoptes.v1.Agent or argus.Argusd\n"
	"\n"
	"Exit 0 only if SERVING; 1 for any other answer (an unknown service is NOT_FOUND);\n"
	"3 if the agent cannot be reached.\n";

enum {
	OPT_SERVICE = 1,
};

static const struct ctl_opt health_opts[] = {
	{ "service", OPT_SERVICE, true },
	{ NULL, 0, false },
};

int ctl_cmd_health(struct ctl_args *a)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Grpc__Health__V1__HealthCheckResponse *resp;
	const ProtobufCEnumValue *v;
	ProtobufCMessage *m;
	const char *val;
	int id, err;

	a->opts = health_opts;
	while ((id = ctl_next(a, &val)) != CTL_END) {
		if (id != OPT_SERVICE)
			return ctl_args_stop(a, id, val);
		req.service = (char *)val;
	}
	err = ctl_unary(a->ctl, "/grpc.health.v1.Health/Check", &req.base,
			&grpc__health__v1__health_check_response__descriptor, &m);
	if (err)
		return err;
	resp = (Grpc__Health__V1__HealthCheckResponse *)m;
	v = protobuf_c_enum_descriptor_get_value(
		&grpc__health__v1__health_check_response__serving_status__descriptor, resp->status);
	if (v)
		printf("%s\n", v->name);
	else
		printf("%d\n", (int)resp->status);
	err = resp->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING ?
		      CTL_EXIT_OK :
		      CTL_EXIT_FAILED;
	protobuf_c_message_free_unpacked(m, NULL);
	return err;
}
