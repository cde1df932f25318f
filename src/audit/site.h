/* site.h: the site configuration (-c), DESIGN.md's format: `site` lines (code, the ConfigMgr version whose
 * knowledge set judges it, ConfigMgr 2007's mode and HTTP fallback or the current branch's client communication
 * setting and enhanced HTTP, client, WSUS and the other configurable ports) and `host` lines (an address or prefix, IPv4 or IPv6, its roles, site and flags). The
 * longest prefix wins (nDPI's patricia tree). An address no host line covers is `internet`, unless it is a
 * private, link-local, loopback, multicast or broadcast address (then it has no role until traffic shows one).
 * `tunnel` lines name more UDP ports that carry VXLAN (a sensor's setting, read at start). */
#ifndef CMFLOW_SITE_H
#define CMFLOW_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit/roles.h"
#include "audit/rules.h"

enum site_mode { SITE_MIXED = 0, SITE_NATIVE };

/* Which knowledge set judges a site's flows: ConfigMgr 2007 (the default) or current branch. */
enum site_version { SITE_V2007 = 0, SITE_VCB };

/* A current branch site's client communication (site properties, Communication Security): "HTTPS only",
 * "HTTPS or HTTP", or HTTP (deprecated since 2103, refused by setup from 2403). */
enum site_comm { COMM_HTTPS_OR_HTTP = 0, COMM_HTTPS_ONLY, COMM_HTTP };

#define SITE_MAX 32
#define SITE_MAX_VXLAN_PORTS 8
#define HOST_SITE_INITIATED_ONLY 0x1

/* Invariant: mode and http_fallback are 2007's (SITE_MIXED / false on a current branch site); comm and
 * enhanced_http the current branch's (COMM_HTTPS_OR_HTTP / true on a 2007 site, and never read there). */
struct site {
	char code[8];
	enum site_mode mode;
	struct site_ports ports;
	bool http_fallback;
	enum site_version version;
	enum site_comm comm;
	bool enhanced_http;    /* "Use Configuration Manager-generated certificates for HTTP site systems" */
	unsigned line;
};

/* "2007" or "cb", as the site line writes it. */
const char *site_version_name(enum site_version v);

/* "https-only", "https-or-http", "http". */
const char *site_comm_name(enum site_comm c);

struct host_entry {
	uint8_t family;        /* 4 or 6 */
	uint8_t prefix_len;
	uint8_t addr[16];
	role_set roles;        /* closure applied */
	int site;              /* index into sites, -1 for none */
	uint32_t flags;
	unsigned line;
};

struct site_config;

/* Parses path with the role vocabulary of the rules. NULL and "FILE:LINE: message 'word'" in err on error. */
struct site_config *site_load(const char *path, const struct roles *roles, char *err, size_t errlen);

/* An empty configuration: one default site, no hosts (every address unknown). */
struct site_config *site_empty(void);
void site_free(struct site_config *sc);

/* The host line that covers addr (longest prefix), or NULL. */
const struct host_entry *site_lookup(const struct site_config *sc, uint8_t family, const uint8_t *addr);

/* Roles of an address: its host line's, or `internet` for a public address outside every host line. */
role_set site_roles(const struct site_config *sc, const struct roles *roles, uint8_t family, const uint8_t *addr);

/* The site an address belongs to (its host line's, else the only site when there is one), or NULL. */
const struct site *site_of(const struct site_config *sc, uint8_t family, const uint8_t *addr);

/* The same from the address's host line already looked up (h may be NULL), so that a flow's ends are looked up
 * once for their roles and their sites. */
const struct site *site_of_host(const struct site_config *sc, const struct host_entry *h);

/* The roles of an address that no host line covers: `internet` for a public one. */
role_set site_roles_unlisted(const struct site_config *sc, const struct roles *roles, uint8_t family,
			     const uint8_t *addr);

/* The UDP ports the configuration's `tunnel vxlan-port=N` lines name (besides VXLAN's defaults, which the
 * decoder always reads): their count, *ports set to them (NULL and 0 for sc NULL). */
unsigned site_vxlan_ports(const struct site_config *sc, const uint16_t **ports);

/* Ports of the site (the default ports when site is NULL). */
const struct site_ports *site_ports_of(const struct site_config *sc, const struct site *site);

unsigned site_count(const struct site_config *sc);
const struct site *site_at(const struct site_config *sc, unsigned i);
unsigned site_host_count(const struct site_config *sc);
const struct host_entry *site_host_at(const struct site_config *sc, unsigned i);
const char *site_path(const struct site_config *sc);

/* True for addresses that are never `internet`: RFC 1918, 100.64/10, loopback, link-local, multicast, broadcast,
 * unique-local IPv6, the unspecified address. */
bool addr_is_local_scope(uint8_t family, const uint8_t *addr);

/* What --check-config prints: the sites with their knowledge set and resolved ports, the hosts with roles and
 * flags, and per site the rules of its set (rs for 2007 sites, rs_cb for current branch ones, which may be NULL)
 * whose ports depend on it. */
void site_explain(const struct site_config *sc, const struct ruleset *rs, const struct ruleset *rs_cb, FILE *out);

#endif
