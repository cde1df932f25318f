/* infer.c: fingerprints (data), the host table, drift and --infer-site. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flow/dpi.h"
#include "flow/inspect.h"
#include "flow/flow_ext.h"
#include "flow/smbrpc.h"
#include "lib/hash.h"
#include "audit/fingerprints.h"
#include "audit/infer.h"
#include "audit/knowledge.h"
#include "lib/lineparse.h"
#include "flow/mcast.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "lib/util.h"
#include "proto/wol.h"

/* ---- the host table ---- */

#define HOST_MAX_ROLES 8

struct role_record {
	int role;
	uint64_t fp_seen;          /* fingerprints that matched */
	uint64_t flows, last_flow;
	uint64_t first[INFER_FIRST_FLOWS];
	unsigned nfirst;
	char evidence[96];
};

struct host {
	uint8_t family;
	uint8_t addr[16];
	uint8_t nr;
	struct role_record *r;     /* nr records (most hosts show one role: a client) */
};

struct infer_table {
	struct host **slots;       /* open addressing, linear probing */
	uint32_t nslots, nhosts, max_hosts;
	uint64_t dropped;
	bool frozen;
	struct hash_key key;
	/* a copy of the fingerprints last observed with (their groups decide completion): the knowledge they came
	 * from is freed when SIGHUP reloads the signatures */
	struct fingerprints fps_copy;
	const struct fingerprints *fps; /* &fps_copy once anything was observed, else NULL */
	const struct fingerprints *fps_source;
	pthread_mutex_t lock;
};

struct infer_table *infer_new(uint32_t max_hosts)
{
	struct infer_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->max_hosts = max_hosts ? max_hosts : 1;
	t->nslots = 16;
	while (t->nslots < 2 * t->max_hosts)
		t->nslots *= 2;
	t->slots = calloc(t->nslots, sizeof *t->slots);
	if (!t->slots) {
		free(t);
		return NULL;
	}
	hash_key_random(&t->key);
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void infer_free(struct infer_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i]) {
			free(t->slots[i]->r);
			free(t->slots[i]);
		}
	free(t->slots);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static struct host *host_find(struct infer_table *t, uint8_t family, const uint8_t *addr, bool create)
{
	uint8_t k[17] = { family };
	memcpy(k + 1, addr, family == 4 ? 4 : 16);
	uint32_t i = (uint32_t)hash_siphash13(&t->key, k, sizeof k) & (t->nslots - 1);
	for (;; i = (i + 1) & (t->nslots - 1)) {
		struct host *h = t->slots[i];
		if (!h)
			break;
		if (h->family == family && memcmp(h->addr, k + 1, 16) == 0)
			return h;
	}
	if (!create)
		return NULL;
	if (t->nhosts == t->max_hosts) {
		t->dropped++;
		return NULL;
	}
	struct host *h = calloc(1, sizeof *h);
	if (!h) {
		t->dropped++;
		return NULL;
	}
	h->family = family;
	memcpy(h->addr, k + 1, 16);
	t->slots[i] = h;
	t->nhosts++;
	return h;
}

/* A role counts once every fingerprint of a group that showed it has matched (or one without a group did). */
static bool record_complete(const struct fingerprints *fps, const struct role_record *r)
{
	for (unsigned i = 0; fps && i < fps->n; i++) {
		if (!(r->fp_seen & ((uint64_t)1 << i)))
			continue;
		int g = fps->fp[i].group;
		if (g < 0 || (r->fp_seen & fps->group_mask[g]) == fps->group_mask[g])
			return true;
	}
	return false;
}

/* Counts a flow for a host's role; returns the role's record when it still lacks its evidence (the caller writes
 * it with keep_evidence), else NULL. */
static struct role_record *record(struct infer_table *t, struct host *h, unsigned fp_index, int role, uint64_t flow_id)
{
	struct role_record *r = NULL;
	for (unsigned i = 0; i < h->nr && !r; i++)
		if (h->r[i].role == role)
			r = &h->r[i];
	if (!r) {
		struct role_record *grown = h->nr < HOST_MAX_ROLES ? realloc(h->r, (h->nr + 1u) * sizeof *grown) : NULL;
		if (!grown)
			return NULL;
		h->r = grown;
		r = &h->r[h->nr++];
		memset(r, 0, sizeof *r);
		r->role = role;
	}
	bool was_complete = record_complete(t->fps, r);
	r->fp_seen |= (uint64_t)1 << fp_index;
	if (!was_complete && r->evidence[0] && record_complete(t->fps, r))
		r->evidence[0] = '\0'; /* the evidence to show is what completed the role */
	if (r->flows && r->last_flow == flow_id && r->evidence[0])
		return NULL; /* another fingerprint of the same role on the same flow */
	if (!r->flows || r->last_flow != flow_id) {
		r->flows++;
		r->last_flow = flow_id;
		if (r->nfirst < INFER_FIRST_FLOWS)
			r->first[r->nfirst++] = flow_id;
	}
	return r->evidence[0] ? NULL : r;
}

/* printable ASCII only: the evidence ends up in a configuration file's comment */
static void keep_evidence(struct role_record *r, const char *evidence)
{
	size_t n = 0;
	for (const char *c = evidence; *c && n + 1 < sizeof r->evidence; c++)
		r->evidence[n++] = *c >= 0x20 && *c < 0x7f ? *c : '?';
	r->evidence[n] = '\0';
}

static bool value_in(const struct fingerprint *fp, const char *s, bool prefix, bool nocase)
{
	if (!s)
		return false;
	for (unsigned i = 0; i < fp->nvalues; i++) {
		const char *v = fp->values[i];
		size_t vl = strlen(v);
		if (prefix ? (nocase ? strncasecmp(s, v, vl) : strncmp(s, v, vl)) == 0
			   : (nocase ? strcasecmp(s, v) : strcmp(s, v)) == 0)
			return true;
	}
	return false;
}

/* The first share the flow connected (its SMB record's) that the fingerprint names, or NULL. */
static const char *fp_share(const struct fingerprint *fp, const struct flow *f)
{
	const struct flow_smbrpc *r = flow_smbrpc(f);
	for (unsigned i = 0; r && i < r->nshares; i++)
		if (!r->shares[i].status && value_in(fp, r->shares[i].name, false, true))
			return r->shares[i].name;
	return NULL;
}

/* The first RPC interface of the flow (announced or first bound, then every other it bound over TCP or a named
 * pipe) that the fingerprint names, or NULL. */
static const char *fp_rpc(const struct fingerprint *fp, const struct knowledge *k, const struct flow *f)
{
	const struct flow_followup *fu = f->ext ? f->ext->followup : NULL;
	const char *name = fu && fu->has_rpc_uuid ? knowledge_rpc_name(k, fu->rpc_uuid) : NULL;
	if (value_in(fp, name, false, false))
		return name;
	const struct flow_smbrpc *r = flow_smbrpc(f);
	for (unsigned i = 0; r && i < r->nifaces; i++)
		if (value_in(fp, name = knowledge_rpc_name(k, r->ifaces[i].uuid), false, false))
			return name;
	return NULL;
}

/* Does the flow show this fingerprint? Writes what it showed into ev. */
static bool fp_matches(const struct fingerprint *fp, const struct knowledge *k, const struct flow *f)
{
	const struct flow_ext *x = f->ext;
	const struct flow_followup *fu = x ? x->followup : NULL;
	bool replied = (f->flags & FLOW_F_REPLIED) != 0;
	uint16_t dport = flow_dst_port(f);
	switch (fp->kind) {
	case FP_URL: return x && value_in(fp, x->http_url, true, true);
	case FP_METHOD: return x && value_in(fp, x->http_method, false, false);
	case FP_USER_AGENT: return x && value_in(fp, x->http_user_agent, true, true);
	case FP_PORT: return replied && rule_ports_contain(fp->ports, fp->nports, f->key.ip_proto, dport, NULL);
	case FP_APP: return replied && value_in(fp, flow_app_proto(f), false, false);
	case FP_MULTICAST:
		return f->key.ip_proto == 17 && mcast_is_group(f->key.family, flow_dst_addr(f)) &&
		       rule_ports_contain(fp->ports, fp->nports, 17, dport, NULL);
	case FP_WOL: return flow_wol(f) && flow_wol(f)->has;
	case FP_SMB_SHARE: return fp_share(fp, f) != NULL;
	case FP_FOLLOWUP: return fu && value_in(fp, fu->via, false, false);
	case FP_RPC: return fp_rpc(fp, k, f) != NULL;
	}
	return false;
}

/* What a matching fingerprint saw, in words (only formatted when a role still lacks its evidence). */
static void fp_describe(const struct fingerprint *fp, const struct knowledge *k, const struct flow *f, char *ev,
			size_t evlen)
{
	const struct flow_ext *x = f->ext;
	uint16_t dport = flow_dst_port(f);
	char a[ADDR_STR_MAX], mac[18];
	addr_to_str(f->key.family, flow_dst_addr(f), a, sizeof a);
	switch (fp->kind) {
	case FP_URL:
		snprintf(ev, evlen, "HTTP %s %.60s", x->http_method ? x->http_method : "request", x->http_url);
		break;
	case FP_METHOD:
		snprintf(ev, evlen, "HTTP %s %.60s", x->http_method, x->http_url ? x->http_url : "");
		break;
	case FP_USER_AGENT: snprintf(ev, evlen, "User-Agent: %.60s", x->http_user_agent); break;
	case FP_PORT: snprintf(ev, evlen, "%s/%u answered", f->key.ip_proto == 6 ? "tcp" : "udp", dport); break;
	case FP_APP: snprintf(ev, evlen, "%s answered on port %u", flow_app_proto(f), dport); break;
	case FP_MULTICAST: snprintf(ev, evlen, "multicast to %s udp/%u", a, dport); break;
	case FP_WOL: snprintf(ev, evlen, "Wake On LAN for %s", wol_mac_str(flow_wol(f)->mac, mac, sizeof mac)); break;
	case FP_SMB_SHARE: snprintf(ev, evlen, "SMB share %.40s on %s", fp_share(fp, f), a); break;
	case FP_FOLLOWUP: snprintf(ev, evlen, "%s answer to %s port %u", x->followup->via, a, dport); break;
	case FP_RPC: snprintf(ev, evlen, "RPC %s on %s", fp_rpc(fp, k, f), a); break;
	}
}

void infer_observe(struct infer_table *t, const struct knowledge *k, const struct flow *f, uint64_t flow_id)
{
	const struct fingerprints *fps = k ? k->fingerprints : NULL;
	if (!t || !fps || t->frozen)
		return;
	uint64_t hits = 0;
	bool group = mcast_is_group(f->key.family, flow_dst_addr(f));
	/* only the kinds this flow's facts can match (fp_matches' first tests): most flows have a few */
	const struct flow_ext *x = f->ext;
	uint64_t maybe = 0;
	if (group && f->key.ip_proto == 17)
		maybe |= fps->by_kind[FP_MULTICAST];
	if (x && x->followup)
		maybe |= fps->by_kind[FP_RPC] | fps->by_kind[FP_FOLLOWUP];
	if (x && x->smbrpc && x->smbrpc->nifaces)
		maybe |= fps->by_kind[FP_RPC];
	if (f->flags & FLOW_F_REPLIED)
		maybe |= fps->by_kind[FP_PORT] | fps->by_kind[FP_APP];
	if (x && x->http_url)
		maybe |= fps->by_kind[FP_URL];
	if (x && x->http_method)
		maybe |= fps->by_kind[FP_METHOD];
	if (x && x->http_user_agent)
		maybe |= fps->by_kind[FP_USER_AGENT];
	if (flow_wol(f) && flow_wol(f)->has)
		maybe |= fps->by_kind[FP_WOL];
	if (x && x->smbrpc && x->smbrpc->nshares)
		maybe |= fps->by_kind[FP_SMB_SHARE];
	for (; maybe; maybe &= maybe - 1) {
		unsigned i = (unsigned)__builtin_ctzll(maybe);
		if ((!fps->fp[i].server || !group) && fp_matches(&fps->fp[i], k, f))
			hits |= (uint64_t)1 << i;
	}
	if (!hits)
		return;
	/* one lock and one lookup of each end for all the fingerprints the flow matched */
	pthread_mutex_lock(&t->lock);
	if (t->fps_source != fps) {
		t->fps_copy = *fps;
		t->fps_source = fps;
		t->fps = &t->fps_copy;
	}
	struct host *ends[2] = { NULL, NULL }; /* client, server */
	bool looked[2] = { false, false };
	for (; hits; hits &= hits - 1) {
		unsigned i = (unsigned)__builtin_ctzll(hits);
		const struct fingerprint *fp = &fps->fp[i];
		int side = fp->server ? 1 : 0;
		if (!looked[side]) {
			ends[side] = host_find(t, f->key.family, side ? flow_dst_addr(f) : flow_src_addr(f), true);
			looked[side] = true;
		}
		struct role_record *r = ends[side] ? record(t, ends[side], i, fp->role, flow_id) : NULL;
		if (r) {
			char ev[160];
			fp_describe(fp, k, f, ev, sizeof ev);
			keep_evidence(r, ev);
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void infer_freeze(struct infer_table *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->frozen = true;
	pthread_mutex_unlock(&t->lock);
}

static role_set host_roles(const struct infer_table *t, const struct host *h)
{
	role_set s = 0;
	for (unsigned i = 0; h && i < h->nr; i++)
		if (record_complete(t->fps, &h->r[i]))
			s |= ROLE_BIT(h->r[i].role);
	return s;
}

role_set infer_roles(struct infer_table *t, const struct roles *roles, uint8_t family, const uint8_t *addr)
{
	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	role_set s = host_roles(t, host_find(t, family, addr, false));
	pthread_mutex_unlock(&t->lock);
	return roles_closure(roles, s);
}

uint64_t infer_dropped(struct infer_table *t)
{
	return t ? t->dropped : 0;
}

static int host_order(const void *a, const void *b)
{
	const struct host *x = *(struct host *const *)a, *y = *(struct host *const *)b;
	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(x->addr, y->addr, 16);
}

/* The hosts in address order (caller frees); NULL when there are none or memory is short. */
static struct host **sorted_hosts(struct infer_table *t, uint32_t *n)
{
	*n = 0;
	struct host **v = t->nhosts ? malloc(t->nhosts * sizeof *v) : NULL;
	if (!v)
		return NULL;
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i])
			v[(*n)++] = t->slots[i];
	qsort(v, *n, sizeof *v, host_order);
	return v;
}

static void fill_inferred(struct inferred_role *out, const struct host *h, const struct role_record *r)
{
	memset(out, 0, sizeof *out);
	out->family = h->family;
	memcpy(out->addr, h->addr, 16);
	out->role = r->role;
	out->flows = r->flows;
	out->nfirst = r->nfirst;
	memcpy(out->first_flows, r->first, sizeof r->first);
	snprintf(out->evidence, sizeof out->evidence, "%s", r->evidence);
}

void infer_each(struct infer_table *t, void (*fn)(void *ctx, const struct inferred_role *r), void *ctx)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	uint32_t n;
	struct host **v = sorted_hosts(t, &n);
	for (uint32_t i = 0; i < n; i++) {
		/* roles in vocabulary order */
		for (int role = 0; role < ROLES_MAX; role++)
			for (unsigned k = 0; k < v[i]->nr; k++)
				if (v[i]->r[k].role == role && record_complete(t->fps, &v[i]->r[k])) {
					struct inferred_role ir;
					fill_inferred(&ir, v[i], &v[i]->r[k]);
					fn(ctx, &ir);
				}
	}
	free(v);
	pthread_mutex_unlock(&t->lock);
}

/* "3 flows (first 7, 9, 12): HTTP CCM_POST /ccm_system/request" */
static const char *evidence_text(const struct inferred_role *r, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%llu flow%s (", (unsigned long long)r->flows, r->flows == 1 ? "" : "s");
	for (unsigned i = 0; i < r->nfirst && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%llu", i ? ", " : "flow ", (unsigned long long)r->first_flows[i]);
	if (n < len)
		snprintf(buf + n, len - n, "%s): %s", r->flows > r->nfirst ? ", ..." : "", r->evidence);
	return buf;
}

struct site_writer {
	const struct roles *roles;
	FILE *out;
	uint8_t family;
	uint8_t addr[16];
	bool open;
	char roles_list[512], comment[1024];
};

static void site_line_end(struct site_writer *w)
{
	if (!w->open)
		return;
	char a[ADDR_STR_MAX];
	fprintf(w->out, "host %-15s roles=%s\n", addr_to_str(w->family, w->addr, a, sizeof a), w->roles_list);
	fprintf(w->out, "%s", w->comment);
	w->open = false;
}

static void site_line(void *ctx, const struct inferred_role *r)
{
	struct site_writer *w = ctx;
	char ev[256];
	if (!w->open || w->family != r->family || memcmp(w->addr, r->addr, 16) != 0) {
		site_line_end(w);
		w->open = true;
		w->family = r->family;
		memcpy(w->addr, r->addr, 16);
		w->roles_list[0] = w->comment[0] = '\0';
	}
	size_t n = strlen(w->roles_list);
	snprintf(w->roles_list + n, sizeof w->roles_list - n, "%s%s", n ? "," : "", w->roles->name[r->role]);
	n = strlen(w->comment);
	snprintf(w->comment + n, sizeof w->comment - n, "#   %s: %s\n", w->roles->name[r->role],
		 evidence_text(r, ev, sizeof ev));
}

void infer_write_site(struct infer_table *t, const struct roles *roles, FILE *out, const char *inputs)
{
	fprintf(out, "# Site configuration inferred by cmflow from the traffic of %s.\n", inputs);
	fprintf(out, "# Each host line names the roles its traffic showed; the comment under it, the evidence (flow ids\n"
		     "# of that run's EVE output). Review it, add a site line and site= where you know them, and give\n"
		     "# it back with -c. Hosts whose traffic showed no ConfigMgr role are not listed.\n\n");
	struct site_writer w = { .roles = roles, .out = out };
	infer_each(t, site_line, &w);
	site_line_end(&w);
	if (infer_dropped(t))
		fprintf(out, "# %llu more hosts showed roles but did not fit in the table\n",
			(unsigned long long)infer_dropped(t));
}

struct drift_ctx {
	struct infer_table *t;
	const struct knowledge *k;
	infer_drift_fn fn;
	void *ctx;
};

static void drift_role(void *ctx, const struct inferred_role *r)
{
	struct drift_ctx *d = ctx;
	const struct roles *roles = &d->k->rules->roles;
	const struct host_entry *h = site_lookup(d->k->site, r->family, r->addr);
	if (h && (h->roles & ROLE_BIT(r->role)))
		return;
	char a[ADDR_STR_MAX], list[256], ev[256], sentence[768];
	addr_to_str(r->family, r->addr, a, sizeof a);
	if (h)
		snprintf(sentence, sizeof sentence, "%s: traffic shows %s (%s); its host line (line %u) gives %s", a,
			 roles->name[r->role], evidence_text(r, ev, sizeof ev), h->line,
			 roles_format(roles, h->roles, list, sizeof list));
	else
		snprintf(sentence, sizeof sentence, "%s: traffic shows %s (%s); no host line names it", a,
			 roles->name[r->role], evidence_text(r, ev, sizeof ev));
	d->fn(d->ctx, true, r->family, r->addr, sentence);
}

void infer_drift(struct infer_table *t, const struct knowledge *k, infer_drift_fn fn, void *ctx)
{
	if (!t || !k || !k->rules || !k->site || !site_host_count(k->site))
		return;
	struct drift_ctx d = { t, k, fn, ctx };
	infer_each(t, drift_role, &d);
	/* roles of single-host lines that a fingerprint could show and nothing did */
	const struct roles *roles = &k->rules->roles;
	role_set showable = fingerprints_roles(k->fingerprints);
	for (unsigned i = 0; i < site_host_count(k->site); i++) {
		const struct host_entry *h = site_host_at(k->site, i);
		if (h->prefix_len != (h->family == 4 ? 32 : 128))
			continue;
		role_set seen = infer_roles(t, roles, h->family, h->addr);
		role_set missing = h->roles & showable & ~seen;
		for (int role = 0; role < (int)roles->n; role++) {
			if (!(missing & ROLE_BIT(role)))
				continue;
			bool implied = false; /* a more specific missing role says it (multicast DP, not also DP) */
			for (int m = 0; m < (int)roles->n && !implied; m++)
				implied = m != role && (missing & ROLE_BIT(m)) && (roles->implies[m] & ROLE_BIT(role));
			if (implied)
				continue;
			char a[ADDR_STR_MAX], sentence[512];
			snprintf(sentence, sizeof sentence,
				 "%s: its host line (line %u) gives %s, which no traffic of this run showed",
				 addr_to_str(h->family, h->addr, a, sizeof a), h->line, roles->name[role]);
			fn(ctx, false, h->family, h->addr, sentence);
		}
	}
}
