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

/* site CODE [mode=mixed|native] [http-port=N] [https-port=N] [wsus-http-port=N] [wsus-https-port=N]
 *      [wol-port=N] [amt-provision-port=N] [http-fallback=yes|no] */
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
	for (int i = 2; i < n; i++) {
		const char *v;
		if ((v = word_value(w[i], "mode"))) {
			if (strcmp(v, "mixed") == 0)
				s->mode = SITE_MIXED;
			else if (strcmp(v, "native") == 0)
				s->mode = SITE_NATIVE;
			else
				return line_fail(ps, v, "mode is mixed or native, not");
		} else if ((v = word_value(w[i], "http-port"))) {
			if (!port_value(ps, w[i], v, &s->ports.v[VAR_HTTP]))
				return false;
		} else if ((v = word_value(w[i], "https-port"))) {
			if (!port_value(ps, w[i], v, &s->ports.v[VAR_HTTPS]))
				return false;
		} else if ((v = word_value(w[i], "wsus-http-port"))) {
			if (!port_value(ps, w[i], v, &s->ports.v[VAR_WSUS_HTTP]))
				return false;
		} else if ((v = word_value(w[i], "wsus-https-port"))) {
			if (!port_value(ps, w[i], v, &s->ports.v[VAR_WSUS_HTTPS]))
				return false;
		} else if ((v = word_value(w[i], "wol-port"))) {
			if (!port_value(ps, w[i], v, &s->ports.v[VAR_WOL]))
				return false;
		} else if ((v = word_value(w[i], "amt-provision-port"))) {
			if (!port_value(ps, w[i], v, &s->ports.v[VAR_AMT_PROVISION]))
				return false;
		} else if ((v = word_value(w[i], "http-fallback"))) {
			if (strcmp(v, "yes") == 0)
				s->http_fallback = true;
			else if (strcmp(v, "no") == 0)
				s->http_fallback = false;
			else
				return line_fail(ps, v, "http-fallback is yes or no, not");
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

void site_explain(const struct site_config *sc, const struct ruleset *rs, FILE *out)
{
	char a[ADDR_STR_MAX], buf[512];
	fprintf(out, "%s: %u site(s), %u host line(s)\n", site_path(sc), sc->nsites, sc->nhosts);
	for (unsigned i = 0; i < sc->nsites; i++) {
		const struct site *s = &sc->sites[i];
		fprintf(out, "\nsite %s (line %u): %s mode, HTTP fallback %s\n", s->code, s->line,
			s->mode == SITE_NATIVE ? "native" : "mixed", s->http_fallback ? "allowed" : "not allowed");
		fprintf(out, "  client ports        HTTP %u, HTTPS %u\n", s->ports.v[VAR_HTTP], s->ports.v[VAR_HTTPS]);
		fprintf(out, "  software updates    HTTP %u, HTTPS %u\n", s->ports.v[VAR_WSUS_HTTP],
			s->ports.v[VAR_WSUS_HTTPS]);
		fprintf(out, "  Wake On LAN         UDP %u\n", s->ports.v[VAR_WOL]);
		fprintf(out, "  AMT provisioning    TCP %u\n", s->ports.v[VAR_AMT_PROVISION]);
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
			roles_format(&rs->roles, h->roles, buf, sizeof buf));
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
