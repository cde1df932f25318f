/* rpc_names.c: signatures/rpc-interfaces.txt, DCE/RPC interfaces and their procedures by name (rpc_names.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/rpc_names.h"
#include "lib/lineparse.h"
#include "proto/dcerpc.h"

static bool rpc_name_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct rpc_names *k = ctx;
	(void)n;
	if (k->nnames == RPC_NAMES_MAX)
		return line_fail(ps, w[0], "more than %d interfaces at", RPC_NAMES_MAX);
	struct rpc_name *r = &k->names[k->nnames];
	if (!uuid_parse(w[0], r->uuid))
		return line_fail(ps, w[0], "not a UUID:");
	if (strlen(w[1]) >= sizeof r->name)
		return line_fail(ps, w[1], "an interface name longer than %zu bytes:", sizeof r->name - 1);
	snprintf(r->name, sizeof r->name, "%s", w[1]);
	k->nnames++;
	return true;
}

/* opnum INTERFACE N NAME: INTERFACE a UUID or the name of an interface listed before */
static bool rpc_opnum_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct rpc_names *k = ctx;
	(void)n;
	if (k->nopnums == RPC_OPNUMS_MAX)
		return line_fail(ps, w[0], "more than %d opnums at", RPC_OPNUMS_MAX);
	struct rpc_opnum *o = &k->opnums[k->nopnums];
	if (!uuid_parse(w[1], o->uuid) && !rpc_names_uuid(k, w[1], o->uuid))
		return line_fail(ps, w[1], "not a UUID nor an interface listed before:");
	char *end;
	unsigned long v = strtoul(w[2], &end, 10);
	if (!*w[2] || *end || v > 65535)
		return line_fail(ps, w[2], "an opnum is 0..65535, not");
	o->opnum = (uint16_t)v;
	if (strlen(w[3]) >= sizeof o->name)
		return line_fail(ps, w[3], "an opnum name longer than %zu bytes:", sizeof o->name - 1);
	for (unsigned i = 0; i < k->nopnums; i++)
		if (!memcmp(k->opnums[i].uuid, o->uuid, 16) && k->opnums[i].opnum == o->opnum)
			return line_fail(ps, w[2], "opnum named twice:");
	snprintf(o->name, sizeof o->name, "%s", w[3]);
	k->nopnums++;
	return true;
}

/* signatures/rpc-interfaces.txt: UUID NAME, and opnum INTERFACE N NAME */
static const struct line_keyword rpc_name_keywords[] = {
	{ "opnum", 4, 4, rpc_opnum_line },
	{ NULL, 2, 2, rpc_name_line },
};

static int opnum_order(const void *a, const void *b)
{
	const struct rpc_opnum *x = a, *y = b;
	int c = memcmp(x->uuid, y->uuid, 16);
	return c ? c : (int)x->opnum - (int)y->opnum;
}

struct rpc_names *rpc_names_load(const char *path, char *err, size_t errlen)
{
	struct rpc_names *k = calloc(1, sizeof *k);
	if (k) {
		k->names = calloc(RPC_NAMES_MAX, sizeof *k->names);
		k->opnums = calloc(RPC_OPNUMS_MAX, sizeof *k->opnums);
	}
	if (!k || !k->names || !k->opnums) {
		snprintf(err, errlen, "out of memory");
		rpc_names_free(k);
		return NULL;
	}
	if (!line_file_read(path, rpc_name_keywords, 2, k, err, errlen)) {
		rpc_names_free(k);
		return NULL;
	}
	qsort(k->opnums, k->nopnums, sizeof *k->opnums, opnum_order);
	return k;
}

void rpc_names_free(struct rpc_names *k)
{
	if (!k)
		return;
	free(k->names);
	free(k->opnums);
	free(k);
}

bool rpc_names_uuid(const struct rpc_names *k, const char *name, uint8_t out[16])
{
	for (unsigned i = 0; k && i < k->nnames; i++)
		if (!strcmp(k->names[i].name, name)) {
			memcpy(out, k->names[i].uuid, 16);
			return true;
		}
	return false;
}

const char *rpc_names_opnum_name(const struct rpc_names *k, const uint8_t uuid[16], unsigned opnum)
{
	if (!k || opnum > 65535)
		return NULL;
	struct rpc_opnum key;
	memcpy(key.uuid, uuid, 16);
	key.opnum = (uint16_t)opnum;
	const struct rpc_opnum *o = bsearch(&key, k->opnums, k->nopnums, sizeof key, opnum_order);
	return o ? o->name : NULL;
}

bool rpc_names_opnum(const struct rpc_names *k, const uint8_t uuid[16], const char *name, unsigned *opnum)
{
	for (unsigned i = 0; k && i < k->nopnums; i++)
		if (!memcmp(k->opnums[i].uuid, uuid, 16) && !strcmp(k->opnums[i].name, name)) {
			*opnum = k->opnums[i].opnum;
			return true;
		}
	return false;
}

const char *rpc_names_name(const struct rpc_names *k, const uint8_t uuid[16])
{
	for (unsigned i = 0; k && i < k->nnames; i++)
		if (!memcmp(k->names[i].uuid, uuid, 16))
			return k->names[i].name;
	return NULL;
}
