/* detect.c: detections over sequences of flows (detect.h): the definitions' loader, the steps' predicates on an
 * ended flow, and the shared table of sequences under way. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/detect.h"
#include "audit/rpc_names.h"
#include "audit/label.h"
#include "audit/policy.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "flow/auth.h"
#include "flow/boot.h"
#include "flow/flow_ext.h"
#include "flow/http_requests.h"
#include "flow/smbrpc.h"
#include "lib/hash.h"
#include "lib/lineparse.h"
#include "lib/util.h"
#include "proto/dcerpc.h"

/* ---- loading ---- */

struct load {
	struct detections *d;
	const struct detect_env *k;
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

static bool add_agent(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	(void)ctx;
	ADD_STRING(agents, nagents, "user agents");
}

static bool add_status(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	(void)ctx;
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (*end || n < 100 || n > 999)
		return line_fail(ps, v, "an HTTP status is 100..999, not");
	if (p->nstatuses == DETECT_VALUES_MAX)
		return line_fail(ps, v, "more than %d statuses at", DETECT_VALUES_MAX);
	p->statuses[p->nstatuses++] = (uint16_t)n;
	return true;
}

/* header=NAME or header=NAME:TEXT: a test of the detections' table (shared by the steps that ask the same). */
static bool add_header(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	struct http_header_tests *t = ctx;
	const char *colon = strchr(v, ':');
	size_t nl = colon ? (size_t)(colon - v) : strlen(v);
	const char *text = colon ? colon + 1 : "";
	if (!nl || nl >= sizeof t->v[0].name || strlen(text) >= sizeof t->v[0].contains)
		return line_fail(ps, v, "a header test is NAME or NAME:TEXT (name under 48 bytes, text under 80), not");
	unsigned i = 0;
	while (i < t->n && !(strlen(t->v[i].name) == nl && !strncasecmp(t->v[i].name, v, nl) &&
			     !strcmp(t->v[i].contains, text)))
		i++;
	if (i == t->n) {
		if (t->n == HTTP_HEADER_TESTS_MAX)
			return line_fail(ps, v, "more than %d header tests at", HTTP_HEADER_TESTS_MAX);
		snprintf(t->v[i].name, sizeof t->v[i].name, "%.*s", (int)nl, v);
		snprintf(t->v[i].contains, sizeof t->v[i].contains, "%s", text);
		t->n++;
	}
	p->header_bits |= 1u << i;
	return true;
}

static bool add_over(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	(void)ctx;
	for (uint8_t o = AUTH_OVER_SMB; o <= AUTH_OVER_TDS; o++)
		if (!strcmp(v, auth_over_name(o))) {
			p->overs |= (uint8_t)(1u << o);
			return true;
		}
	return line_fail(ps, v, "over= is smb, http, dcerpc, ldap or tds, not");
}

static bool add_pxe_type(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	(void)ctx;
	if (strlen(v) != 1 || v[0] < '0' || v[0] > '7')
		return line_fail(ps, v, "an option 243 type is 0..7, not");
	p->pxe_types |= (uint8_t)(1u << (v[0] - '0'));
	return true;
}

static bool add_iface(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	const struct detect_env *k = ctx;
	if (p->nifaces == DETECT_VALUES_MAX)
		return line_fail(ps, v, "more than %d interfaces at", DETECT_VALUES_MAX);
	if (!uuid_parse(v, p->ifaces[p->nifaces]) && !rpc_names_uuid(k->rpc, v, p->ifaces[p->nifaces]))
		return line_fail(ps, v, "an interface of rpc-interfaces.txt (a name or a UUID), not");
	p->nifaces++;
	return true;
}

/* An opnum by number (on every interface of the step) or by name (on each interface that names it). */
static bool add_opnum(struct line_parse *ps, struct detect_pred *p, const char *v, void *ctx)
{
	const struct detect_env *k = ctx;
	char *end;
	unsigned long num = strtoul(v, &end, 10);
	bool numeric = *v && !*end && num <= 65535;
	bool found = false;
	for (unsigned i = 0; i < p->nifaces; i++) {
		unsigned op = (unsigned)num;
		if (!numeric && !rpc_names_opnum(k->rpc, p->ifaces[i], v, &op))
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
	{ "auth", DETECT_AUTH },
	{ "dhcp", DETECT_DHCP },
	{ "tftp", DETECT_TFTP },
	{ "smb-signing", DETECT_SMB_SIGNING },
	{ "ntlm-relay", DETECT_NTLM_RELAY },
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
		return line_fail(ps, w[2], "a step is smb-tree, smb-write, rpc, http, auth, dhcp, tftp, smb-signing or "
					   "ntlm-relay, not");
	p->anonymous = -1;
	p->signing_required = -1;
	const char *opnums = NULL;
	for (int i = 3; i < n; i++) {
		const char *v;
		bool smb = p->kind == DETECT_SMB_TREE || p->kind == DETECT_SMB_WRITE;
		if (smb && (v = word_value(w[i], "share"))) {
			if (!each_value(ps, v, w[i], add_share, p, NULL))
				return false;
		} else if ((p->kind == DETECT_SMB_WRITE || p->kind == DETECT_TFTP) && (v = word_value(w[i], "name-suffix"))) {
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
		} else if (p->kind == DETECT_HTTP && (v = word_value(w[i], "status"))) {
			if (!each_value(ps, v, w[i], add_status, p, NULL))
				return false;
		} else if (p->kind == DETECT_HTTP && (v = word_value(w[i], "user-agent"))) {
			if (!each_value(ps, v, w[i], add_agent, p, NULL))
				return false;
		} else if (p->kind == DETECT_HTTP && (v = word_value(w[i], "header"))) {
			if (!each_value(ps, v, w[i], add_header, p, &d->header_tests))
				return false;
		} else if ((p->kind == DETECT_AUTH || p->kind == DETECT_NTLM_RELAY) && (v = word_value(w[i], "over"))) {
			if (!each_value(ps, v, w[i], add_over, p, NULL))
				return false;
		} else if (p->kind == DETECT_AUTH && (v = word_value(w[i], "mech"))) {
			if (!strcmp(v, "ntlm"))
				p->mech = AUTH_MECH_NTLM;
			else if (!strcmp(v, "kerberos"))
				p->mech = AUTH_MECH_KERBEROS;
			else
				return line_fail(ps, w[i], "mech= is ntlm or kerberos, not");
		} else if (p->kind == DETECT_AUTH && (v = word_value(w[i], "type"))) {
			if (!strcmp(v, "NEGOTIATE"))
				p->auth_type = 1;
			else if (!strcmp(v, "CHALLENGE"))
				p->auth_type = 2;
			else if (!strcmp(v, "AUTHENTICATE"))
				p->auth_type = 3;
			else
				return line_fail(ps, w[i], "type= is NEGOTIATE, CHALLENGE or AUTHENTICATE, not");
			p->mech = AUTH_MECH_NTLM;
		} else if (p->kind == DETECT_AUTH && (v = word_value(w[i], "anonymous"))) {
			if (strcmp(v, "yes") && strcmp(v, "no"))
				return line_fail(ps, w[i], "anonymous= is yes or no, not");
			p->anonymous = !strcmp(v, "yes");
		} else if (p->kind == DETECT_DHCP && (v = word_value(w[i], "pxe-243"))) {
			p->has_pxe = true;
			if (strcmp(v, "any") && !each_value(ps, v, w[i], add_pxe_type, p, NULL))
				return false;
		} else if (p->kind == DETECT_SMB_SIGNING && (v = word_value(w[i], "required"))) {
			if (strcmp(v, "yes") && strcmp(v, "no"))
				return line_fail(ps, w[i], "required= is yes or no, not");
			p->signing_required = !strcmp(v, "yes");
		} else {
			return line_fail(ps, w[i], "an argument this kind of step does not take:");
		}
	}
	if ((p->kind == DETECT_SMB_TREE || p->kind == DETECT_SMB_WRITE) && !p->nshares)
		return line_fail(ps, w[1], "an SMB step needs share=, at");
	if (p->kind == DETECT_RPC && !p->nifaces)
		return line_fail(ps, w[1], "an rpc step needs iface=, at");
	if (p->kind == DETECT_HTTP && !p->nmethods && !p->nurls && !p->nagents && !p->header_bits)
		return line_fail(ps, w[1], "an http step needs method=, url=, user-agent= or header=, at");
	if (p->kind == DETECT_TFTP && !p->nsuffixes)
		return line_fail(ps, w[1], "a tftp step needs name-suffix=, at");
	if (p->kind == DETECT_SMB_SIGNING && p->signing_required < 0)
		return line_fail(ps, w[1], "an smb-signing step needs required=, at");
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

/* ROLE,ROLE.. or !ROLE,ROLE..: one of them (none of them); an element @NAME is a `roles` line's set. */
static bool parse_role(struct line_parse *ps, const struct detect_env *k, const struct detections *d, const char *v,
		       const char *word, role_set *roles, bool *not)
{
	*not = *v == '!';
	if (*not)
		v++;
	*roles = 0;
	while (*v) {
		size_t n = strcspn(v, ",");
		if (*v == '@') {
			unsigned i = 0;
			while (i < d->nsets && !(strlen(d->sets[i].name) == n - 1 && !strncmp(d->sets[i].name, v + 1, n - 1)))
				i++;
			if (i == d->nsets)
				return line_fail(ps, word, "a set of roles no earlier 'roles' line names in");
			*roles |= d->sets[i].roles;
		} else {
			int r = roles_find(&k->rules->roles, v, n);
			if (r < 0)
				return line_fail(ps, word, "roles of the rules file in");
			*roles |= ROLE_BIT(r);
		}
		v += n + (v[n] == ',');
	}
	return *roles ? true : line_fail(ps, word, "no role in");
}

/* detection ID SID SEVERITY VERDICT "CATEGORY" "SENTENCE" "ADVICE" steps=.. scope=.. window=.. [options] */
static bool detection_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct load *l = ctx;
	struct detections *d = l->d;
	const struct detect_env *k = l->k;
	if (d->n == DETECT_MAX)
		return line_fail(ps, w[1], "more than %d detections at", DETECT_MAX);
	struct detection *x = &d->v[d->n];
	memset(x, 0, sizeof *x);
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
		} else if ((v = word_value(w[i], "kind"))) {
			if (!strcmp(v, "posture"))
				x->posture = true;
			else if (strcmp(v, "activity"))
				return line_fail(ps, w[i], "kind= is activity or posture, not");
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
			if (!parse_role(ps, k, d, v, w[i], &x->src_roles, &x->src_not))
				return false;
		} else if ((v = word_value(w[i], "dest"))) {
			if (!parse_role(ps, k, d, v, w[i], &x->dst_roles, &x->dst_not))
				return false;
		} else if ((v = word_value(w[i], "hosts"))) {
			unsigned long h = strtoul(v, &end, 10);
			if (!*v || *end || h < 2 || h > DETECT_OCC_MAX)
				return line_fail(ps, w[i], "hosts= is 2..%d, not", DETECT_OCC_MAX);
			x->min_hosts = (uint8_t)h;
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
	bool relay = false;
	for (unsigned st = 0; st < x->nsteps; st++)
		for (unsigned a = 0; a < x->nalts[st]; a++)
			relay |= d->preds[x->alts[st][a]].kind == DETECT_NTLM_RELAY;
	if (relay && (x->nsteps != 1 || x->nalts[0] != 1))
		return line_fail(ps, steps_word, "an ntlm-relay step is a detection's only step:");
	if (x->min_hosts && x->scope != DETECT_SCOPE_SOURCE)
		return line_fail(ps, w[1], "hosts= needs scope=source, at");
	if (relay && x->window_s > d->relay_window_s)
		d->relay_window_s = x->window_s;
	for (unsigned st = 0; st < x->nsteps; st++)
		for (unsigned a = 0; a < x->nalts[st]; a++)
			d->kinds |= 1u << d->preds[x->alts[st][a]].kind;
	d->n++;
	return true;
}

/* roles NAME ROLE,ROLE..: a set the detections name as @NAME */
static bool roles_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	(void)n;
	struct load *l = ctx;
	struct detections *d = l->d;
	if (d->nsets == sizeof d->sets / sizeof d->sets[0])
		return line_fail(ps, w[1], "too many role sets at");
	if (!copy_word(ps, d->sets[d->nsets].name, sizeof d->sets[0].name, w[1], "a set name"))
		return false;
	bool not;
	if (!parse_role(ps, l->k, d, w[2], w[2], &d->sets[d->nsets].roles, &not))
		return false;
	if (not)
		return line_fail(ps, w[2], "a set of roles is a list, without '!':");
	d->nsets++;
	return true;
}

static const struct line_keyword detect_keywords[] = {
	{ "roles", 3, 3, roles_line },
	{ "step", 3, LINE_MAX_WORDS, step_line },
	{ "detection", 8, LINE_MAX_WORDS, detection_line },
};

struct detections *detections_load(const char *path, const struct detect_env *k, char *err, size_t errlen)
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
		char cond[1200] = "";
		size_t o = 0;
		char rs[512];
		if (x->src_roles)
			o += (size_t)snprintf(cond + o, sizeof cond - o, "src=%s%s", x->src_not ? "!" : "",
					      roles_format(roles, x->src_roles, rs, sizeof rs));
		if (x->dst_roles && o < sizeof cond)
			o += (size_t)snprintf(cond + o, sizeof cond - o, "%sdest=%s%s", o ? " " : "", x->dst_not ? "!" : "",
					      roles_format(roles, x->dst_roles, rs, sizeof rs));
		if (x->min_hosts && o < sizeof cond)
			o += (size_t)snprintf(cond + o, sizeof cond - o, "%shosts=%u", o ? " " : "", x->min_hosts);
		if (x->site >= 0 && o < sizeof cond)
			snprintf(cond + o, sizeof cond - o, "%ssite=%s", o ? " " : "", x->site ? "configured" : "none");
		fprintf(out, "%s\t%u\t%u\t%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\n", x->kind.id, x->kind.sid, x->kind.severity,
			verdict_name((enum verdict)x->kind.verdict), x->technique[0] ? x->technique : "-",
			x->mitre[0] ? x->mitre : "-", detect_kind_name(x), detect_scope_name(x->scope), x->window_s,
			cond[0] ? cond : "-", x->steps_text);
	}
}

const char *detect_kind_name(const struct detection *x)
{
	return x->posture ? "posture" : "activity";
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

static bool match_rpc(const struct detect_env *k, const struct detect_pred *p, const struct flow *f,
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
			const char *name = rpc_names_opnum_name(k->rpc, x->uuid, p->ops[j].opnum);
			char num[8];
			snprintf(num, sizeof num, "%u", p->ops[j].opnum);
			on += (size_t)snprintf(ops + (on < sizeof ops ? on : sizeof ops - 1), on < sizeof ops ? sizeof ops - on : 1,
					       "%s%s", called ? ", " : "", name ? name : num);
			called = true;
		}
		if (!called)
			continue;
		const char *iname = rpc_names_name(k->rpc, x->uuid);
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

/* A URL pattern: a prefix, or with a final '$' the whole URL (case-insensitive). */
static bool url_matches(const char *pattern, const char *url)
{
	size_t n = strlen(pattern);
	if (n && pattern[n - 1] == '$')
		return strlen(url) == n - 1 && !strncasecmp(url, pattern, n - 1);
	return !strncasecmp(url, pattern, n);
}

static bool contains_nocase(const char *s, const char *sub)
{
	size_t n = strlen(s), k = strlen(sub);
	for (size_t i = 0; k <= n && i + k <= n; i++)
		if (!strncasecmp(s + i, sub, k))
			return true;
	return false;
}

static bool request_matches(const struct detect_pred *p, const struct http_req_seen *q)
{
	if (!q->method)
		return false;
	bool ok = !p->nmethods;
	for (unsigned i = 0; i < p->nmethods && !ok; i++)
		ok = !strcmp(p->methods[i], q->method);
	bool url = !p->nurls;
	for (unsigned i = 0; i < p->nurls && !url && q->url; i++)
		url = url_matches(p->urls[i], q->url);
	bool status = !p->nstatuses;
	for (unsigned i = 0; i < p->nstatuses && !status; i++)
		status = q->status == p->statuses[i];
	bool agent = !p->nagents;
	for (unsigned i = 0; i < p->nagents && !agent && q->user_agent; i++)
		agent = contains_nocase(q->user_agent, p->agents[i]);
	return ok && url && status && agent && (q->tests & p->header_bits) == p->header_bits;
}

/* Any request of the connection (http_requests.h: the first and the later ones kept). */
static bool match_http(const struct detect_pred *p, const struct flow *f, struct step_match *m)
{
	bool any = false;
	unsigned more = 0;
	struct http_req_seen q;
	for (unsigned i = 0; flow_http_get(f, i, &q); i++) {
		if (!request_matches(p, &q))
			continue;
		if (any) {
			more++;
		} else {
			char st[16] = "";
			if (q.status)
				snprintf(st, sizeof st, " (%u)", q.status);
			snprintf(m->what, sizeof m->what, "HTTP %.24s %.96s%s%s%.40s", q.method, q.url ? q.url : "", st,
				 q.user_agent ? ", User-Agent " : "", q.user_agent ? q.user_agent : "");
		}
		span_add(m, &any, q.ts_us, q.ts_us);
	}
	if (more) {
		size_t n = strlen(m->what);
		snprintf(m->what + n, sizeof m->what - n, " and %u more request%s", more, more > 1 ? "s" : "");
	}
	return any;
}

static uint64_t exchange_time(const struct auth_exchange *x)
{
	return x->auth_us ? x->auth_us : x->challenge_us ? x->challenge_us : x->first_us;
}

static bool match_auth(const struct detect_pred *p, const struct flow *f, struct step_match *m)
{
	const struct flow_auth *a = flow_auth(f);
	bool any = false;
	for (unsigned i = 0; a && i < a->n; i++) {
		const struct auth_exchange *x = &a->x[i];
		if ((p->overs && !(p->overs & 1u << x->over)) || (p->mech && p->mech != x->mech) ||
		    (p->auth_type && !(x->types & 1u << p->auth_type)) ||
		    (p->anonymous >= 0 && (!(x->types & 1u << NTLMSSP_AUTHENTICATE) || x->anonymous != (p->anonymous == 1))))
			continue;
		if (!any) {
			const char *over = auth_over_name(x->over);
			if (x->mech == AUTH_MECH_KERBEROS)
				snprintf(m->what, sizeof m->what, "Kerberos over %s", over);
			else if (x->types & 1u << NTLMSSP_AUTHENTICATE)
				snprintf(m->what, sizeof m->what, "NTLM AUTHENTICATE %s%.40s%s%.40s over %s%s%.60s%s",
					 x->anonymous ? "(anonymous) " : "", x->domain ? x->domain : "", x->domain ? "\\" : "",
					 x->user ? x->user : "", over, x->spn ? " (for " : "", x->spn ? x->spn : "",
					 x->spn ? ")" : "");
			else
				snprintf(m->what, sizeof m->what, "NTLM %s over %s", auth_last_type_name(x), over);
		}
		uint64_t t = exchange_time(x);
		span_add(m, &any, t, t);
	}
	return any;
}

static bool match_dhcp(const struct detect_pred *p, const struct flow *f, struct step_match *m)
{
	const struct flow_boot *b = flow_boot(f);
	if (!b || !b->dhcp.messages)
		return false;
	const struct boot_dhcp *d = &b->dhcp;
	if (p->has_pxe && (!d->has_243 || (p->pxe_types && !(p->pxe_types & 1u << (d->opt243_type & 7)))))
		return false;
	if (d->has_243)
		snprintf(m->what, sizeof m->what, "PXE answer with option 243 type %u (%s), %u bytes%s%.60s",
			 d->opt243_type, d->opt243_type == 2 ? "the media key itself: no media password" :
				         d->opt243_type == 1 ? "a path: password-protected media" : "unknown",
			 d->opt243_len, d->bcd ? ", BCD " : "", d->bcd ? d->bcd : "");
	else
		snprintf(m->what, sizeof m->what, "DHCP %s%s%.60s", boot_dhcp_type_name(d->first_type) ? boot_dhcp_type_name(d->first_type) : "BOOTP",
			 d->vendor_class ? ", vendor class " : "", d->vendor_class ? d->vendor_class : "");
	m->begin_us = f->ts_first;
	m->end_us = f->ts_last;
	return true;
}

static bool match_tftp(const struct detect_pred *p, const struct flow *f, struct step_match *m)
{
	const struct flow_boot *b = flow_boot(f);
	for (unsigned i = 0; b && i < b->tftp.n; i++)
		if (has_suffix(p, b->tftp.files[i])) {
			snprintf(m->what, sizeof m->what, "TFTP %s %.130s", b->tftp.write[i] ? "write" : "read", b->tftp.files[i]);
			m->begin_us = m->end_us = f->ts_first;
			return true;
		}
	return false;
}

static bool match_signing(const struct detect_pred *p, const struct flow *f, const struct flow_smbrpc *r,
			  struct step_match *m)
{
	if (!r || !r->negotiated || r->signing_required != (p->signing_required == 1))
		return false;
	char d[24];
	snprintf(m->what, sizeof m->what, "SMB NEGOTIATE answer: signing %s, %s (dialect %s)",
		 r->signing_enabled ? "enabled" : "disabled", r->signing_required ? "required" : "not required",
		 smbrpc_dialect_str(r, d, sizeof d));
	m->begin_us = m->end_us = f->ts_first;
	return true;
}

static bool match_pred(const struct detect_env *k, const struct detect_pred *p, const struct flow *f,
		       struct step_match *m)
{
	const struct flow_smbrpc *r = flow_smbrpc(f);
	switch (p->kind) {
	case DETECT_SMB_TREE: return match_smb_tree(p, r, m);
	case DETECT_SMB_WRITE: return match_smb_write(p, r, m);
	case DETECT_RPC: return match_rpc(k, p, f, r, m);
	case DETECT_HTTP: return match_http(p, f, m);
	case DETECT_AUTH: return match_auth(p, f, m);
	case DETECT_DHCP: return match_dhcp(p, f, m);
	case DETECT_TFTP: return match_tftp(p, f, m);
	case DETECT_SMB_SIGNING: return match_signing(p, f, r, m);
	case DETECT_NTLM_RELAY: return false; /* relay_flow */
	default: return false;
	}
}

/* The step of d that f matches, written into m (the first alternative that matches). */
static bool match_step(const struct detect_env *k, const struct detections *ds, const struct detection *d,
		       unsigned st, const struct flow *f, struct step_match *m)
{
	for (unsigned a = 0; a < d->nalts[st]; a++)
		if (match_pred(k, &ds->preds[d->alts[st][a]], f, m))
			return true;
	return false;
}

/* The role conditions, on the roles the site configuration gives (inferred roles never vouch nor accuse). */
static bool conditions_hold(const struct detect_env *k, const struct detection *d, const struct flow_label *lab)
{
	bool configured = site_host_count(k->site) > 0;
	if (d->site >= 0 && (d->site == 1) != configured)
		return false;
	role_set src = lab ? lab->src_roles & ~lab->src_inferred : 0;
	role_set dst = lab ? lab->dst_roles & ~lab->dst_inferred : 0;
	if (d->src_roles && ((src & d->src_roles) != 0) == d->src_not)
		return false;
	if (d->dst_roles && ((dst & d->dst_roles) != 0) == d->dst_not)
		return false;
	return true;
}

void detect_match_flow(const struct detect_env *k, const struct flow *f,
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

/* An NTLM server challenge seen on an ended flow, kept for the relay matcher. Invariant: used slots hold a
 * challenge of a flow that ended within the relay window and grace of the table's clock. */
struct challenge_slot {
	bool used;
	uint8_t over;
	uint8_t challenge[8];
	uint64_t challenge_us;
	struct detect_step_hit flow;   /* the flow (step 0), its span, rule and description as the relay's target */
	char what_relayed[DETECT_WHAT_MAX]; /* its description as the relay's victim */
};

#define CHALLENGE_PROBE 8 /* slots a challenge may sit in from its hash */

struct detect_table {
	pthread_mutex_t lock;
	struct challenge_slot *chal;   /* [DETECT_CHALLENGES], allocated with the first challenge */
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
	free(t->chal);
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

/* The hosts of a step's flow. */
static void step_hosts(const struct detect_step_hit *h, const uint8_t **src, const uint8_t **dst)
{
	const uint8_t *lo = h->key.addr_lo, *hi = h->key.addr_hi;
	*src = h->init_is_lo ? lo : hi;
	*dst = h->init_is_lo ? hi : lo;
}

static void occ_add(struct detect_table *t, struct entry *x, unsigned st, const struct flow *f,
		    const struct flow_label *lab, const struct step_match *m, bool one_per_host)
{
	if (one_per_host) /* hosts=N: a responder's later occurrence replaces its earlier one */
		for (unsigned o = 0; o < x->nocc[st]; o++) {
			const uint8_t *src, *dst;
			step_hosts(&x->occ[st][o], &src, &dst);
			if (!memcmp(dst, flow_dst_addr(f), 16)) {
				memmove(&x->occ[st][o], &x->occ[st][o + 1], (x->nocc[st] - o - 1) * sizeof x->occ[st][0]);
				x->nocc[st]--;
				break;
			}
		}
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

static bool same_pair(const struct detect_step_hit *a, const struct detect_step_hit *b)
{
	return a->key.family == b->key.family && !memcmp(a->key.addr_lo, b->key.addr_lo, 16) &&
	       !memcmp(a->key.addr_hi, b->key.addr_hi, 16);
}

static void describe_challenge(char *what, size_t cap, const struct auth_exchange *x, bool origin)
{
	char hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", x->challenge[i]);
	int n = snprintf(what, cap, "%s NTLM CHALLENGE %s over %s %s", origin ? "target's" : "the same", hex,
			 auth_over_name(x->over), origin ? "to the relaying host" : "relayed to its victim");
	if (n > 0 && (size_t)n < cap && x->types & 1u << NTLMSSP_AUTHENTICATE)
		snprintf(what + n, cap - (size_t)n, "; AUTHENTICATE %.40s%s%.40s%s", x->domain ? x->domain : "",
			 x->domain ? "\\" : "", x->user ? x->user : "", x->anonymous ? " (anonymous)" : "");
}

/* The relay matcher (lock held): the flow's server challenges against those of the flows that ended before.
 * A challenge seen again between other hosts within the window is a relay (the relaying host forwards the
 * target's challenge to its victim unchanged); the two flows make the hit, the earlier challenge's flow (the
 * relay's connection to its target) naming the hosts. A challenge not seen before is kept. */
static unsigned relay_flow(struct detect_table *t, const struct detect_env *k, const struct detections *ds,
			   const struct flow *f, const struct flow_label *lab, struct detect_hit *hits, unsigned max,
			   unsigned nhits)
{
	const struct flow_auth *a = flow_auth(f);
	if (!a || !ds->relay_window_s)
		return nhits;
	if (!t->chal && !(t->chal = calloc(DETECT_CHALLENGES, sizeof *t->chal)))
		return nhits;
	uint64_t keep = ((uint64_t)ds->relay_window_s + t->grace_s) * 1000000u;
	for (unsigned i = 0; i < a->n; i++) {
		const struct auth_exchange *x = &a->x[i];
		if (!x->has_challenge)
			continue;
		uint32_t b = (uint32_t)hash_siphash13(&t->key, x->challenge, 8) & (DETECT_CHALLENGES - 1);
		struct challenge_slot *found = NULL, *free_slot = NULL, *oldest = NULL;
		for (unsigned j = 0; j < CHALLENGE_PROBE; j++) {
			struct challenge_slot *c = &t->chal[(b + j) & (DETECT_CHALLENGES - 1)];
			if (c->used && c->challenge_us + keep < t->now_us)
				c->used = false; /* aged out */
			if (!c->used) {
				if (!free_slot)
					free_slot = c;
				continue;
			}
			if (!memcmp(c->challenge, x->challenge, 8) && c->flow.flow_id != f->id && !found)
				found = c;
			if (!oldest || c->challenge_us < oldest->challenge_us)
				oldest = c;
		}
		struct detect_step_hit me = { 0 };
		me.flow_id = f->id;
		me.key = f->key;
		me.init_is_lo = f->init_is_lo;
		me.flow_first_us = f->ts_first;
		me.flow_last_us = f->ts_last;
		me.begin_us = me.end_us = x->challenge_us;
		snprintf(me.rule, sizeof me.rule, "%s", lab && lab->matched ? lab->match.best->id : "");
		if (found && !same_pair(&found->flow, &me)) {
			uint64_t gap = found->challenge_us > x->challenge_us ? found->challenge_us - x->challenge_us
									 : x->challenge_us - found->challenge_us;
			for (unsigned di = 0; di < ds->n; di++) {
				const struct detection *d = &ds->v[di];
				const struct detect_pred *p = &ds->preds[d->alts[0][0]];
				if (p->kind != DETECT_NTLM_RELAY || gap > (uint64_t)d->window_s * 1000000u ||
				    (p->overs && !(p->overs & 1u << x->over)) || !conditions_hold(k, d, lab))
					continue;
				t->st.hits++;
				if (nhits >= max)
					continue;
				struct detect_hit *h = &hits[nhits++];
				bool mine_first = x->challenge_us < found->challenge_us;
				struct detect_step_hit origin = mine_first ? me : found->flow, relayed = mine_first ? found->flow : me;
				if (mine_first) {
					describe_challenge(origin.what, sizeof origin.what, x, true);
					snprintf(relayed.what, sizeof relayed.what, "%s", found->what_relayed);
				} else {
					describe_challenge(relayed.what, sizeof relayed.what, x, false);
				}
				memset(h, 0, sizeof *h);
				h->d = d;
				h->family = f->key.family;
				const uint8_t *src, *dst;
				step_hosts(&origin, &src, &dst);
				memcpy(h->src, src, 16);
				memcpy(h->dst, dst, 16);
				h->steps[0] = origin;
				h->steps[1] = relayed;
				h->nsteps = 2;
				qsort(h->steps, h->nsteps, sizeof h->steps[0], by_begin);
			}
			found->used = false; /* spent */
			continue;
		}
		if (found)
			continue; /* the same challenge between the same hosts: not a relay */
		struct challenge_slot *c = free_slot ? free_slot : oldest;
		if (!free_slot)
			t->st.challenges_evicted++;
		c->used = true;
		c->over = x->over;
		memcpy(c->challenge, x->challenge, 8);
		c->challenge_us = x->challenge_us;
		c->flow = me;
		describe_challenge(c->flow.what, sizeof c->flow.what, x, true);
		describe_challenge(c->what_relayed, sizeof c->what_relayed, x, false);
		t->st.challenges++;
	}
	return nhits;
}

/* hosts=N: the responders the entry's occurrences reach. */
static unsigned entry_hosts(const struct entry *x)
{
	const uint8_t *seen[DETECT_HIT_MAX];
	unsigned n = 0;
	for (unsigned st = 0; st < x->nsteps; st++)
		for (unsigned o = 0; o < x->nocc[st]; o++) {
			const uint8_t *src, *dst;
			step_hosts(&x->occ[st][o], &src, &dst);
			bool known = false;
			for (unsigned i = 0; i < n && !known; i++)
				known = !memcmp(seen[i], dst, 16);
			if (!known)
				seen[n++] = dst;
		}
	return n;
}

/* detect_flow for a flow that may match a step (its descriptions take a large frame: apart from the quick test). */
static __attribute__((noinline)) unsigned flow_steps(struct detect_table *t, const struct detect_env *k,
						     const struct detections *ds, const struct flow *f,
						     const struct flow_label *lab, uint64_t now_us, struct detect_hit *hits,
						     unsigned max)
{
	/* what this flow matches, before any lock: most flows match nothing */
	struct step_match m[DETECT_MAX][DETECT_STEPS_MAX];
	bool matched[DETECT_MAX][DETECT_STEPS_MAX];
	bool anything = false;
	for (unsigned i = 0; i < ds->n; i++) {
		/* the role and site conditions first: they read the label alone, and most flows (a configured
		 * client's policy poll) meet no detection's */
		bool applies = conditions_hold(k, &ds->v[i], lab);
		for (unsigned st = 0; st < ds->v[i].nsteps; st++) {
			matched[i][st] = applies && match_step(k, ds, &ds->v[i], st, f, &m[i][st]);
			anything |= matched[i][st];
		}
	}
	bool relay = ds->relay_window_s && f->ext->more && flow_auth(f);
	if (!anything && !relay)
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
		if (!some)
			continue;
		const uint8_t *src = flow_src_addr(f), *dst = d->scope == DETECT_SCOPE_PAIR ? flow_dst_addr(f) : none;
		struct entry *x = entry_get(t, d, f->key.family, src, dst);
		if (!x)
			continue;
		for (unsigned st = 0; st < d->nsteps; st++)
			if (matched[i][st])
				occ_add(t, x, st, f, lab, &m[i][st], d->min_hosts > 1);
		int pick[DETECT_STEPS_MAX];
		if (!choose(x, d, 0, pick, 0, 0) || (d->min_hosts > 1 && entry_hosts(x) < d->min_hosts))
			continue;
		t->st.hits++;
		if (nhits < max)
			hit_of(x, d, pick, &hits[nhits++]);
		memset(x->nocc, 0, sizeof x->nocc); /* spent: the next sequence starts afresh */
	}
	if (relay)
		nhits = relay_flow(t, k, ds, f, lab, hits, max, nhits);
	pthread_mutex_unlock(&t->lock);
	return nhits;
}

unsigned detect_flow(struct detect_table *t, const struct detect_env *k, const struct flow *f,
		     const struct flow_label *lab, uint64_t now_us, struct detect_hit *hits, unsigned max)
{
	const struct detections *ds = k ? k->detections : NULL;
	if (!t || !ds || !ds->n || !f->ext)
		return 0;
	/* most flows kept nothing any step reads: no SMB or DCE/RPC record, no HTTP request the detections want */
	bool smbrpc = f->ext->smbrpc &&
		      (ds->kinds & (1u << DETECT_SMB_TREE | 1u << DETECT_SMB_WRITE | 1u << DETECT_RPC));
	bool http = f->ext->http_method && (ds->kinds & 1u << DETECT_HTTP);
	bool more = f->ext->more && (ds->kinds & (1u << DETECT_AUTH | 1u << DETECT_DHCP | 1u << DETECT_TFTP |
						  1u << DETECT_NTLM_RELAY));
	bool signing = f->ext->smbrpc && (ds->kinds & 1u << DETECT_SMB_SIGNING);
	if (!smbrpc && !http && !more && !signing)
		return 0;
	return flow_steps(t, k, ds, f, lab, now_us, hits, max);
}
