// SPDX-License-Identifier: GPL-2.0-only
/*
 * --watch-selector's text (kubectl's label selector syntax): any bytes. A
 * parse either fails with a message or gives requirements that keep
 * selector.h's shape: a non-empty key, values for In and NotIn only.
 */
#include <errno.h>

#include "fuzz_check.h"
#include "selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pn_label_req *reqs = NULL;
	char *text = strndup((const char *)data, size);
	char err[256] = "";
	size_t n = 0;
	int e;

	if (!text)
		return 0;
	e = pn_label_selector_parse(text, &reqs, &n, err, sizeof(err));
	if (e && e != -EINVAL && e != -ENOMEM)
		broken("unexpected return %d", e);
	if (e == -EINVAL && !err[0])
		broken("a refusal without a message");
	for (size_t i = 0; !e && i < n; i++) {
		const struct pn_label_req *r = &reqs[i];

		if (!r->key || !r->key[0])
			broken("requirement %zu has no key", i);
		if (pn_label_op_takes_values(r->op) != (r->n_values > 0))
			broken("requirement %zu: op %d with %zu values", i, (int)r->op,
			       r->n_values);
	}
	if (!e && !n)
		broken("parsed to nothing");
	pn_label_reqs_free(reqs, n);
	free(reqs);
	free(text);
	return 0;
}
