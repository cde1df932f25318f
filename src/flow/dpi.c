/* dpi.c: nDPI 4.2 (Debian's libndpi) on the first packets of each flow, freed as soon as it has answered.
 * API as in /usr/include/ndpi/ndpi_api.h of 4.2 (see shared reference ndpi-4.2-notes.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "lib/bytes.h"
#include "flow/dpi.h"
#include "flow/flow_ext.h"
#include "proto/tls.h"

/* nDPI looks at no more than 32 packets of a flow; an undecided flow is given up on earlier */
#define DPI_MAX_PACKETS 24

/* The protocols seen on ConfigMgr networks (the default set: each enabled dissector costs time on every flow
 * that is not yet recognised). */
static const uint16_t configmgr_protocols[] = {
	NDPI_PROTOCOL_HTTP, NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_SMBV1, NDPI_PROTOCOL_SMBV23, NDPI_PROTOCOL_DCERPC,
	NDPI_PROTOCOL_KERBEROS, NDPI_PROTOCOL_LDAP, NDPI_PROTOCOL_MSSQL_TDS, NDPI_PROTOCOL_DNS, NDPI_PROTOCOL_NETBIOS,
	NDPI_PROTOCOL_DHCP, NDPI_PROTOCOL_DHCPV6, NDPI_PROTOCOL_TFTP, NDPI_PROTOCOL_RDP, NDPI_PROTOCOL_PPTP,
	NDPI_PROTOCOL_NTP, NDPI_PROTOCOL_SNMP, NDPI_PROTOCOL_SSDP, NDPI_PROTOCOL_MDNS, NDPI_PROTOCOL_LLMNR,
	NDPI_PROTOCOL_WSD, NDPI_PROTOCOL_SYSLOG, NDPI_PROTOCOL_SSH,
};

struct dpi {
	struct ndpi_detection_module_struct *mod;
	struct ndpi_flow_struct *spare;   /* freed states kept for reuse, chained through their first bytes */
	uint32_t active, spare_count;
};

struct dpi *dpi_new(bool all_protocols)
{
	struct dpi *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!d->mod) {
		free(d);
		return NULL;
	}
	NDPI_PROTOCOL_BITMASK mask;
	if (all_protocols) {
		NDPI_BITMASK_SET_ALL(mask);
	} else {
		NDPI_BITMASK_RESET(mask);
		for (size_t i = 0; i < sizeof configmgr_protocols / sizeof configmgr_protocols[0]; i++)
			NDPI_ADD_PROTOCOL_TO_BITMASK(mask, configmgr_protocols[i]);
	}
	ndpi_set_protocol_detection_bitmask2(d->mod, &mask);
	ndpi_finalize_initialization(d->mod);
	return d;
}

void dpi_free(struct dpi *d)
{
	if (!d)
		return;
	while (d->spare) {
		struct ndpi_flow_struct *next;
		memcpy(&next, (const void *)d->spare, sizeof next); /* the free list link lives in a spare state */
		free(d->spare);
		d->spare = next;
	}
	ndpi_exit_detection_module(d->mod);
	free(d);
}

static struct ndpi_flow_struct *state_get(struct dpi *d)
{
	struct ndpi_flow_struct *s = d->spare;
	if (s) {
		memcpy(&d->spare, (const void *)s, sizeof d->spare);
		d->spare_count--;
	} else {
		s = malloc(SIZEOF_FLOW_STRUCT);
		if (!s)
			return NULL;
	}
	memset(s, 0, SIZEOF_FLOW_STRUCT);
	d->active++;
	return s;
}

static void state_put(struct dpi *d, struct ndpi_flow_struct *s)
{
	ndpi_free_flow_data(s);
	d->active--;
	if (d->spare_count >= 4096) { /* keep a bounded reserve; the rest goes back to the allocator */
		free(s);
		return;
	}
	memcpy((void *)s, &d->spare, sizeof d->spare);
	d->spare = s;
	d->spare_count++;
}

static bool is_http(ndpi_protocol p)
{
	return p.master_protocol == NDPI_PROTOCOL_HTTP || p.app_protocol == NDPI_PROTOCOL_HTTP;
}

static bool is_tls(ndpi_protocol p)
{
	return p.master_protocol == NDPI_PROTOCOL_TLS || p.app_protocol == NDPI_PROTOCOL_TLS;
}

/* nDPI's fields that cmflow keeps: HTTP's host, URL, user agent and status; TLS's server name and version */
static bool keeps_fields(ndpi_protocol p)
{
	return is_http(p) || is_tls(p);
}

static void keep_results(struct flow *f, ndpi_protocol p)
{
	struct ndpi_flow_struct *s = f->ndpi;
	f->ndpi_master = p.master_protocol;
	f->ndpi_app = p.app_protocol;
	f->ndpi_confidence = (uint8_t)s->confidence;

	bool http = is_http(p);
	if (!keeps_fields(p))
		return;
	struct flow_ext *x = flow_ext_get(f);
	if (!x)
		return;
	size_t hlen = strnlen(s->host_server_name, sizeof s->host_server_name);
	if (http) {
		/* cmflow's own request-line parser has priority: it also sees CCM_POST and BITS_POST */
		if (!x->http_host && hlen)
			flow_ext_set_str(&x->http_host, s->host_server_name, hlen);
		if (!x->http_url && s->http.url)
			flow_ext_set_str(&x->http_url, s->http.url, strlen(s->http.url));
		if (!x->http_user_agent && s->http.user_agent)
			flow_ext_set_str(&x->http_user_agent, s->http.user_agent, strlen(s->http.user_agent));
		if (!x->http_status)
			x->http_status = s->http.response_status_code;
	} else {
		if (!x->tls_sni && hlen)
			flow_ext_set_str(&x->tls_sni, s->host_server_name, hlen);
		if (!x->tls_version && tls_version_name(s->protos.tls_quic.ssl_version))
			x->tls_version = s->protos.tls_quic.ssl_version;
	}
}

void dpi_skip(struct dpi *d, struct flow *f)
{
	if (f->ndpi) { /* detection over (or cmflow's proof came after some packets): the state goes now */
		state_put(d, f->ndpi);
		f->ndpi = NULL;
	}
	f->flags |= FLOW_F_DPI_DONE;
}

static void finish(struct dpi *d, struct flow *f, ndpi_protocol p)
{
	keep_results(f, p);
	dpi_skip(d, f);
}

bool dpi_packet(struct dpi *d, struct flow *f, const struct packet *pkt, enum flow_dir dir)
{
	(void)dir;
	if (f->flags & FLOW_F_DPI_DONE)
		return true;
	if (!f->ndpi) {
		/* TCP: the state (688 bytes) comes with the first payload; a flow that never carries any (a scan, a
		 * SYN flood) costs none, and is guessed by its ports when it ends */
		if (f->key.ip_proto == 6 && pkt->payload_len == 0)
			return false;
		f->ndpi = state_get(d);
		if (!f->ndpi) { /* out of memory: give up on this flow's DPI, keep counting it */
			f->flags |= FLOW_F_DPI_DONE;
			return true;
		}
	}
	uint16_t l3len = pkt->ip_len > 65535 ? 65535 : (uint16_t)pkt->ip_len;
	ndpi_protocol p = ndpi_detection_process_packet(d->mod, f->ndpi, pkt->ip, l3len, pkt->ts_us / 1000);
	bool known = p.master_protocol != NDPI_PROTOCOL_UNKNOWN || p.app_protocol != NDPI_PROTOCOL_UNKNOWN;
	/* nDPI's extra dissection is waited for only where cmflow keeps its fields (HTTP and TLS): a DNS answer
	 * without records kept the state of every such flow until it timed out */
	if (known && (!keeps_fields(p) || !ndpi_extra_dissection_possible(d->mod, f->ndpi))) {
		finish(d, f, p);
		return true;
	}
	if (f->ndpi->num_processed_pkts >= DPI_MAX_PACKETS) {
		dpi_finish(d, f);
		return true;
	}
	return false;
}

/* A TCP flow that never carried payload: nDPI's guess by ports (and by address, for IPv4). */
static void guess_by_ports(struct dpi *d, struct flow *f)
{
	uint32_t s = 0, t = 0; /* host byte order; IPv6 is guessed by ports alone */
	if (f->key.family == 4) {
		bytes_be32(flow_src_addr(f), 4, 0, &s);
		bytes_be32(flow_dst_addr(f), 4, 0, &t);
	}
	ndpi_protocol p = ndpi_guess_undetected_protocol(d->mod, NULL, f->key.ip_proto, s, flow_src_port(f), t,
							 flow_dst_port(f));
	f->ndpi_master = p.master_protocol;
	f->ndpi_app = p.app_protocol;
	f->ndpi_confidence = p.master_protocol || p.app_protocol ? NDPI_CONFIDENCE_MATCH_BY_PORT : NDPI_CONFIDENCE_UNKNOWN;
	f->flags |= FLOW_F_DPI_DONE;
}

void dpi_finish(struct dpi *d, struct flow *f)
{
	if (!f->ndpi) {
		if (f->key.ip_proto == 6 && !(f->flags & FLOW_F_DPI_DONE))
			guess_by_ports(d, f);
		return;
	}
	u_int8_t guessed = 0;
	/* returns what was detected so far, else nDPI's guess (its confidence then says by port or by address) */
	ndpi_protocol p = ndpi_detection_giveup(d->mod, f->ndpi, 1, &guessed);
	finish(d, f, p);
}

bool dpi_proven(const struct flow *f)
{
	return f->ndpi_confidence == NDPI_CONFIDENCE_DPI &&
	       (f->ndpi_master != NDPI_PROTOCOL_UNKNOWN || f->ndpi_app != NDPI_PROTOCOL_UNKNOWN);
}

const char *dpi_name(const struct dpi *d, const struct flow *f, char *buf, size_t len)
{
	ndpi_protocol p = { f->ndpi_master, f->ndpi_app, NDPI_PROTOCOL_CATEGORY_UNSPECIFIED };
	return ndpi_protocol2name(d->mod, p, buf, (u_int)len);
}

static bool has_proto(const struct flow *f, uint16_t id)
{
	return f->ndpi_master == id || f->ndpi_app == id;
}

const char *dpi_app_proto(const struct flow *f)
{
	static const struct {
		uint16_t id;
		const char *name;
	} names[] = {
		{ NDPI_PROTOCOL_HTTP, "http" },     { NDPI_PROTOCOL_TLS, "tls" },     { NDPI_PROTOCOL_SMBV1, "smb" },
		{ NDPI_PROTOCOL_SMBV23, "smb" },    { NDPI_PROTOCOL_DCERPC, "dcerpc" }, { NDPI_PROTOCOL_KERBEROS, "krb5" },
		{ NDPI_PROTOCOL_LDAP, "ldap" },     { NDPI_PROTOCOL_DNS, "dns" },     { NDPI_PROTOCOL_DHCP, "dhcp" },
		{ NDPI_PROTOCOL_DHCPV6, "dhcp" },   { NDPI_PROTOCOL_TFTP, "tftp" },   { NDPI_PROTOCOL_RDP, "rdp" },
		{ NDPI_PROTOCOL_NTP, "ntp" },       { NDPI_PROTOCOL_SNMP, "snmp" },   { NDPI_PROTOCOL_SSH, "ssh" },
		{ NDPI_PROTOCOL_NETBIOS, "nbss" },  { NDPI_PROTOCOL_MSSQL_TDS, "tds" }, { NDPI_PROTOCOL_PPTP, "pptp" },
		{ NDPI_PROTOCOL_QUIC, "quic" },     { NDPI_PROTOCOL_SYSLOG, "syslog" }, { NDPI_PROTOCOL_MDNS, "mdns" },
		{ NDPI_PROTOCOL_LLMNR, "llmnr" },
	};
	if (!dpi_proven(f))
		return NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (has_proto(f, names[i].id))
			return names[i].name;
	return NULL;
}

const char *dpi_confidence_name(const struct flow *f)
{
	switch (f->ndpi_confidence) {
	case NDPI_CONFIDENCE_MATCH_BY_PORT: return "match-by-port";
	case NDPI_CONFIDENCE_MATCH_BY_IP: return "match-by-ip";
	case NDPI_CONFIDENCE_DPI_CACHE: return "dpi-cache";
	case NDPI_CONFIDENCE_DPI: return "dpi";
	default: return "unknown";
	}
}

uint32_t dpi_active(const struct dpi *d)
{
	return d->active;
}
