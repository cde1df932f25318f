/* site.c: the site configuration: sites, hosts and prefixes (longest match in nDPI's patricia tree). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "lib/lineparse.h"
#include "audit/site.h"
#include "lib/util.h"

struct site_config {
	char *path;
	struct site sites[SITE_MAX];
	unsigned nsites;
	struct host_entry *hosts;
	unsigned nhosts;
	ndpi_patricia_tree_t *tree4, *tree6;
	struct site_ports defaults;
	uint16_t vxlan_ports[SITE_MAX_VXLAN_PORTS]; /* `tunnel vxlan-port=N` lines: distinct ports */
	unsigned nvxlan;
};


static struct site_config *config_new(void)
{
	struct site_config *sc = calloc(1, sizeof *sc);
	if (!sc)
		return NULL;
	site_ports_default(&sc->defaults);
	sc->tree4 = ndpi_patricia_new(32);
	sc->tree6 = ndpi_patricia_new(128);
	if (!sc->tree4 || !sc->tree6) {
		site_free(sc);
		return NULL;
	}
	return sc;
}

struct site_config *site_empty(void)
{
	return config_new();
}

void site_free(struct site_config *sc)
{
	if (!sc)
		return;
	if (sc->tree4)
		ndpi_patricia_destroy(sc->tree4, NULL);
	if (sc->tree6)
		ndpi_patricia_destroy(sc->tree6, NULL);
	free(sc->hosts);
	free(sc->path);
	free(sc);
}

static int find_site(const struct site_config *sc, const char *code)
{
	for (unsigned i = 0; i < sc->nsites; i++)
		if (strcmp(sc->sites[i].code, code) == 0)
			return (int)i;
	return -1;
}

static bool port_value(struct line_parse *ps, const char *word, const char *v, uint16_t *out)
{
	unsigned p;
	if (!parse_port(v, &p))
		return line_fail(ps, word, "not a port 1..65535:");
	*out = (uint16_t)p;
	return true;
}

const char *site_version_name(enum site_version v)
{
	return v == SITE_VCB ? "cb" : "2007";
}

const char *site_comm_name(enum site_comm c)
{
	switch (c) {
	case COMM_HTTPS_ONLY: return "https-only";
	case COMM_HTTP: return "http";
	default: return "https-or-http";
	}
}

/* The site line's port settings: the word's key and the variable it sets. */
static const struct {
	const char *key;
	enum site_var var;
	bool cb_only;
} port_keys[] = {
	{ "http-port", VAR_HTTP, false }, { "https-port", VAR_HTTPS, false },
	{ "wsus-http-port", VAR_WSUS_HTTP, false }, { "wsus-https-port", VAR_WSUS_HTTPS, false },
	{ "wol-port", VAR_WOL, false }, { "amt-provision-port", VAR_AMT_PROVISION, false },
	{ "notify-port", VAR_NOTIFY, true }, { "wakeup-proxy-port", VAR_WAKEUP_PROXY, true },
	{ "express-port", VAR_EXPRESS, true }, { "sql-port", VAR_SQL, true }, { "sql-broker-port", VAR_SQL_BROKER, true },
};

/* yes|no of a word's value */
static bool yes_no(struct line_parse *ps, const char *key, const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return line_fail(ps, v, "%s is yes or no, not", key);
	return true;
}

/* site CODE [version=2007|cb] [mode=mixed|native] [http-fallback=yes|no] (2007) [comm=https-only|https-or-http|http]
 *      [enhanced-http=yes|no] (current branch) [http-port=N] [https-port=N] [wsus-http-port=N] [wsus-https-port=N]
 *      [wol-port=N] [amt-provision-port=N] [notify-port=N] [wakeup-proxy-port=N] [express-port=N] [sql-port=N]
 *      [sql-broker-port=N] */
static bool parse_site(struct line_parse *ps, struct site_config *sc, char **w, int n)
{
	if (n < 2)
		return line_fail(ps, NULL, "a site needs a code: site ABC mode=native ...");
	size_t clen = strlen(w[1]);
	bool code_ok = clen >= 1 && clen <= 3;
	for (size_t i = 0; i < clen && code_ok; i++)
		code_ok = (w[1][i] >= 'A' && w[1][i] <= 'Z') || (w[1][i] >= '0' && w[1][i] <= '9');
	if (!code_ok)
		return line_fail(ps, w[1], "a site code is 1 to 3 upper-case letters or digits, not");
	if (find_site(sc, w[1]) >= 0)
		return line_fail(ps, w[1], "site declared twice:");
	if (sc->nsites == SITE_MAX)
		return line_fail(ps, w[1], "too many sites at");
	struct site *s = &sc->sites[sc->nsites];
	memset(s, 0, sizeof *s);
	snprintf(s->code, sizeof s->code, "%s", w[1]);
	site_ports_default(&s->ports);
	s->line = ps->line;
	s->enhanced_http = true;
	/* the version first: it decides which settings the line may have */
	for (int i = 2; i < n; i++) {
		const char *v = word_value(w[i], "version");
		if (!v)
			continue;
		if (strcmp(v, "2007") == 0)
			s->version = SITE_V2007;
		else if (strcmp(v, "cb") == 0)
			s->version = SITE_VCB;
		else
			return line_fail(ps, v, "version is 2007 or cb (current branch), not");
	}
	bool cb = s->version == SITE_VCB;
	if (cb) { /* WSUS on Windows Server 2012 and later listens on 8530 / 8531 (Note 3) */
		s->ports.v[VAR_WSUS_HTTP] = 8530;
		s->ports.v[VAR_WSUS_HTTPS] = 8531;
	}
	for (int i = 2; i < n; i++) {
		const char *v;
		size_t k;
		for (k = 0; k < sizeof port_keys / sizeof port_keys[0]; k++)
			if ((v = word_value(w[i], port_keys[k].key)))
				break;
		if (k < sizeof port_keys / sizeof port_keys[0]) {
			if (port_keys[k].cb_only && !cb)
				return line_fail(ps, w[i], "a current branch setting (version=cb) on a 2007 site:");
			if (!port_value(ps, w[i], v, &s->ports.v[port_keys[k].var]))
				return false;
		} else if (word_value(w[i], "version")) {
			continue;
		} else if ((v = word_value(w[i], "mode"))) {
			if (cb)
				return line_fail(ps, w[i], "current branch has no mixed or native mode (comm= says how clients talk):");
			if (strcmp(v, "mixed") == 0)
				s->mode = SITE_MIXED;
			else if (strcmp(v, "native") == 0)
				s->mode = SITE_NATIVE;
			else
				return line_fail(ps, v, "mode is mixed or native, not");
		} else if ((v = word_value(w[i], "http-fallback"))) {
			if (cb)
				return line_fail(ps, w[i], "a ConfigMgr 2007 setting on a current branch site:");
			if (!yes_no(ps, "http-fallback", v, &s->http_fallback))
				return false;
		} else if ((v = word_value(w[i], "comm"))) {
			if (!cb)
				return line_fail(ps, w[i], "a current branch setting (version=cb) on a 2007 site:");
			if (strcmp(v, "https-only") == 0)
				s->comm = COMM_HTTPS_ONLY;
			else if (strcmp(v, "https-or-http") == 0)
				s->comm = COMM_HTTPS_OR_HTTP;
			else if (strcmp(v, "http") == 0)
				s->comm = COMM_HTTP;
			else
				return line_fail(ps, v, "comm is https-only, https-or-http or http, not");
		} else if ((v = word_value(w[i], "enhanced-http"))) {
			if (!cb)
				return line_fail(ps, w[i], "a current branch setting (version=cb) on a 2007 site:");
			if (!yes_no(ps, "enhanced-http", v, &s->enhanced_http))
				return false;
		} else {
			return line_fail(ps, w[i], "unknown site setting");
		}
	}
	sc->nsites++;
	return true;
}

/* tunnel vxlan-port=N [vxlan-port=N ...]: UDP ports that carry VXLAN besides 4789 and 8472 (a sensor behind an
 * Azure virtual network TAP, or a VTEP of its own port). */
static bool parse_tunnel(struct line_parse *ps, struct site_config *sc, char **w, int n)
{
	if (n < 2)
		return line_fail(ps, NULL, "a tunnel line needs a setting: tunnel vxlan-port=4800");
	for (int i = 1; i < n; i++) {
		const char *v = word_value(w[i], "vxlan-port");
		uint16_t port = 0;
		if (!v)
			return line_fail(ps, w[i], "unknown tunnel setting");
		if (!port_value(ps, w[i], v, &port))
			return false;
		bool known = false;
		for (unsigned k = 0; k < sc->nvxlan; k++)
			known |= sc->vxlan_ports[k] == port;
		if (known)
			continue;
		if (sc->nvxlan == SITE_MAX_VXLAN_PORTS)
			return line_fail(ps, w[i], "more than %d VXLAN ports at", SITE_MAX_VXLAN_PORTS);
		sc->vxlan_ports[sc->nvxlan++] = port;
	}
	return true;
}

unsigned site_vxlan_ports(const struct site_config *sc, const uint16_t **ports)
{
	*ports = sc ? sc->vxlan_ports : NULL;
	return sc ? sc->nvxlan : 0;
}

/* An address or a prefix: 10.1.0.5, 10.2.0.0/16, 2001:db8::/32. */
static bool parse_prefix(struct line_parse *ps, const char *word, struct host_entry *h)
{
	char buf[64];
	if (strlen(word) >= sizeof buf)
		return line_fail(ps, word, "not an address or prefix:");
	snprintf(buf, sizeof buf, "%s", word);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(h->addr, 0, sizeof h->addr);
	if (inet_pton(AF_INET, buf, h->addr) == 1)
		h->family = 4;
	else if (inet_pton(AF_INET6, buf, h->addr) == 1)
		h->family = 6;
	else
		return line_fail(ps, word, "not an IPv4 or IPv6 address:");
	unsigned max = h->family == 4 ? 32 : 128, len = max;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || l > max)
			return line_fail(ps, word, "bad prefix length in");
		len = (unsigned)l;
	}
	/* host bits must be zero: 10.2.0.1/16 is more likely a typing error than a network */
	for (unsigned bit = len; bit < max; bit++)
		if (h->addr[bit / 8] & (0x80 >> (bit % 8)))
			return line_fail(ps, word, "address has bits set beyond the prefix length:");
	h->prefix_len = (uint8_t)len;
	return true;
}

static void fill_prefix(ndpi_prefix_t *p, uint8_t family, const uint8_t *addr, unsigned bits)
{
	memset(p, 0, sizeof *p);
	if (family == 4) {
		struct in_addr a;
		memcpy(&a, addr, 4);
		ndpi_fill_prefix_v4(p, &a, (int)bits, 32);
	} else {
		struct in6_addr a;
		memcpy(&a, addr, 16);
		ndpi_fill_prefix_v6(p, &a, (int)bits, 128);
	}
}

/* host ADDR[/LEN] [site=CODE] roles=a,b,c [site-initiated-only] */
static bool parse_host(struct line_parse *ps, struct site_config *sc, const struct roles *roles, char **w, int n)
{
	if (n < 2)
		return line_fail(ps, NULL, "a host needs an address: host 10.1.0.5 roles=management-point");
	struct host_entry h;
	memset(&h, 0, sizeof h);
	h.site = -1;
	h.line = ps->line;
	if (!parse_prefix(ps, w[1], &h))
		return false;
	bool have_roles = false;
	for (int i = 2; i < n; i++) {
		const char *v;
		if ((v = word_value(w[i], "roles"))) {
			const char *bad = NULL;
			size_t badlen = 0;
			role_set s = roles_parse_list(roles, v, &bad, &badlen);
			if (!s) {
				char name[64];
				snprintf(name, sizeof name, "%.*s", (int)(badlen < 60 ? badlen : 60), bad ? bad : v);
				return line_fail(ps, name, "unknown role");
			}
			h.roles = roles_closure(roles, s);
			have_roles = true;
		} else if ((v = word_value(w[i], "site"))) {
			h.site = find_site(sc, v);
			if (h.site < 0)
				return line_fail(ps, v, "unknown site (declare it with a site line first):");
		} else if (strcmp(w[i], "site-initiated-only") == 0) {
			h.flags |= HOST_SITE_INITIATED_ONLY;
		} else {
			return line_fail(ps, w[i], "unknown host setting");
		}
	}
	if (!have_roles)
		return line_fail(ps, w[1], "host without roles=:");
	for (unsigned i = 0; i < sc->nhosts; i++) {
		const struct host_entry *o = &sc->hosts[i];
		if (o->family == h.family && o->prefix_len == h.prefix_len && memcmp(o->addr, h.addr, 16) == 0)
			return line_fail(ps, w[1], "host already given on line %u:", o->line);
	}
	struct host_entry *grown = realloc(sc->hosts, (sc->nhosts + 1) * sizeof *grown);
	if (!grown)
		return line_fail(ps, NULL, "out of memory");
	sc->hosts = grown;
	sc->hosts[sc->nhosts++] = h;
	return true;
}

/* The tree stores the host's index + 1 (the entries move while the file is read). */
static bool build_trees(struct site_config *sc)
{
	for (unsigned i = 0; i < sc->nhosts; i++) {
		const struct host_entry *h = &sc->hosts[i];
		ndpi_prefix_t p;
		fill_prefix(&p, h->family, h->addr, h->prefix_len);
		ndpi_patricia_node_t *node = ndpi_patricia_lookup(h->family == 4 ? sc->tree4 : sc->tree6, &p);
		if (!node)
			return false;
		ndpi_patricia_set_node_u64(node, i + 1);
	}
	return true;
}

struct site_parse {
	struct site_config *sc;
	const struct roles *roles;
};

static bool site_site_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct site_parse *sp = ctx;
	return parse_site(ps, sp->sc, w, n);
}

static bool site_host_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct site_parse *sp = ctx;
	return parse_host(ps, sp->sc, sp->roles, w, n);
}

static bool site_tunnel_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct site_parse *sp = ctx;
	return parse_tunnel(ps, sp->sc, w, n);
}

static const struct line_keyword site_keywords[] = {
	{ "site", 1, LINE_MAX_WORDS, site_site_line },
	{ "host", 1, LINE_MAX_WORDS, site_host_line },
	{ "tunnel", 1, LINE_MAX_WORDS, site_tunnel_line },
};

struct site_config *site_load(const char *path, const struct roles *roles, char *err, size_t errlen)
{
	struct site_config *sc = config_new();
	bool ok = sc && (sc->path = strdup(path));
	if (!ok)
		snprintf(err, errlen, "out of memory");
	struct site_parse sp = { sc, roles };
	ok = ok && line_file_read(path, site_keywords, sizeof site_keywords / sizeof site_keywords[0], &sp, err, errlen);
	if (ok && !build_trees(sc)) {
		snprintf(err, errlen, "%s: out of memory", path);
		ok = false;
	}
	if (!ok) {
		site_free(sc);
		return NULL;
	}
	return sc;
}

const struct host_entry *site_lookup(const struct site_config *sc, uint8_t family, const uint8_t *addr)
{
	if (!sc || !sc->nhosts)
		return NULL;
	ndpi_prefix_t p;
	fill_prefix(&p, family, addr, family == 4 ? 32 : 128);
	ndpi_patricia_node_t *node = ndpi_patricia_search_best(family == 4 ? sc->tree4 : sc->tree6, &p);
	if (!node)
		return NULL;
	uint64_t i = ndpi_patricia_get_node_u64(node);
	return i >= 1 && i <= sc->nhosts ? &sc->hosts[i - 1] : NULL;
}

bool addr_is_local_scope(uint8_t family, const uint8_t *a)
{
	if (family == 4) {
		return a[0] == 10 || a[0] == 127 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
		       a[0] >= 224; /* multicast, reserved, limited broadcast */
	}
	static const uint8_t zero[16], loop[16] = { [15] = 1 };
	return memcmp(a, zero, 16) == 0 || memcmp(a, loop, 16) == 0 || a[0] == 0xff || (a[0] & 0xfe) == 0xfc ||
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

role_set site_roles(const struct site_config *sc, const struct roles *roles, uint8_t family, const uint8_t *addr)
{
	const struct host_entry *h = site_lookup(sc, family, addr);
	return h ? h->roles : site_roles_unlisted(sc, roles, family, addr);
}

role_set site_roles_unlisted(const struct site_config *sc, const struct roles *roles, uint8_t family,
			     const uint8_t *addr)
{
	/* `internet` needs a configuration to be outside of */
	if (!sc || !sc->nhosts || addr_is_local_scope(family, addr))
		return 0;
	int inet = roles_find(roles, "internet", 8);
	return inet >= 0 ? ROLE_BIT(inet) : 0;
}

const struct site *site_of(const struct site_config *sc, uint8_t family, const uint8_t *addr)
{
	return sc ? site_of_host(sc, site_lookup(sc, family, addr)) : NULL;
}

const struct site *site_of_host(const struct site_config *sc, const struct host_entry *h)
{
	if (!sc)
		return NULL;
	if (h && h->site >= 0)
		return &sc->sites[h->site];
	return sc->nsites == 1 ? &sc->sites[0] : NULL;
}

const struct site_ports *site_ports_of(const struct site_config *sc, const struct site *site)
{
	return site ? &site->ports : &sc->defaults;
}

unsigned site_count(const struct site_config *sc)
{
	return sc ? sc->nsites : 0;
}

const struct site *site_at(const struct site_config *sc, unsigned i)
{
	return &sc->sites[i];
}

unsigned site_host_count(const struct site_config *sc)
{
	return sc ? sc->nhosts : 0;
}

const struct host_entry *site_host_at(const struct site_config *sc, unsigned i)
{
	return &sc->hosts[i];
}

const char *site_path(const struct site_config *sc)
{
	return sc && sc->path ? sc->path : "(none)";
}

/* --check-config's lines of a current branch site: its communication setting and its own ports. */
static void explain_cb_site(const struct site *s, const struct ruleset *rs, FILE *out)
{
	static const char *const comm_words[] = {
		[COMM_HTTPS_OR_HTTP] = "HTTPS or HTTP", [COMM_HTTPS_ONLY] = "HTTPS only",
		[COMM_HTTP] = "HTTP (deprecated since 2103, refused by setup from 2403)",
	};
	fprintf(out, "\nsite %s (line %u): %s (version=cb, %s), client communication %s, enhanced HTTP %s\n", s->code,
		s->line, rs ? rs->title : "current branch", rs ? rs->path : "no rules", comm_words[s->comm],
		s->enhanced_http ? "yes" : "no");
	fprintf(out, "  client ports        HTTP %u, HTTPS %u\n", s->ports.v[VAR_HTTP], s->ports.v[VAR_HTTPS]);
	fprintf(out, "  software updates    HTTP %u, HTTPS %u\n", s->ports.v[VAR_WSUS_HTTP], s->ports.v[VAR_WSUS_HTTPS]);
	fprintf(out, "  client notification TCP %u\n", s->ports.v[VAR_NOTIFY]);
	fprintf(out, "  Wake On LAN         UDP %u, wake-up proxy UDP %u\n", s->ports.v[VAR_WOL], s->ports.v[VAR_WAKEUP_PROXY]);
	fprintf(out, "  express updates     TCP %u\n", s->ports.v[VAR_EXPRESS]);
	fprintf(out, "  SQL Server          TCP %u, Service Broker TCP %u\n", s->ports.v[VAR_SQL], s->ports.v[VAR_SQL_BROKER]);
}

void site_explain(const struct site_config *sc, const struct ruleset *rs_2007, const struct ruleset *rs_cb, FILE *out)
{
	char a[ADDR_STR_MAX], buf[512];
	fprintf(out, "%s: %u site(s), %u host line(s)\n", site_path(sc), sc->nsites, sc->nhosts);
	for (unsigned i = 0; i < sc->nsites; i++) {
		const struct site *s = &sc->sites[i];
		const struct ruleset *rs = s->version == SITE_VCB ? rs_cb : rs_2007;
		if (s->version == SITE_VCB) {
			explain_cb_site(s, rs, out);
		} else {
			fprintf(out, "\nsite %s (line %u): %s (version=2007, %s), %s mode, HTTP fallback %s\n", s->code, s->line,
				rs->title, rs->path, s->mode == SITE_NATIVE ? "native" : "mixed",
				s->http_fallback ? "allowed" : "not allowed");
			fprintf(out, "  client ports        HTTP %u, HTTPS %u\n", s->ports.v[VAR_HTTP], s->ports.v[VAR_HTTPS]);
			fprintf(out, "  software updates    HTTP %u, HTTPS %u\n", s->ports.v[VAR_WSUS_HTTP],
				s->ports.v[VAR_WSUS_HTTPS]);
			fprintf(out, "  Wake On LAN         UDP %u\n", s->ports.v[VAR_WOL]);
			fprintf(out, "  AMT provisioning    TCP %u\n", s->ports.v[VAR_AMT_PROVISION]);
		}
		if (!rs)
			continue;
		fprintf(out, "  rules with site ports:");
		for (unsigned r = 0; r < rs->n; r++)
			for (unsigned k = 0; k < rs->rules[r].nports; k++)
				if (rs->rules[r].ports[k].kind == PK_VAR) {
					fprintf(out, " %s=%s", rs->rules[r].id, rule_ports_str(&rs->rules[r], &s->ports, buf, sizeof buf));
					break;
				}
		fprintf(out, "\n");
	}
	fprintf(out, "\nhosts (the longest prefix wins):\n");
	for (unsigned i = 0; i < sc->nhosts; i++) {
		const struct host_entry *h = &sc->hosts[i];
		fprintf(out, "  %s/%u", addr_to_str(h->family, h->addr, a, sizeof a), h->prefix_len);
		fprintf(out, "  site %s  roles %s", h->site >= 0 ? sc->sites[h->site].code : "-",
			roles_format(&rs_2007->roles, h->roles, buf, sizeof buf)); /* the vocabulary of both sets */
		if (h->flags & HOST_SITE_INITIATED_ONLY)
			fprintf(out, "  site-initiated-only");
		fprintf(out, "  (line %u)\n", h->line);
	}
	fprintf(out, "\naddresses outside every host line: internet, except private, link-local, loopback, multicast and "
		     "broadcast ones\n");
	if (sc->nvxlan) {
		fprintf(out, "\nVXLAN also on UDP");
		for (unsigned i = 0; i < sc->nvxlan; i++)
			fprintf(out, " %u", sc->vxlan_ports[i]);
		fprintf(out, " (besides 4789 and 8472)\n");
	}
}
