/* flow_ext.c: the flow side record (flow_ext.h): allocated on first use, freed with the flow. */
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/flow_ext.h"
#include "lib/intern.h"

/* A string of the side record: its own copy is freed, a shared one stays */
static void str_free(const char *p)
{
	if (p && !intern_owns(p))
		free((char *)p);
}

/* Frees the parsers' states (but the live evidence buffer when keep_evidence), and the slots once all are empty. */
static void free_parsers(struct flow_ext *x, bool keep_evidence)
{
	bool kept = false;
	for (int i = 0; x->parsers && i < PARSER_SLOTS; i++) {
		struct parser_slot *p = &x->parsers[i];
		if (keep_evidence && i == PARSER_EVIDENCE && p->state) {
			kept = true;
		} else if (p->state) {
			if (p->free)
				p->free(p->state);
			p->state = NULL;
		}
	}
	if (!kept) {
		free(x->parsers);
		x->parsers = NULL;
	}
}

struct flow_ext *flow_ext_get(struct flow *f)
{
	if (!f->ext)
		f->ext = calloc(1, sizeof *f->ext);
	return f->ext;
}

void flow_ext_free(struct flow *f)
{
	struct flow_ext *x = f->ext;
	free(f->tunnel);
	f->tunnel = NULL;
	if (!x)
		return;
	const char *strs[] = { x->http_method, x->http_url, x->http_host, x->http_user_agent, x->tls_sni };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		str_free(strs[i]);
	free_parsers(x, false);
	free(x->followup);
	free(x->more);
	if (x->tls) {
		const char *names[] = { x->tls->subject, x->tls->issuer, x->tls->client_subject, x->tls->client_issuer };
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			str_free(names[i]);
		free(x->tls);
	}
	free(x);
	f->ext = NULL;
}

struct flow_followup *flow_ext_followup(struct flow *f)
{
	struct flow_ext *x = flow_ext_get(f);
	if (x && !x->followup)
		x->followup = calloc(1, sizeof *x->followup);
	return x ? x->followup : NULL;
}

bool flow_ext_set_tunnel(struct flow *f, const struct packet_tunnel *t)
{
	if (!f->tunnel && !(f->tunnel = malloc(sizeof *f->tunnel)))
		return false;
	*f->tunnel = *t;
	return true;
}

struct flow_tls *flow_ext_tls(struct flow *f)
{
	struct flow_ext *x = flow_ext_get(f);
	if (x && !x->tls)
		x->tls = calloc(1, sizeof *x->tls);
	return x ? x->tls : NULL;
}

struct flow_more *flow_ext_more(struct flow *f)
{
	struct flow_ext *x = flow_ext_get(f);
	if (x && !x->more)
		x->more = calloc(1, sizeof *x->more);
	return x ? x->more : NULL;
}

const struct flow_wol *flow_wol(const struct flow *f)
{
	const struct flow_more *m = f->ext ? f->ext->more : NULL;
	return m && (m->wol.has || m->wol.not_magic) ? &m->wol : NULL;
}

void *flow_ext_parser(const struct flow *f, int slot)
{
	return f->ext && f->ext->parsers ? f->ext->parsers[slot].state : NULL;
}

bool flow_ext_set_parser(struct flow *f, int slot, void *state, void (*free_fn)(void *))
{
	struct flow_ext *x = state ? flow_ext_get(f) : f->ext;
	if (!x || (!x->parsers && !state))
		return !state;
	if (!x->parsers && !(x->parsers = calloc(PARSER_SLOTS, sizeof *x->parsers)))
		return false;
	x->parsers[slot].state = state;
	x->parsers[slot].free = free_fn;
	return true;
}

void flow_ext_free_parsers(struct flow *f)
{
	if (f->ext)
		free_parsers(f->ext, true);
}

bool flow_ext_set_str(const char **dst, const char *s, size_t n)
{
	if (n > FLOW_EXT_STR_MAX)
		n = FLOW_EXT_STR_MAX;
	const char *shared = intern(s, n);
	if (!shared) {
		char *c = malloc(n + 1);
		if (!c)
			return false;
		memcpy(c, s, n);
		c[n] = '\0';
		shared = c;
	}
	str_free(*dst);
	*dst = shared;
	return true;
}
