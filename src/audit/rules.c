/* rules.c: a port matrix as data: parsing signatures/configmgr2007.rules (or configmgr-cb.rules) and matching
 * flows to it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lineparse.h"
#include "audit/rules.h"

static const char *const var_names[VAR_COUNT] = {
	[VAR_HTTP] = "$HTTP_PORT", [VAR_HTTPS] = "$HTTPS_PORT", [VAR_WSUS_HTTP] = "$WSUS_HTTP_PORT",
	[VAR_WSUS_HTTPS] = "$WSUS_HTTPS_PORT", [VAR_WOL] = "$WOL_PORT", [VAR_AMT_PROVISION] = "$AMT_PROVISION_PORT",
	[VAR_NOTIFY] = "$NOTIFY_PORT", [VAR_WAKEUP_PROXY] = "$WAKEUP_PROXY_PORT", [VAR_EXPRESS] = "$EXPRESS_PORT",
	[VAR_SQL] = "$SQL_PORT", [VAR_SQL_BROKER] = "$SQL_BROKER_PORT",
};

void site_ports_default(struct site_ports *p)
{
	p->v[VAR_HTTP] = 80;
	p->v[VAR_HTTPS] = 443;
	p->v[VAR_WSUS_HTTP] = 80;
	p->v[VAR_WSUS_HTTPS] = 443;
	p->v[VAR_WOL] = 9;
	p->v[VAR_AMT_PROVISION] = 9971;
	p->v[VAR_NOTIFY] = 10123;
	p->v[VAR_WAKEUP_PROXY] = 25536;
	p->v[VAR_EXPRESS] = 8005;
	p->v[VAR_SQL] = 1433;
	p->v[VAR_SQL_BROKER] = 4022;
}


/* One TRANSPORT/PORT item of a rule's port list. */
static bool parse_port_item(struct line_parse *ps, const char *item, struct rule_port *rp)
{
	memset(rp, 0, sizeof *rp);
	if (strcmp(item, "gre") == 0) {
		rp->proto = 47;
		rp->kind = PK_GRE;
		return true;
	}
	if (strcmp(item, "icmp/echo") == 0) {
		rp->proto = 1;
		rp->kind = PK_ICMP_ECHO;
		return true;
	}
	const char *port;
	if (strncmp(item, "tcp/", 4) == 0)
		rp->proto = 6, port = item + 4;
	else if (strncmp(item, "udp/", 4) == 0)
		rp->proto = 17, port = item + 4;
	else
		return line_fail(ps, item, "a port is tcp/N, udp/N, icmp/echo or gre, not");
	if (port[0] == '$') {
		for (int v = 0; v < VAR_COUNT; v++)
			if (strcmp(port, var_names[v]) == 0) {
				rp->kind = PK_VAR;
				rp->var = (uint8_t)v;
				return true;
			}
		return line_fail(ps, port, "unknown port variable");
	}
	if (strcmp(port, "rpc-dynamic") == 0 || strcmp(port, "sql-dynamic") == 0 || strcmp(port, "tftp-dynamic") == 0) {
		rp->kind = port[0] == 'r' ? PK_RPC_DYNAMIC : port[0] == 's' ? PK_SQL_DYNAMIC : PK_TFTP_DYNAMIC;
		return true;
	}
	char buf[32];
	snprintf(buf, sizeof buf, "%s", port);
	char *dash = strchr(buf, '-');
	unsigned lo, hi;
	if (dash) {
		*dash = '\0';
		if (!parse_port(buf, &lo) || !parse_port(dash + 1, &hi) || hi < lo)
			return line_fail(ps, item, "bad port range");
		rp->kind = PK_RANGE;
	} else {
		if (!parse_port(buf, &lo))
			return line_fail(ps, item, "bad port");
		hi = lo;
		rp->kind = PK_FIXED;
	}
	rp->lo = (uint16_t)lo;
	rp->hi = (uint16_t)hi;
	return true;
}

static bool parse_port_list(struct line_parse *ps, const char *list, struct rule_port *out, unsigned max, unsigned *n)
{
	char ports[256];
	if (strlen(list) >= sizeof ports)
		return line_fail(ps, NULL, "port list longer than %zu bytes", sizeof ports - 1);
	snprintf(ports, sizeof ports, "%s", list);
	*n = 0;
	for (char *save = NULL, *item = strtok_r(ports, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (*n == max)
			return line_fail(ps, list, "too many ports in");
		if (!parse_port_item(ps, item, &out[(*n)++]))
			return false;
	}
	if (*n == 0)
		return line_fail(ps, list, "no ports in");
	return true;
}

bool rules_parse_ports(const char *list, struct rule_port *out, unsigned max, unsigned *n, const char *path,
		       unsigned line, char *err, size_t errlen)
{
	struct line_parse ps = { path, line, err, errlen };
	return parse_port_list(&ps, list, out, max, n);
}

bool rule_ports_contain(const struct rule_port *ports, unsigned n, uint8_t proto, uint16_t port,
			const struct site_ports *sp)
{
	for (unsigned i = 0; i < n; i++) {
		const struct rule_port *rp = &ports[i];
		if (rp->proto != proto)
			continue;
		if ((rp->kind == PK_FIXED || rp->kind == PK_RANGE) && port >= rp->lo && port <= rp->hi)
			return true;
		if (rp->kind == PK_VAR && sp && sp->v[rp->var] == port)
			return true;
	}
	return false;
}

/* Copies a comma list into fixed slots. */
static bool split_list(struct line_parse *ps, const char *list, char (*slots)[48], unsigned max, size_t slot_len,
		       unsigned *n, const char *what)
{
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (*n == max || len == 0 || len >= slot_len)
			return line_fail(ps, list, "too many or too long %s in", what);
		memcpy(slots[*n], p, len);
		slots[*n][len] = '\0';
		(*n)++;
		p += len + (end ? 1 : 0);
	}
	return true;
}

static bool parse_roles_word(struct line_parse *ps, struct ruleset *rs, const char *word, role_set *out)
{
	const char *bad = NULL;
	size_t badlen = 0;
	*out = roles_parse_list(&rs->roles, word, &bad, &badlen);
	if (!*out) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(badlen < 60 ? badlen : 60), bad ? bad : word);
		return line_fail(ps, name, "unknown role");
	}
	return true;
}

/* A row as the set numbers them: 2007's 1..111, N1.., P1..; a set with ids= PREFIX1, PREFIX2 .. */
static bool row_valid(const struct ruleset *rs, const char *row)
{
	size_t plen = strlen(rs->id_prefix), rowlen = strlen(row);
	if (plen) {
		bool ok = rowlen > plen && rowlen < sizeof ((struct rule *)0)->row && !strncmp(row, rs->id_prefix, plen) &&
			  row[plen] != '0';
		for (size_t i = plen; i < rowlen && ok; i++)
			ok = row[i] >= '0' && row[i] <= '9';
		return ok;
	}
	bool ok = rowlen > 0 && rowlen < 6;
	for (size_t i = 0; i < rowlen && ok; i++)
		ok = (row[i] >= '0' && row[i] <= '9') || (i == 0 && (row[0] == 'N' || row[0] == 'P'));
	return ok;
}

static bool parse_rule(struct line_parse *ps, struct ruleset *rs, char **w, int n)
{
	if (n < 6)
		return line_fail(ps, NULL, "a rule needs: rule ROW FROM DIR TO \"SERVICE\" PORTS [options]");
	struct rule r;
	memset(&r, 0, sizeof r);
	r.line = ps->line;
	r.after = -1;
	if (!row_valid(rs, w[1]))
		return rs->id_prefix[0] ? line_fail(ps, w[1], "a row of this set is %s1, %s2 .., not", rs->id_prefix, rs->id_prefix)
					: line_fail(ps, w[1], "a row is a number, N1.. or P1.., not");
	for (unsigned i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].row, w[1]) == 0)
			return line_fail(ps, w[1], "row already has a rule (line %u):", rs->rules[i].line);
	for (unsigned i = 0; i < rs->nskips; i++)
		if (strcmp(rs->skips[i].row, w[1]) == 0)
			return line_fail(ps, w[1], "row is skipped above, and has a rule:");
	snprintf(r.row, sizeof r.row, "%s", w[1]);
	snprintf(r.id, sizeof r.id, "%s%s", rs->id_prefix[0] ? "" : "R", w[1]);
	if (!parse_roles_word(ps, rs, w[2], &r.from) || !parse_roles_word(ps, rs, w[4], &r.to))
		return false;
	if (strcmp(w[3], "<->") == 0)
		r.bidir = true;
	else if (strcmp(w[3], "->") != 0)
		return line_fail(ps, w[3], "direction is -> or <->, not");
	if (strlen(w[5]) >= sizeof r.service || !*w[5])
		return line_fail(ps, w[5], "service name empty or too long:");
	snprintf(r.service, sizeof r.service, "%s", w[5]);
	if (n < 7)
		return line_fail(ps, NULL, "rule without ports");
	if (!parse_port_list(ps, w[6], r.ports, RULE_MAX_PORTS, &r.nports))
		return false;
	for (int i = 7; i < n; i++) {
		const char *v;
		if ((v = word_value(w[i], "app"))) {
			if (!split_list(ps, v, r.apps, RULE_MAX_APPS, sizeof r.apps[0], &r.napps, "protocols"))
				return false;
		} else if ((v = word_value(w[i], "url"))) {
			if (!split_list(ps, v, r.urls, RULE_MAX_URLS, sizeof r.urls[0], &r.nurls, "URL prefixes"))
				return false;
		} else if ((v = word_value(w[i], "after"))) {
			if (!*v || strlen(v) >= sizeof r.after_row)
				return line_fail(ps, w[i], "after= names a row:");
			snprintf(r.after_row, sizeof r.after_row, "%s", v);
		} else if (strcmp(w[i], "multicast") == 0) {
			r.multicast = true;
		} else {
			return line_fail(ps, w[i], "unknown rule option");
		}
	}
	if (rs->n == RULES_MAX)
		return line_fail(ps, NULL, "too many rules (%u at most)", RULES_MAX);
	struct rule *grown = realloc(rs->rules, (rs->n + 1) * sizeof *grown);
	if (!grown)
		return line_fail(ps, NULL, "out of memory");
	rs->rules = grown;
	rs->rules[rs->n++] = r;
	return true;
}

static bool parse_role(struct line_parse *ps, struct ruleset *rs, char **w, int n)
{
	if (n < 3 || n > 5)
		return line_fail(ps, NULL, "a role needs: role NAME \"Title\" [is=OTHER] [on=any|internet]");
	if (roles_find(&rs->roles, w[1], strlen(w[1])) >= 0)
		return line_fail(ps, w[1], "role declared twice:");
	for (const char *c = w[1]; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return line_fail(ps, w[1], "a role name is lower-case letters, digits and '-', not");
	int parent = -1;
	role_set *on = NULL;
	for (int i = 3; i < n; i++) {
		const char *v;
		if ((v = word_value(w[i], "is"))) {
			parent = roles_find(&rs->roles, v, strlen(v));
			if (parent < 0)
				return line_fail(ps, v, "unknown role");
		} else if ((v = word_value(w[i], "on"))) {
			if (strcmp(v, "any") == 0)
				on = &rs->roles.every_host;
			else if (strcmp(v, "internet") == 0)
				on = &rs->roles.on_internet;
			else
				return line_fail(ps, v, "on= is any or internet, not");
		} else {
			return line_fail(ps, w[i], "unknown role option");
		}
	}
	int i = roles_add(&rs->roles, w[1], w[2], parent);
	if (i < 0)
		return line_fail(ps, w[1], "too many roles, or name or title too long, at");
	if (on)
		*on |= ROLE_BIT(i);
	return true;
}

/* set NAME "TITLE" ids=PREFIX source="TEXT": the knowledge set this file is, before its rules */
static bool parse_set(struct line_parse *ps, struct ruleset *rs, char **w, int n)
{
	if (rs->n || rs->title[0])
		return line_fail(ps, w[0], "one set line, before the rules:");
	if (!*w[1] || strlen(w[1]) >= sizeof rs->set || strlen(w[2]) >= sizeof rs->title || !*w[2])
		return line_fail(ps, w[1], "a set's name (7 bytes) or title (63 bytes) empty or too long at");
	snprintf(rs->set, sizeof rs->set, "%s", w[1]);
	snprintf(rs->title, sizeof rs->title, "%s", w[2]);
	for (int i = 3; i < n; i++) {
		const char *v;
		if ((v = word_value(w[i], "ids"))) {
			bool ok = *v && strlen(v) < sizeof rs->id_prefix;
			for (const char *c = v; ok && *c; c++)
				ok = *c >= 'A' && *c <= 'Z';
			if (!ok)
				return line_fail(ps, v, "ids= is 1 to 3 upper-case letters, not");
			snprintf(rs->id_prefix, sizeof rs->id_prefix, "%s", v);
		} else if ((v = word_value(w[i], "source"))) {
			if (!*v || strlen(v) >= sizeof rs->source)
				return line_fail(ps, w[i], "source= empty or longer than 63 bytes:");
			snprintf(rs->source, sizeof rs->source, "%s", v);
		} else {
			return line_fail(ps, w[i], "unknown set option");
		}
	}
	if (!rs->id_prefix[0] || !rs->source[0])
		return line_fail(ps, NULL, "a set line names its ids= and its source=");
	return true;
}

/* skip ROW "REASON": a row of the source without a rule, said by --list-rules */
static bool parse_skip(struct line_parse *ps, struct ruleset *rs, char **w, int n)
{
	(void)n;
	if (!row_valid(rs, w[1]))
		return line_fail(ps, w[1], "not a row of this set:");
	for (unsigned i = 0; i < rs->nskips; i++)
		if (!strcmp(rs->skips[i].row, w[1]))
			return line_fail(ps, w[1], "row skipped twice:");
	for (unsigned i = 0; i < rs->n; i++)
		if (!strcmp(rs->rules[i].row, w[1]))
			return line_fail(ps, w[1], "row has a rule (line %u), and is skipped:", rs->rules[i].line);
	if (rs->nskips == RULE_SKIPS_MAX || !*w[2] || strlen(w[2]) >= sizeof rs->skips[0].reason)
		return line_fail(ps, w[1], "too many skipped rows, or a reason empty or longer than 119 bytes, at");
	if (!rs->skips && !(rs->skips = calloc(RULE_SKIPS_MAX, sizeof *rs->skips)))
		return line_fail(ps, NULL, "out of memory");
	snprintf(rs->skips[rs->nskips].row, sizeof rs->skips[0].row, "%s", w[1]);
	snprintf(rs->skips[rs->nskips].reason, sizeof rs->skips[0].reason, "%s", w[2]);
	rs->nskips++;
	return true;
}

static bool rules_set_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	return parse_set(ps, ctx, w, n);
}

static bool rules_skip_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	return parse_skip(ps, ctx, w, n);
}

static bool rules_role_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	return parse_role(ps, ctx, w, n);
}

static bool rules_rule_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	return parse_rule(ps, ctx, w, n);
}

static const struct line_keyword rules_keywords[] = {
	{ "role", 1, LINE_MAX_WORDS, rules_role_line },
	{ "rule", 1, LINE_MAX_WORDS, rules_rule_line },
	{ "set", 3, 5, rules_set_line },
	{ "skip", 3, 3, rules_skip_line },
};

struct ruleset *rules_load(const char *path, char *err, size_t errlen)
{
	return rules_load_with(path, NULL, err, errlen);
}

struct ruleset *rules_load_with(const char *path, const struct roles *base, char *err, size_t errlen)
{
	struct ruleset *rs = calloc(1, sizeof *rs);
	struct line_parse ps = { path, 0, err, errlen };
	bool ok = rs && (rs->path = strdup(path));
	if (!ok)
		snprintf(err, errlen, "out of memory");
	if (ok && base)
		rs->roles = *base;
	ok = ok && line_file_read(path, rules_keywords, sizeof rules_keywords / sizeof rules_keywords[0], rs, err, errlen);
	for (unsigned i = 0; ok && i < rs->n; i++) {
		struct rule *r = &rs->rules[i];
		if (!r->after_row[0])
			continue;
		for (unsigned k = 0; k < rs->n && r->after < 0; k++)
			if (k != i && strcmp(rs->rules[k].row, r->after_row) == 0)
				r->after = (int)k;
		ps.line = r->line;
		if (r->after < 0)
			ok = line_fail(&ps, r->after_row, "after= names no other rule's row:");
		rs->nafter++;
	}
	if (ok && rs->n == 0) {
		snprintf(err, errlen, "%s: no rules", path);
		ok = false;
	}
	if (ok && !rs->set[0]) { /* a file without a set line is the first generation's */
		snprintf(rs->set, sizeof rs->set, "2007");
		snprintf(rs->title, sizeof rs->title, "ConfigMgr 2007");
	}
	if (ok && (!(rs->ends = calloc(rs->n, sizeof *rs->ends)) || !(rs->index = calloc(1, sizeof *rs->index))))
		ok = false;
	if (ok)
		rs->index->words = (rs->n + 63) / 64;
	for (unsigned i = 0; ok && i < rs->n; i++) {
		struct rule *r = &rs->rules[i];
		char buf[512];
		rs->ends[i] = (struct rule_ends){ r->from, r->to, r->multicast };
		uint64_t bit = (uint64_t)1 << (i % 64);
		for (unsigned k = 0; k < rs->roles.n; k++) {
			if (r->from & ROLE_BIT(k))
				rs->index->by_from[k][i / 64] |= bit;
			if (r->to & ROLE_BIT(k))
				rs->index->by_to[k][i / 64] |= bit;
		}
		if (r->multicast)
			rs->index->multicast[i / 64] |= bit;
		if (!(r->label = strdup(rule_label(rs, r, buf, sizeof buf))))
			ok = false;
	}
	if (!ok) {
		if (!rs)
			snprintf(err, errlen, "out of memory");
		rules_free(rs);
		return NULL;
	}
	return rs;
}

void rules_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (unsigned i = 0; i < rs->n; i++)
		free(rs->rules[i].label);
	free(rs->ends);
	free(rs->index);
	free(rs->rules);
	free(rs->skips);
	free(rs->path);
	free(rs);
}

/* ---- matching ---- */

bool rule_port_fits(const struct rule *r, const struct flow_facts *ff, int *specificity)
{
	for (unsigned i = 0; i < r->nports; i++) {
		const struct rule_port *p = &r->ports[i];
		int spec = -1;
		switch (p->kind) {
		case PK_GRE:
			spec = ff->proto == 47 ? 2 : -1;
			break;
		case PK_ICMP_ECHO:
			if ((ff->proto == 1 && ff->icmp_type == 8) || (ff->proto == 58 && ff->icmp_type == 128))
				spec = 3;
			break;
		case PK_FIXED:
			spec = ff->proto == p->proto && ff->dport == p->lo ? 3 : -1;
			break;
		case PK_RANGE:
			spec = ff->proto == p->proto && ff->dport >= p->lo && ff->dport <= p->hi ? 2 : -1;
			break;
		case PK_VAR:
			spec = ff->proto == p->proto && ff->ports && ff->dport == ff->ports->v[p->var] ? 2 : -1;
			break;
		case PK_RPC_DYNAMIC:
			spec = ff->proto == p->proto && ff->followup == FOLLOWUP_RPC ? 1 : -1;
			break;
		case PK_SQL_DYNAMIC:
			spec = ff->proto == p->proto && ff->followup == FOLLOWUP_SQL ? 1 : -1;
			break;
		case PK_TFTP_DYNAMIC:
			spec = ff->proto == p->proto && ff->followup == FOLLOWUP_TFTP ? 1 : -1;
			break;
		}
		if (spec >= 0) {
			if (specificity)
				*specificity = spec;
			return true;
		}
	}
	return false;
}

bool rule_expects_app(const struct rule *r, const char *app)
{
	for (unsigned i = 0; app && i < r->napps; i++)
		if (strcmp(r->apps[i], app) == 0)
			return true;
	return false;
}

static bool url_fits(const struct rule *r, const char *url)
{
	for (unsigned i = 0; url && i < r->nurls; i++)
		if (strncasecmp(url, r->urls[i], strlen(r->urls[i])) == 0)
			return true;
	return false;
}

/* Whether a rule's ends fit the flow's roles: *reversed when only the other way round does. */
static bool ends_fit(const struct rule_ends *e, const struct flow_facts *ff, bool *fwd, bool *rev)
{
	if (e->multicast) {
		/* the sender (a TO role) sends to a group that FROM roles join */
		*fwd = ff->dst_multicast && (ff->src_roles & e->to);
		*rev = false;
	} else {
		*fwd = (ff->src_roles & e->from) && (ff->dst_roles & e->to);
		*rev = (ff->src_roles & e->to) && (ff->dst_roles & e->from);
	}
	return *fwd || *rev;
}

/* Score of a rule whose ends fit (higher is better), or -1 when its ports do not; see the rules file's header. */
static int score(const struct rule *r, const struct flow_facts *ff, bool fwd, bool *reversed)
{
	int spec;
	if (!rule_port_fits(r, ff, &spec))
		return -1;
	*reversed = !fwd && !r->bidir;
	int s = (*reversed ? 0 : 1000) + spec * 10;
	if (url_fits(r, ff->url))
		s += 400;
	if (rule_expects_app(r, ff->app))
		s += 200;
	return s;
}

/* The rules with one of the roles among their FROM roles, and among their TO roles. */
static void rules_of_roles(const struct rule_index *ix, role_set roles, uint64_t from[RULE_WORDS],
			   uint64_t to[RULE_WORDS])
{
	memset(from, 0, RULE_WORDS * sizeof from[0]);
	memset(to, 0, RULE_WORDS * sizeof to[0]);
	for (; roles; roles &= roles - 1)
		for (unsigned w = 0, k = (unsigned)__builtin_ctzll(roles); w < ix->words; w++) {
			from[w] |= ix->by_from[k][w];
			to[w] |= ix->by_to[k][w];
		}
}

/* The rules whose ends may fit: one of the source's roles FROM and one of the destination's TO, or the other way
 * round; multicast rules always (their test is the group, not the destination's roles). */
static void candidates(const struct rule_index *ix, const struct flow_facts *ff, uint64_t cand[RULE_WORDS])
{
	uint64_t src_from[RULE_WORDS], src_to[RULE_WORDS], dst_from[RULE_WORDS], dst_to[RULE_WORDS];
	rules_of_roles(ix, ff->src_roles, src_from, src_to);
	rules_of_roles(ix, ff->dst_roles, dst_from, dst_to);
	for (unsigned w = 0; w < ix->words; w++)
		cand[w] = (src_from[w] & dst_to[w]) | (src_to[w] & dst_from[w]) | ix->multicast[w];
}

bool rules_match(const struct ruleset *rs, const struct flow_facts *ff, struct rule_match *m)
{
	memset(m, 0, sizeof *m);
	int best = -1;
	const struct rule *fit[64];
	unsigned nfit = 0;
	uint64_t cand[RULE_WORDS];
	candidates(rs->index, ff, cand);
	for (unsigned w = 0; w < rs->index->words; w++) {
		for (uint64_t bits = cand[w]; bits; bits &= bits - 1) {
			unsigned i = w * 64 + (unsigned)__builtin_ctzll(bits); /* in rule order */
			bool fwd, rev;
			if (!ends_fit(&rs->ends[i], ff, &fwd, &rev))
				continue;
			int s = score(&rs->rules[i], ff, fwd, &rev);
			if (s < 0)
				continue;
			if (nfit < 64)
				fit[nfit++] = &rs->rules[i];
			if (s > best) { /* ties keep the earlier (lower) row */
				best = s;
				m->best = &rs->rules[i];
				m->reversed = rev;
			}
		}
	}
	if (!m->best)
		return false;
	m->url_matched = url_fits(m->best, ff->url);
	m->app_matched = rule_expects_app(m->best, ff->app);
	for (unsigned i = 0; i < nfit && m->nothers < RULE_MAX_OTHERS; i++)
		if (fit[i] != m->best)
			m->others[m->nothers++] = fit[i];
	return true;
}

/* ---- text ---- */

const char *rule_ports_str(const struct rule *r, const struct site_ports *p, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < r->nports && at < len; i++) {
		const struct rule_port *rp = &r->ports[i];
		const char *tr = rp->proto == 6 ? "tcp" : "udp";
		const char *sep = i ? "," : "";
		int w = 0;
		switch (rp->kind) {
		case PK_GRE: w = snprintf(buf + at, len - at, "%sgre", sep); break;
		case PK_ICMP_ECHO: w = snprintf(buf + at, len - at, "%sicmp/echo", sep); break;
		case PK_FIXED: w = snprintf(buf + at, len - at, "%s%s/%u", sep, tr, rp->lo); break;
		case PK_RANGE: w = snprintf(buf + at, len - at, "%s%s/%u-%u", sep, tr, rp->lo, rp->hi); break;
		case PK_VAR: w = snprintf(buf + at, len - at, "%s%s/%u", sep, tr, p->v[rp->var]); break;
		case PK_RPC_DYNAMIC: w = snprintf(buf + at, len - at, "%s%s/rpc-dynamic", sep, tr); break;
		case PK_SQL_DYNAMIC: w = snprintf(buf + at, len - at, "%s%s/sql-dynamic", sep, tr); break;
		case PK_TFTP_DYNAMIC: w = snprintf(buf + at, len - at, "%s%s/tftp-dynamic", sep, tr); break;
		}
		if (w < 0 || (size_t)w >= len - at)
			break;
		at += (size_t)w;
	}
	return buf;
}

const struct rule *rules_find_row(const struct ruleset *rs, const char *row)
{
	for (unsigned i = 0; rs && i < rs->n; i++)
		if (!strcmp(rs->rules[i].row, row))
			return &rs->rules[i];
	return NULL;
}

const char *rule_source(const struct ruleset *rs, const struct rule *r, char *buf, size_t len)
{
	if (rs->id_prefix[0])
		snprintf(buf, len, "%s row %s", rs->source, r->row);
	else if (r->row[0] == 'N')
		snprintf(buf, len, "Table 2 row %s", r->row);
	else if (r->row[0] == 'P')
		snprintf(buf, len, "source text %s", r->row);
	else
		snprintf(buf, len, "Table 1 row %s", r->row);
	return buf;
}

/* Titles of a role set: "Reporting point or Reporting Services point". */
static size_t titles(const struct ruleset *rs, role_set s, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < rs->roles.n; i++) {
		if (!(s & ROLE_BIT(i)))
			continue;
		int w = snprintf(buf + at, len - at, "%s%s", at ? " or " : "", rs->roles.title[i]);
		if (w < 0 || (size_t)w >= len - at)
			break;
		at += (size_t)w;
	}
	return at;
}

const char *rule_label(const struct ruleset *rs, const struct rule *r, char *buf, size_t len)
{
	char from[160], to[160], src[96];
	titles(rs, r->from, from, sizeof from);
	titles(rs, r->to, to, sizeof to);
	snprintf(buf, len, "%s %s %s: %s (%s)", from, r->bidir ? "<->" : "->", to, r->service,
		 rule_source(rs, r, src, sizeof src));
	return buf;
}

void rules_list(const struct ruleset *rs, const struct site_ports *p, FILE *out)
{
	for (unsigned i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		char from[256], to[256], ports[256];
		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r->id, r->row, roles_format(&rs->roles, r->from, from, sizeof from),
			r->bidir ? "<->" : "->", roles_format(&rs->roles, r->to, to, sizeof to), r->service,
			rule_ports_str(r, p, ports, sizeof ports));
	}
	for (unsigned i = 0; i < rs->nskips; i++)
		fprintf(out, "# %s skipped: %s\n", rs->skips[i].row, rs->skips[i].reason);
}
