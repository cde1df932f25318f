/* detect.c: detections over sequences of flows (detect.h): the definitions' loader, the steps' predicates on an
 * ended flow, and the shared table of sequences under way. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/detect.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "audit/policy.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "flow/flow_ext.h"
#include "flow/smbrpc.h"
#include "lib/hash.h"
#include "lib/lineparse.h"
#include "proto/dcerpc.h"

/* ---- loading ---- */

struct load {
	struct detections *d;
	const struct knowledge *k;
};

static bool copy_word(struct line_parse *ps, char *dst, size_t cap, const char *word, const char *what)
{
	if (strlen(word) >= cap)
		return line_fail(ps, word, "%s longer than %zu bytes:", what, cap - 1);
	snprintf(dst, cap, "%s", word);
	return true;
}

/* Splits a comma list into its values (at most DETECT_VALUES_MAX); calls add for each. */
static bool each_value(struct line_parse *ps, const char *list, const char *arg,
		       bool (*add)(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx),
		       struct detect_pred *p, void *ctx)
{
	char buf[LINE_FILE_MAX];
	snprintf(buf, sizeof buf, "%s", list);
	unsigned n = 0;
	for (char *save = NULL, *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		if (++n > 4 * DETECT_VALUES_MAX)
			return line_fail(ps, arg, "too many values in");
		if (!add(ps, p, v, ctx))
			return false;
	}
	return n ? true : line_fail(ps, arg, "no value in");
}

#define ADD_STRING(field, count, what)                                                                              \
	do {                                                                                                        \
		if (p->count == DETECT_VALUES_MAX)                                                                  \
			return line_fail(ps, v, "more than %d %s at", DETECT_VALUES_MAX, what);                      \
		if (!copy_word(ps, p->field[p->count], sizeof p->field[0], v, what))                                \
			return false;                                                                               \
		p->count++;                                                                                         \
		return true;                                                                                        \
	} while (0)

static bool add_share(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	(void)ctx;
	ADD_STRING(shares, nshares, "shares");
}

static bool add_suffix(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	(void)ctx;
	ADD_STRING(suffixes, nsuffixes, "name suffixes");
}

static bool add_method(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	(void)ctx;
	ADD_STRING(methods, nmethods, "methods");
}

static bool add_url(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	(void)ctx;
	ADD_STRING(urls, nurls, "URL prefixes");
}

static bool add_iface(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	const struct knowledge *k = ctx;
	if (p->nifaces == DETECT_VALUES_MAX)
		return line_fail(ps, v, "more than %d interfaces at", DETECT_VALUES_MAX);
	if (!uuid_parse(v, p->ifaces[p->nifaces]) && !knowledge_rpc_uuid(k, v, p->ifaces[p->nifaces]))
		return line_fail(ps, v, "an interface of rpc-interfaces.txt (a name or a UUID), not");
	p->nifaces++;
	return true;
}

/* An opnum by number (on every interface of the step) or by name (on each interface that names it). */
static bool add_opnum(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	const struct knowledge *k = ctx;
	char *end;
	unsigned long num = strtoul(v, &end, 10);
	bool numeric = *v && !*end && num <= 65535;
	bool found = false;
	for (unsigned i = 0; i < p->nifaces; i++) {
		unsigned op = (unsigned)num;
		if (!numeric && !knowledge_rpc_opnum(k, p->ifaces[i], v, &op))
			continue;
		if (p->nops == sizeof p->ops / sizeof p->ops[0])
			return line_fail(ps, v, "too many opnums at");
		p->ops[p->nops].iface = (uint8_t)i;
		p->ops[p->nops].opnum = (uint16_t)op;
		p->nops++;
		found = true;
	}
	return found ? true : line_fail(ps, v, "no interface of the step has the opnum");
}

static const struct { const char *name; uint8_t kind; } kinds[] = {
	{ "smb-tree", DETECT_SMB_TREE },
	{ "smb-write", DETECT_SMB_WRITE },
	{ "rpc", DETECT_RPC },
	{ "http", DETECT_HTTP },
};

/* step NAME KIND ARG=LIST ... */
static bool step_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct load *l = ctx;
	struct detections *d = l->d;
	if (d->npreds == DETECT_PREDICATES_MAX)
		return line_fail(ps, w[1], "more than %d steps at", DETECT_PREDICATES_MAX);
	for (unsigned i = 0; i < d->npreds; i++)
		if (!strcmp(d->preds[i].name, w[1]))
			return line_fail(ps, w[1], "a step defined twice:");
	struct detect_pred *p = &d->preds[d->npreds];
	memset(p, 0, sizeof *p);
	if (!copy_word(ps, p->name, sizeof p->name, w[1], "a step name"))
		return false;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kinds[i].name, w[2]))
			p->kind = kinds[i].kind;
	if (!p->kind)
		return line_fail(ps, w[2], "a step is smb-tree, smb-write, rpc or http, not");
	const char *opnums = NULL;
	for (int i = 3; i < n; i++) {
		const char *v;
		bool smb = p->kind == DETECT_SMB_TREE || p->kind == DETECT_SMB_WRITE;
		if (smb && (v = word_value(w[i], "share"))) {
			if (!each_value(ps, v, w[i], add_share, p, NULL))
				return false;
		} else if (p->kind == DETECT_SMB_WRITE && (v = word_value(w[i], "name-suffix"))) {
			if (!each_value(ps, v, w[i], add_suffix, p, NULL))
				return false;
		} else if (p->kind == DETECT_RPC && (v = word_value(w[i], "iface"))) {
			if (!each_value(ps, v, w[i], add_iface, p, (void *)l->k))
				return false;
		} else if (p->kind == DETECT_RPC && (v = word_value(w[i], "opnum"))) {
			opnums = v; /* resolved once every interface is known */
		} else if (p->kind == DETECT_RPC && (v = word_value(w[i], "over"))) {
			if (!strcmp(v, "tcp"))
				p->over = DETECT_OVER_TCP;
			else if (!strcmp(v, "pipe"))
				p->over = DETECT_OVER_PIPE;
			else
				return line_fail(ps, w[i], "over= is tcp or pipe, not");
		} else if (p->kind == DETECT_HTTP && (v = word_value(w[i], "method"))) {
			if (!each_value(ps, v, w[i], add_method, p, NULL))
				return false;
		} else if (p->kind == DETECT_HTTP && (v = word_value(w[i], "url"))) {
			if (!each_value(ps, v, w[i], add_url, p, NULL))
				return false;
		} else {
			return line_fail(ps, w[i], "an argument this kind of step does not take:");
		}
	}
	if ((p->kind == DETECT_SMB_TREE || p->kind == DETECT_SMB_WRITE) && !p->nshares)
		return line_fail(ps, w[1], "an SMB step needs share=, at");
	if (p->kind == DETECT_RPC && !p->nifaces)
		return line_fail(ps, w[1], "an rpc step needs iface=, at");
	if (p->kind == DETECT_HTTP && !p->nmethods && !p->nurls)
		return line_fail(ps, w[1], "an http step needs method= or url=, at");
	if (opnums && !each_value(ps, opnums, opnums, add_opnum, p, (void *)l->k))
		return false;
	d->npreds++;
	return true;
}

/* Appends s to buf (cap bytes, *o used), cut when it does not fit. */
static void text_append(char *buf, size_t cap, size_t *o, const char *s)
{
	size_t n = strlen(s);
	if (*o + n >= cap)
		n = cap - 1 - *o;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = '\0';
}

static int pred_index(const struct detections *d, const char *name, size_t len)
{
	for (unsigned i = 0; i < d->npreds; i++)
		if (strlen(d->preds[i].name) == len && !strncmp(d->preds[i].name, name, len))
			return (int)i;
	return -1;
}

/* steps=A,B|C: steps in order, separated by commas; a step is one predicate or several separated by '|'. */
static bool parse_steps(struct line_parse *ps, const struct detections *d, struct detection *x, const char *v,
			const char *word)
{
	const char *s = v;
	x->nsteps = 0;
	while (*s) {
		if (x->nsteps == DETECT_STEPS_MAX)
			return line_fail(ps, word, "more than %d steps in", DETECT_STEPS_MAX);
		unsigned st = x->nsteps++;
		x->nalts[st] = 0;
		for (;;) {
			size_t len = strcspn(s, ",|");
			int i = pred_index(d, s, len);
			if (i < 0 || !len)
				return line_fail(ps, word, "a step no 'step' line defines in");
			if (x->nalts[st] == DETECT_ALTS_MAX)
				return line_fail(ps, word, "more than %d alternatives of a step in", DETECT_ALTS_MAX);
			x->alts[st][x->nalts[st]++] = (uint8_t)i;
			s += len;
			if (*s != '|')
				break;
			s++;
		}
		if (*s == ',')
			s++;
	}
	if (!x->nsteps)
		return line_fail(ps, word, "no step in");
	/* "admin-share-write then service-create|wmi-call" for the outputs */
	size_t o = 0;
	x->steps_text[0] = '\0';
	for (unsigned st = 0; st < x->nsteps; st++)
		for (unsigned a = 0; a < x->nalts[st]; a++) {
			text_append(x->steps_text, sizeof x->steps_text, &o, a ? "|" : st ? (x->ordered ? " then " : " and ") : "");
			text_append(x->steps_text, sizeof x->steps_text, &o, d->preds[x->alts[st][a]].name);
		}
	return true;
}

static bool parse_role(struct line_parse *ps, const struct knowledge *k, const char *v, const char *word, int *role,
		       bool *not)
{
	*not = *v == '!';
	if (*not)
		v++;
	*role = roles_find(&k->rules->roles, v, strlen(v));
	return *role >= 0 ? true : line_fail(ps, word, "a role of the rules file, not");
}

/* detection ID SID SEVERITY VERDICT "CATEGORY" "SENTENCE" "ADVICE" steps=.. scope=.. window=.. [options] */
static bool detection_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct load *l = ctx;
	struct detections *d = l->d;
	const struct knowledge *k = l->k;
	if (d->n == DETECT_MAX)
		return line_fail(ps, w[1], "more than %d detections at", DETECT_MAX);
	struct detection *x = &d->v[d->n];
	memset(x, 0, sizeof *x);
	x->src_role = x->dst_role = -1;
	x->site = -1;
	x->ordered = true;
	struct finding_kind *fk = &x->kind;
	if (!copy_word(ps, fk->id, sizeof fk->id, w[1], "an id") ||
	    !copy_word(ps, fk->category, sizeof fk->category, w[5], "a category") ||
	    !copy_word(ps, fk->message, sizeof fk->message, w[6], "a sentence") ||
	    !copy_word(ps, fk->advice, sizeof fk->advice, w[7], "the advice"))
		return false;
	if (policy_kind(k->policy, fk->id) || detections_find(d, fk->id))
		return line_fail(ps, w[1], "a finding id used twice:");
	char *end;
	unsigned long sid = strtoul(w[2], &end, 10);
	if (*end || sid == 0 || sid > 0xffffffffUL)
		return line_fail(ps, w[2], "a signature id is a number 1..4294967295, not");
	for (unsigned i = 0; i < k->policy->nkinds; i++)
		if (k->policy->kinds[i].sid == sid)
			return line_fail(ps, w[2], "a signature id used twice:");
	for (unsigned i = 0; i < d->n; i++)
		if (d->v[i].kind.sid == sid)
			return line_fail(ps, w[2], "a signature id used twice:");
	fk->sid = (uint32_t)sid;
	if (strlen(w[3]) != 1 || w[3][0] < '1' || w[3][0] > '3')
		return line_fail(ps, w[3], "severity is 1, 2 or 3, not");
	fk->severity = (uint8_t)(w[3][0] - '0');
	if (!strcmp(w[4], "noncompliant"))
		fk->verdict = VERDICT_NONCOMPLIANT;
	else if (!strcmp(w[4], "unexpected"))
		fk->verdict = VERDICT_UNEXPECTED;
	else if (!strcmp(w[4], "informational"))
		fk->verdict = VERDICT_INFORMATIONAL;
	else
		return line_fail(ps, w[4], "a detection's verdict is informational, noncompliant or unexpected, not");
	const char *steps = NULL, *steps_word = NULL;
	for (int i = 8; i < n; i++) {
		const char *v;
		if ((v = word_value(w[i], "steps"))) {
			steps = v;
			steps_word = w[i];
		} else if ((v = word_value(w[i], "scope"))) {
			if (!strcmp(v, "pair"))
				x->scope = DETECT_SCOPE_PAIR;
			else if (!strcmp(v, "source"))
				x->scope = DETECT_SCOPE_SOURCE;
			else
				return line_fail(ps, w[i], "scope= is pair or source, not");
		} else if ((v = word_value(w[i], "window"))) {
			unsigned long s = strtoul(v, &end, 10);
			if (!*v || *end || s == 0 || s > 86400)
				return line_fail(ps, w[i], "window= is 1..86400 seconds, not");
			x->window_s = (uint32_t)s;
		} else if ((v = word_value(w[i], "order"))) {
			if (!strcmp(v, "any"))
				x->ordered = false;
			else if (strcmp(v, "listed"))
				return line_fail(ps, w[i], "order= is listed or any, not");
		} else if ((v = word_value(w[i], "technique"))) {
			if (!copy_word(ps, x->technique, sizeof x->technique, strcmp(v, "-") ? v : "", "a technique id"))
				return false;
		} else if ((v = word_value(w[i], "source"))) {
			if (!copy_word(ps, fk->advice_source, sizeof fk->advice_source, v, "the source"))
				return false;
		} else if ((v = word_value(w[i], "mitre"))) {
			if (!copy_word(ps, x->mitre, sizeof x->mitre, strcmp(v, "-") ? v : "", "ATT&CK ids"))
				return false;
		} else if ((v = word_value(w[i], "src"))) {
			if (!parse_role(ps, k, v, w[i], &x->src_role, &x->src_not))
				return false;
		} else if ((v = word_value(w[i], "dest"))) {
			if (!parse_role(ps, k, v, w[i], &x->dst_role, &x->dst_not))
				return false;
		} else if ((v = word_value(w[i], "site"))) {
			if (!strcmp(v, "configured"))
				x->site = 1;
			else if (!strcmp(v, "none"))
				x->site = 0;
			else
				return line_fail(ps, w[i], "site= is configured or none, not");
		} else {
			return line_fail(ps, w[i], "an option a detection does not take:");
		}
	}
	if (!steps || !x->scope || !x->window_s)
		return line_fail(ps, w[1], "a detection needs steps=, scope= and window=, at");
	if (!parse_steps(ps, d, x, steps, steps_word))
		return false;
	for (unsigned st = 0; st < x->nsteps; st++)
		for (unsigned a = 0; a < x->nalts[st]; a++)
			d->kinds |= 1u << d->preds[x->alts[st][a]].kind;
	d->n++;
	return true;
}

static const struct line_keyword detect_keywords[] = {
	{ "step", 3, LINE_MAX_WORDS, step_line },
	{ "detection", 8, LINE_MAX_WORDS, detection_line },
};

struct detections *detections_load(const char *path, const struct knowledge *k, char *err, size_t errlen)
{
	struct detections *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct load l = { d, k };
	if (!line_file_read(path, detect_keywords, sizeof detect_keywords / sizeof detect_keywords[0], &l, err, errlen)) {
		free(d);
		return NULL;
	}
	return d;
}

void detections_free(struct detections *d)
{
	free(d);
}

const struct detection *detections_find(const struct detections *d, const char *id)
{
	for (unsigned i = 0; d && i < d->n; i++)
		if (!strcmp(d->v[i].kind.id, id))
			return &d->v[i];
	return NULL;
}

void detections_list(const struct detections *d, const struct roles *roles, FILE *out)
{
	for (unsigned i = 0; d && i < d->n; i++) {
		const struct detection *x = &d->v[i];
		char cond[160] = "";
		size_t o = 0;
		if (x->src_role >= 0)
			o += (size_t)snprintf(cond + o, sizeof cond - o, "src=%s%s", x->src_not ? "!" : "", roles->name[x->src_role]);
		if (x->dst_role >= 0 && o < sizeof cond)
			o += (size_t)snprintf(cond + o, sizeof cond - o, "%sdest=%s%s", o ? " " : "", x->dst_not ? "!" : "",
					      roles->name[x->dst_role]);
		if (x->site >= 0 && o < sizeof cond)
			snprintf(cond + o, sizeof cond - o, "%ssite=%s", o ? " " : "", x->site ? "configured" : "none");
		fprintf(out, "%s\t%u\t%u\t%s\t%s\t%s\t%s\t%u\t%s\t%s\n", x->kind.id, x->kind.sid, x->kind.severity,
			verdict_name((enum verdict)x->kind.verdict), x->technique[0] ? x->technique : "-",
			x->mitre[0] ? x->mitre : "-", detect_scope_name(x->scope), x->window_s, cond[0] ? cond : "-",
			x->steps_text);
	}
}

const char *detect_scope_name(uint8_t scope)
{
	return scope == DETECT_SCOPE_SOURCE ? "source" : "pair";
}

/* ---- the predicates on an ended flow ---- */

/* What a step matched on a flow: its span, and a sentence of what was seen. */
struct step_match {
	uint64_t begin_us, end_us;
	char what[DETECT_WHAT_MAX];
};

static bool in_list(const char (*v)[32], unsigned n, const char *s)
{
	for (unsigned i = 0; s && i < n; i++)
		if (!strcasecmp(v[i], s))
			return true;
	return false;
}

static bool has_suffix(const struct detect_pred *p, const char *name)
{
	if (!p->nsuffixes)
		return true;
	size_t n = strlen(name);
	for (unsigned i = 0; i < p->nsuffixes; i++) {
		size_t m = strlen(p->suffixes[i]);
		if (m <= n && !strcasecmp(name + n - m, p->suffixes[i]))
			return true;
	}
	return false;
}

static void span_add(struct step_match *m, bool *any, uint64_t begin, uint64_t end)
{
	if (!*any || begin < m->begin_us)
		m->begin_us = begin;
	if (!*any || end > m->end_us)
		m->end_us = end;
	*any = true;
}

static bool match_smb_tree(const struct detect_pred *p, const struct flow_smbrpc *r, struct step_match *m)
{
	bool any = false;
	for (unsigned i = 0; r && i < r->nshares; i++) {
		const struct smbrpc_share *s = &r->shares[i];
		if (s->status || !in_list(p->shares, p->nshares, s->name))
			continue;
		if (!any)
			snprintf(m->what, sizeof m->what, "SMB tree connect %s", s->name);
		span_add(m, &any, s->ts_us, s->ts_us);
	}
	return any;
}

static bool match_smb_write(const struct detect_pred *p, const struct flow_smbrpc *r, struct step_match *m)
{
	bool any = false;
	unsigned more = 0;
	for (unsigned i = 0; r && i < r->nfiles; i++) {
		const struct smbrpc_file *x = &r->files[i];
		const char *share = x->share >= 0 ? r->shares[x->share].name : NULL;
		if ((!x->writes && !x->created) || !in_list(p->shares, p->nshares, share) || !has_suffix(p, x->name))
			continue;
		if (any)
			more++;
		else
			snprintf(m->what, sizeof m->what, "SMB %s %s\\%.80s (%llu bytes)", x->writes ? "write" : "create",
				 share, x->name, (unsigned long long)x->bytes_written);
		span_add(m, &any, x->first_us, x->last_us);
	}
	if (more) {
		size_t n = strlen(m->what);
		snprintf(m->what + n, sizeof m->what - n, " and %u more file%s", more, more > 1 ? "s" : "");
	}
	return any;
}

static bool match_rpc(const struct knowledge *k, const struct detect_pred *p, const struct flow *f,
		      const struct flow_smbrpc *r, struct step_match *m)
{
	bool any = false;
	size_t o = 0;
	for (unsigned i = 0; r && i < r->nifaces; i++) {
		const struct smbrpc_iface *x = &r->ifaces[i];
		if ((p->over == DETECT_OVER_TCP && x->pipe >= 0) || (p->over == DETECT_OVER_PIPE && x->pipe < 0))
			continue;
		int which = -1;
		for (unsigned j = 0; j < p->nifaces && which < 0; j++)
			if (!memcmp(p->ifaces[j], x->uuid, 16))
				which = (int)j;
		if (which < 0)
			continue;
		char ops[96];
		size_t on = 0;
		bool called = !p->nops;
		ops[0] = '\0';
		for (unsigned j = 0; j < p->nops; j++) {
			if (p->ops[j].iface != which || !smbrpc_iface_called(x, p->ops[j].opnum))
				continue;
			const char *name = knowledge_rpc_opnum_name(k, x->uuid, p->ops[j].opnum);
			char num[8];
			snprintf(num, sizeof num, "%u", p->ops[j].opnum);
			on += (size_t)snprintf(ops + (on < sizeof ops ? on : sizeof ops - 1), on < sizeof ops ? sizeof ops - on : 1,
					       "%s%s", called ? ", " : "", name ? name : num);
			called = true;
		}
		if (!called)
			continue;
		const char *iname = knowledge_rpc_name(k, x->uuid);
		char u[UUID_STR_LEN];
		const char *via = x->pipe >= 0 ? r->pipes[x->pipe].name : NULL;
		char refused[32] = "";
		if (x->faults)
			snprintf(refused, sizeof refused, " (refused: %u fault%s)", x->faults, x->faults > 1 ? "s" : "");
		else if (x->has_ack && x->ack_result)
			snprintf(refused, sizeof refused, " (bind rejected)");
		if (!any)
			o = (size_t)snprintf(m->what, sizeof m->what, "%s%s%s over %s%s%s", iname ? iname : uuid_format(x->uuid, u),
					     ops[0] ? " " : " bound", ops, via ? "\\" : "TCP", via ? via : "", refused);
		else if (o < sizeof m->what)
			o += (size_t)snprintf(m->what + o, sizeof m->what - o, "; %s %s", iname ? iname : "", ops);
		uint64_t b = x->requests ? x->first_us : f->ts_first, e = x->requests ? x->last_us : f->ts_first;
		span_add(m, &any, b, e);
	}
	return any;
}

static bool match_http(const struct detect_pred *p, const struct flow *f, struct step_match *m)
{
	const struct flow_ext *x = f->ext;
	if (!x || !x->http_method)
		return false;
	bool ok = !p->nmethods;
	for (unsigned i = 0; i < p->nmethods && !ok; i++)
		ok = !strcmp(p->methods[i], x->http_method);
	bool url = !p->nurls;
	for (unsigned i = 0; i < p->nurls && !url && x->http_url; i++)
		url = !strncasecmp(x->http_url, p->urls[i], strlen(p->urls[i]));
	if (!ok || !url)
		return false;
	snprintf(m->what, sizeof m->what, "HTTP %s %.120s", x->http_method, x->http_url ? x->http_url : "");
	m->begin_us = m->end_us = f->ts_first;
	return true;
}

static bool match_pred(const struct knowledge *k, const struct detect_pred *p, const struct flow *f,
		       struct step_match *m)
{
	const struct flow_smbrpc *r = flow_smbrpc(f);
	switch (p->kind) {
	case DETECT_SMB_TREE: return match_smb_tree(p, r, m);
	case DETECT_SMB_WRITE: return match_smb_write(p, r, m);
	case DETECT_RPC: return match_rpc(k, p, f, r, m);
	case DETECT_HTTP: return match_http(p, f, m);
	default: return false;
	}
}

/* The step of d that f matches, written into m (the first alternative that matches). */
static bool match_step(const struct knowledge *k, const struct detections *ds, const struct detection *d,
		       unsigned st, const struct flow *f, struct step_match *m)
{
	for (unsigned a = 0; a < d->nalts[st]; a++)
		if (match_pred(k, &ds->preds[d->alts[st][a]], f, m))
			return true;
	return false;
}

/* The role conditions, on the roles the site configuration gives (inferred roles never vouch nor accuse). */
static bool conditions_hold(const struct knowledge *k, const struct detection *d, const struct flow_label *lab)
{
	bool configured = site_host_count(k->site) > 0;
	if (d->site >= 0 && (d->site == 1) != configured)
		return false;
	role_set src = lab ? lab->src_roles & ~lab->src_inferred : 0;
	role_set dst = lab ? lab->dst_roles & ~lab->dst_inferred : 0;
	if (d->src_role >= 0 && ((src & ROLE_BIT(d->src_role)) != 0) == d->src_not)
		return false;
	if (d->dst_role >= 0 && ((dst & ROLE_BIT(d->dst_role)) != 0) == d->dst_not)
		return false;
	return true;
}

void detect_match_flow(const struct knowledge *k, const struct flow *f,
		       void (*fn)(void *ctx, const struct detection *d, unsigned step, const char *what), void *ctx)
{
	const struct detections *ds = k ? k->detections : NULL;
	if (!ds || !f->ext)
		return;
	for (unsigned i = 0; i < ds->n; i++)
		for (unsigned st = 0; st < ds->v[i].nsteps; st++) {
			struct step_match m = { 0 };
			if (match_step(k, ds, &ds->v[i], st, f, &m))
				fn(ctx, &ds->v[i], st, m.what);
		}
}

/* ---- the sequences under way ---- */

#define NONE 0u /* index + 1 links; 0 ends a list */

/* Invariant: used entries are in one hash chain and in the LRU list (head = most recently touched); nocc[s]
 * occurrences of step s, oldest first. */
struct entry {
	char id[sizeof(((struct finding_kind *)0)->id)];
	uint8_t family;
	uint8_t src[16], dst[16];
	uint8_t nsteps;
	uint8_t nocc[DETECT_STEPS_MAX];
	struct detect_step_hit occ[DETECT_STEPS_MAX][DETECT_OCC_MAX];
	uint64_t newest_us;        /* the latest end of its occurrences */
	uint32_t window_s;
	uint32_t hnext, prev, next;
	uint32_t bucket;
};

struct detect_table {
	pthread_mutex_t lock;
	struct hash_key key;
	uint32_t capacity, nbuckets, grace_s;
	struct entry **e;          /* [capacity], allocated as used */
	uint32_t *buckets;         /* chain heads */
	uint32_t *free_ix;         /* a stack of free indexes */
	uint32_t nfree;
	uint32_t head, tail;       /* the LRU list */
	uint64_t now_us;
	struct detect_stats st;
};

struct detect_table *detect_table_new(uint32_t capacity, uint32_t grace_s)
{
	struct detect_table *t = calloc(1, sizeof *t);
	if (!t || !capacity)
		goto fail;
	t->capacity = capacity;
	t->grace_s = grace_s;
	for (t->nbuckets = 64; t->nbuckets < capacity; t->nbuckets *= 2)
		;
	t->e = calloc(capacity, sizeof *t->e);
	t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
	t->free_ix = calloc(capacity, sizeof *t->free_ix);
	if (!t->e || !t->buckets || !t->free_ix)
		goto fail;
	for (uint32_t i = 0; i < capacity; i++)
		t->free_ix[t->nfree++] = capacity - 1 - i;
	hash_key_random(&t->key);
	pthread_mutex_init(&t->lock, NULL);
	t->st.capacity = capacity;
	return t;
fail:
	if (t) {
		free(t->e);
		free(t->buckets);
		free(t->free_ix);
		free(t);
	}
	return NULL;
}

void detect_table_free(struct detect_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->capacity; i++)
		free(t->e[i]);
	free(t->e);
	free(t->buckets);
	free(t->free_ix);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void detect_table_stats(struct detect_table *t, struct detect_stats *out)
{
	if (!t) {
		memset(out, 0, sizeof *out);
		return;
	}
	pthread_mutex_lock(&t->lock);
	*out = t->st;
	out->active = t->capacity - t->nfree;
	pthread_mutex_unlock(&t->lock);
}

static uint32_t bucket_of(const struct detect_table *t, const char *id, uint8_t family, const uint8_t *src,
			  const uint8_t *dst)
{
	uint8_t k[sizeof(((struct entry *)0)->id) + 33];
	memset(k, 0, sizeof k);
	snprintf((char *)k, sizeof(((struct entry *)0)->id), "%s", id);
	k[sizeof(((struct entry *)0)->id)] = family;
	memcpy(k + sizeof(((struct entry *)0)->id) + 1, src, 16);
	memcpy(k + sizeof(((struct entry *)0)->id) + 17, dst, 16);
	return (uint32_t)(hash_siphash13(&t->key, k, sizeof k) & (t->nbuckets - 1));
}

static void lru_unlink(struct detect_table *t, uint32_t i)
{
	struct entry *x = t->e[i];
	if (x->prev)
		t->e[x->prev - 1]->next = x->next;
	else
		t->head = x->next;
	if (x->next)
		t->e[x->next - 1]->prev = x->prev;
	else
		t->tail = x->prev;
	x->prev = x->next = NONE;
}

static void lru_push(struct detect_table *t, uint32_t i)
{
	struct entry *x = t->e[i];
	x->prev = NONE;
	x->next = t->head;
	if (t->head)
		t->e[t->head - 1]->prev = i + 1;
	t->head = i + 1;
	if (!t->tail)
		t->tail = i + 1;
}

static bool entry_stale(const struct detect_table *t, const struct entry *x)
{
	return x->newest_us + ((uint64_t)x->window_s + t->grace_s) * 1000000u < t->now_us;
}

static unsigned entry_occurrences(const struct entry *x)
{
	unsigned n = 0;
	for (unsigned s = 0; s < x->nsteps; s++)
		n += x->nocc[s];
	return n;
}

/* Removes entry i from its chain and the LRU list, and frees its index (its memory is kept for the next). */
static void entry_remove(struct detect_table *t, uint32_t i)
{
	struct entry *x = t->e[i];
	uint32_t *link = &t->buckets[x->bucket];
	while (*link && *link != i + 1)
		link = &t->e[*link - 1]->hnext;
	if (*link)
		*link = x->hnext;
	lru_unlink(t, i);
	t->free_ix[t->nfree++] = i;
}

/* The entry of a detection and its hosts: found, or made (the least recently touched goes when full). NULL when
 * memory is short. */
static struct entry *entry_get(struct detect_table *t, const struct detection *d, uint8_t family, const uint8_t *src,
			       const uint8_t *dst)
{
	uint32_t b = bucket_of(t, d->kind.id, family, src, dst);
	for (uint32_t i = t->buckets[b]; i; i = t->e[i - 1]->hnext) {
		struct entry *x = t->e[i - 1];
		if (x->family == family && !memcmp(x->src, src, 16) && !memcmp(x->dst, dst, 16) && !strcmp(x->id, d->kind.id)) {
			if (entry_stale(t, x) && entry_occurrences(x)) {
				t->st.expired++;
				memset(x->nocc, 0, sizeof x->nocc);
			}
			x->nsteps = d->nsteps; /* a reload may have changed the detection */
			x->window_s = d->window_s;
			lru_unlink(t, i - 1);
			lru_push(t, i - 1);
			return x;
		}
	}
	if (!t->nfree) {
		uint32_t victim = t->tail - 1;
		struct entry *v = t->e[victim];
		if (entry_occurrences(v)) {
			if (entry_stale(t, v))
				t->st.expired++;
			else
				t->st.evicted++;
		}
		entry_remove(t, victim);
	}
	uint32_t i = t->free_ix[--t->nfree];
	if (!t->e[i] && !(t->e[i] = malloc(sizeof *t->e[i]))) {
		t->nfree++;
		return NULL;
	}
	struct entry *x = t->e[i];
	memset(x, 0, sizeof *x);
	snprintf(x->id, sizeof x->id, "%s", d->kind.id);
	x->family = family;
	memcpy(x->src, src, 16);
	memcpy(x->dst, dst, 16);
	x->nsteps = d->nsteps;
	x->window_s = d->window_s;
	x->bucket = b;
	x->hnext = t->buckets[b];
	t->buckets[b] = i + 1;
	lru_push(t, i);
	return x;
}

static void occ_add(struct detect_table *t, struct entry *x, unsigned st, const struct flow *f,
		    const struct flow_label *lab, const struct step_match *m)
{
	if (x->nocc[st] == DETECT_OCC_MAX) { /* the oldest goes */
		memmove(&x->occ[st][0], &x->occ[st][1], (DETECT_OCC_MAX - 1) * sizeof x->occ[st][0]);
		x->nocc[st]--;
		t->st.occ_dropped++;
	}
	struct detect_step_hit *h = &x->occ[st][x->nocc[st]++];
	h->flow_id = f->id;
	h->key = f->key;
	h->init_is_lo = f->init_is_lo;
	h->flow_first_us = f->ts_first;
	h->flow_last_us = f->ts_last;
	h->begin_us = m->begin_us;
	h->end_us = m->end_us;
	snprintf(h->rule, sizeof h->rule, "%s", lab && lab->matched ? lab->match.best->id : "");
	snprintf(h->what, sizeof h->what, "%s", m->what);
	if (m->end_us > x->newest_us)
		x->newest_us = m->end_us;
	t->st.occurrences++;
}

/* A choice of one occurrence a step, in order when the detection is ordered, spanning at most its window:
 * pick[] gets it. Steps are few and occurrences fewer: every combination is tried, latest occurrences first. */
static bool choose(const struct entry *x, const struct detection *d, unsigned st, int *pick, uint64_t min_end,
		   uint64_t max_begin)
{
	if (st == x->nsteps)
		return max_begin <= min_end || max_begin - min_end <= (uint64_t)d->window_s * 1000000u;
	for (int o = x->nocc[st] - 1; o >= 0; o--) {
		const struct detect_step_hit *h = &x->occ[st][o];
		if (st && d->ordered && h->end_us < x->occ[st - 1][pick[st - 1]].begin_us)
			continue;
		pick[st] = o;
		uint64_t e = st && min_end < h->end_us ? min_end : h->end_us;
		uint64_t b = st && max_begin > h->begin_us ? max_begin : h->begin_us;
		if (choose(x, d, st + 1, pick, e, b))
			return true;
	}
	return false;
}

static int by_begin(const void *a, const void *b)
{
	const struct detect_step_hit *x = a, *y = b;
	return x->begin_us < y->begin_us ? -1 : x->begin_us > y->begin_us ? 1 : (int)x->step - (int)y->step;
}

/* The hit of entry x: the chosen occurrences, and every other one of its steps within the window around them. */
static void hit_of(const struct entry *x, const struct detection *d, const int *pick, struct detect_hit *h)
{
	uint64_t lo = UINT64_MAX, hi = 0, w = (uint64_t)d->window_s * 1000000u;
	for (unsigned st = 0; st < x->nsteps; st++) {
		const struct detect_step_hit *o = &x->occ[st][pick[st]];
		if (o->end_us < lo)
			lo = o->end_us;
		if (o->begin_us > hi)
			hi = o->begin_us;
	}
	h->d = d;
	h->family = x->family;
	memcpy(h->src, x->src, 16);
	memcpy(h->dst, x->dst, 16);
	h->nsteps = 0;
	for (unsigned st = 0; st < x->nsteps; st++)
		for (int o = 0; o < x->nocc[st]; o++) {
			const struct detect_step_hit *oc = &x->occ[st][o];
			bool chosen = o == pick[st];
			if (!chosen && (oc->end_us + w < hi || oc->begin_us > lo + w))
				continue;
			if (h->nsteps == DETECT_HIT_MAX)
				break;
			h->steps[h->nsteps] = *oc;
			h->steps[h->nsteps++].step = (uint8_t)st;
		}
	qsort(h->steps, h->nsteps, sizeof h->steps[0], by_begin);
}

/* detect_flow for a flow that may match a step (its descriptions take a large frame: apart from the quick test). */
static __attribute__((noinline)) unsigned flow_steps(struct detect_table *t, const struct knowledge *k,
						     const struct detections *ds, const struct flow *f,
						     const struct flow_label *lab, uint64_t now_us, struct detect_hit *hits,
						     unsigned max)
{
	/* what this flow matches, before any lock: most flows match nothing */
	struct step_match m[DETECT_MAX][DETECT_STEPS_MAX];
	bool matched[DETECT_MAX][DETECT_STEPS_MAX];
	bool anything = false;
	for (unsigned i = 0; i < ds->n; i++)
		for (unsigned st = 0; st < ds->v[i].nsteps; st++) {
			matched[i][st] = match_step(k, ds, &ds->v[i], st, f, &m[i][st]);
			anything |= matched[i][st];
		}
	if (!anything)
		return 0;
	uint8_t none[16] = { 0 };
	unsigned nhits = 0;
	pthread_mutex_lock(&t->lock);
	if (now_us > t->now_us)
		t->now_us = now_us;
	for (unsigned i = 0; i < ds->n; i++) {
		const struct detection *d = &ds->v[i];
		bool some = false;
		for (unsigned st = 0; st < d->nsteps; st++)
			some |= matched[i][st];
		if (!some || !conditions_hold(k, d, lab))
			continue;
		const uint8_t *src = flow_src_addr(f), *dst = d->scope == DETECT_SCOPE_PAIR ? flow_dst_addr(f) : none;
		struct entry *x = entry_get(t, d, f->key.family, src, dst);
		if (!x)
			continue;
		for (unsigned st = 0; st < d->nsteps; st++)
			if (matched[i][st])
				occ_add(t, x, st, f, lab, &m[i][st]);
		int pick[DETECT_STEPS_MAX];
		if (!choose(x, d, 0, pick, 0, 0))
			continue;
		t->st.hits++;
		if (nhits < max)
			hit_of(x, d, pick, &hits[nhits++]);
		memset(x->nocc, 0, sizeof x->nocc); /* spent: the next sequence starts afresh */
	}
	pthread_mutex_unlock(&t->lock);
	return nhits;
}

unsigned detect_flow(struct detect_table *t, const struct knowledge *k, const struct flow *f,
		     const struct flow_label *lab, uint64_t now_us, struct detect_hit *hits, unsigned max)
{
	const struct detections *ds = k ? k->detections : NULL;
	if (!t || !ds || !ds->n || !f->ext)
		return 0;
	/* most flows kept nothing any step reads: no SMB or DCE/RPC record, no HTTP request the detections want */
	bool smbrpc = f->ext->smbrpc &&
		      (ds->kinds & (1u << DETECT_SMB_TREE | 1u << DETECT_SMB_WRITE | 1u << DETECT_RPC));
	bool http = f->ext->http_method && (ds->kinds & 1u << DETECT_HTTP);
	if (!smbrpc && !http)
		return 0;
	return flow_steps(t, k, ds, f, lab, now_us, hits, max);
}
