/* inspect.c: cmflow's own inspectors (inspect.h): the rows, and the few lines of each between its parser and the
 * flow. */
#include <pthread.h>
#include <string.h>

#include "flow/auth.h"
#include "flow/boot.h"
#include "flow/dpi.h"
#include "flow/flow_ext.h"
#include "flow/followup.h"
#include "flow/http_requests.h"
#include "flow/inspect.h"
#include "flow/smbrpc.h"
#include "lib/defaults.h"
#include "lib/ipproto.h"
#include "proto/dns.h"
#include "proto/http.h"
#include "proto/ldap.h"
#include "proto/ntlmssp.h"
#include "proto/payload.h"
#include "proto/smb.h"
#include "proto/tds.h"
#include "proto/tls.h"
#include "proto/tls_handshake.h"
#include "proto/wol.h"

/* TLS (RFC 8446 4.1.2, RFC 5246 7.4.1): the client's first payload is a ClientHello (the proof, and the server
 * name); the server's hello says the version chosen. TLS after STARTTLS is the other protocol's flow. */
static enum inspect_want tls_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				 enum flow_dir dir, bool first)
{
	struct tls_hello h;
	struct flow_ext *x;
	(void)env;
	if (!p->payload_len)
		return INSPECT_IDLE;
	if (dir == DIR_TO_SERVER) {
		if (first && f->app_proof == APP_NONE && tls_parse_client_hello(p->payload, p->payload_len, &h)) {
			f->app_proof = APP_TLS;
			if (h.sni[0] && (x = flow_ext_get(f)))
				flow_ext_set_str(&x->tls_sni, h.sni, strlen(h.sni));
		}
	} else if (f->app_proof == APP_TLS && tls_parse_server_hello(p->payload, p->payload_len, &h) &&
		   tls_version_name(h.version) && (x = flow_ext_get(f)) && !x->tls_version) {
		x->tls_version = h.version;
	}
	/* the first payload was the only chance of a ClientHello; then the ServerHello's version is all */
	return f->app_proof != APP_TLS || (f->ext && f->ext->tls_version) ? INSPECT_DONE : INSPECT_IDLE;
}

/* The handshake's posture and names into the side record, and the reader freed. */
static void tls_keep(const struct inspect_env *env, struct flow *f, struct tls_hs *s)
{
	const struct tls_hs_info *in = tls_hs_info(s);
	struct flow_tls *t = flow_ext_tls(f);
	if (t) {
		t->posture = in->posture;
		t->why = in->why;
		t->version = in->version;
		t->client_cert_len = in->client_cert_len;
		t->certificate_request = in->certificate_request;
		t->resumed = in->resumed;
		const char *names[4] = { in->server.subject, in->server.issuer, in->client.subject, in->client.issuer };
		const char **slots[4] = { &t->subject, &t->issuer, &t->client_subject, &t->client_issuer };
		for (int i = 0; i < 4; i++)
			if (names[i][0])
				flow_ext_set_str(slots[i], names[i], strlen(names[i]));
	} else {
		env->stats->tls_refused++; /* memory short: the posture is lost, and said */
	}
	struct inspect_stats *st = env->stats;
	st->tls_bound_hits += in->bound_hits;
	st->tls_readers_live--;
	flow_ext_set_parser(f, PARSER_TLS, NULL, NULL);
	if (st->ntls_spare < INSPECT_TLS_SPARES) {
		tls_hs_reset(s);
		st->tls_spare[st->ntls_spare++] = s;
	} else {
		tls_hs_free(s);
	}
}

void inspect_stats_free(struct inspect_stats *st)
{
	while (st->ntls_spare)
		tls_hs_free(st->tls_spare[--st->ntls_spare]);
}

/* The TLS handshake beyond the hellos (proto/tls_handshake.h): from the ClientHello that proved TLS (or a first
 * payload that is a TLS record: a connection seen from its middle, whose posture is then "not seen"), every
 * segment of both directions goes to the reader, past INSPECT_MAX_PACKETS (a mutual handshake with chains is
 * 10-25 packets, then the reader watches 32 records for a renegotiation), until its posture is final. */
static enum inspect_want tls_handshake_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
					   enum flow_dir dir, bool first)
{
	if (f->app_proof != APP_TLS && f->payload != PAYLOAD_TLS) /* not TLS: the common case, decided before the side
								     * record is read */
		return f->payload == PAYLOAD_UNSEEN ? INSPECT_IDLE : INSPECT_DONE;
	struct tls_hs *s = flow_ext_parser(f, PARSER_TLS);
	if (!s) {
		bool tls = (f->app_proof == APP_TLS && dir == DIR_TO_SERVER) || f->payload == PAYLOAD_TLS;
		if (!env->stats || !first || !tls || (f->ext && f->ext->tls))
			return INSPECT_DONE; /* a reader starts on the first payload or never */
		if (env->stats->tls_readers_live >= INSPECT_TLS_READERS_MAX) {
			env->stats->tls_refused++;
			return INSPECT_DONE;
		}
		s = env->stats->ntls_spare ? env->stats->tls_spare[--env->stats->ntls_spare] : tls_hs_new();
		if (!s || !flow_ext_set_parser(f, PARSER_TLS, s, tls_hs_free)) {
			tls_hs_free(s);
			env->stats->tls_refused++;
			return INSPECT_DONE;
		}
		env->stats->tls_readers++;
		env->stats->tls_readers_live++;
	}
	if (p->payload_len && !tls_hs_segment(s, dir == DIR_TO_SERVER ? 0 : 1, p->tcp_seq, p->payload, p->payload_len)) {
		tls_keep(env, f, s); /* settled */
		return INSPECT_DONE;
	}
	return INSPECT_MORE;
}

void inspect_end(const struct inspect_env *env, struct flow *f)
{
	struct tls_hs *s = flow_ext_parser(f, PARSER_TLS);
	if (!s || !env->stats)
		return;
	tls_hs_end(s);
	tls_keep(env, f, s);
}

/* SMB (MS-SMB2 2.2.1, MS-SMB 2.2.3.1): the client's first payload starts an SMB message. */
static enum inspect_want smb_proof_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				       enum flow_dir dir, bool first)
{
	(void)env;
	if (first && dir == DIR_TO_SERVER && f->app_proof == APP_NONE && smb_looks_like(p->payload, p->payload_len))
		f->app_proof = APP_SMB;
	return f->payload == PAYLOAD_UNSEEN ? INSPECT_IDLE : INSPECT_DONE; /* the first payload decides */
}

/* SMB1 and SMB2/3 on their ports (smbrpc.h): every share, file written, named pipe and the DCE/RPC on it, the
 * dialect and signing. Client push opens ADMIN$ after a long IPC$ conversation and creates its service later on
 * the same connection: the walker reads the flow for as long as it can tell something (its own bound). */
static enum inspect_want smb_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				 enum flow_dir dir, bool first)
{
	(void)first;
	return smbrpc_smb_row(env->expect, f, p, dir) ? INSPECT_MORE : INSPECT_IDLE;
}

/* DNS (RFC 1035 4.1) on its own port: a query is DNS (the other DNS-shaped protocols, mDNS, LLMNR and NetBIOS,
 * have theirs); over TCP behind its two-byte length, in the client's first payload. */
static enum inspect_want dns_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				 enum flow_dir dir, bool first)
{
	(void)env;
	bool tcp = f->key.ip_proto == IP_PROTO_TCP;
	if (dir == DIR_TO_SERVER && f->app_proof == APP_NONE &&
	    (tcp ? first && dns_is_tcp_query(p->payload, p->payload_len)
		 : f->pkts[DIR_TO_SERVER] == 1 && !f->pkts[DIR_TO_CLIENT] && dns_is_query(p->payload, p->payload_len)))
		f->app_proof = APP_DNS;
	/* the query is the first payload (TCP) or the first datagram (UDP) */
	return tcp && f->payload == PAYLOAD_UNSEEN ? INSPECT_IDLE : INSPECT_DONE;
}

/* The header lines of a request or an answer from at: NTLM and Negotiate tokens of the authentication headers
 * (RFC 9110 11.6, RFC 4559) go to the flow's exchanges (auth.h); the header tests' bits are returned. */
static uint32_t http_headers(const struct inspect_env *env, struct flow *f, const struct packet *p, size_t at,
			     enum flow_dir dir)
{
	struct http_header h;
	uint32_t tests = 0;
	while (http_header_next(p->payload, p->payload_len, &at, &h)) {
		if (env->header_tests)
			tests |= http_header_tests_match(env->header_tests, &h);
		bool auth = dir == DIR_TO_SERVER
				    ? http_header_is(&h, "Authorization") || http_header_is(&h, "Proxy-Authorization")
				    : http_header_is(&h, "WWW-Authenticate") || http_header_is(&h, "Proxy-Authenticate");
		enum http_auth_scheme scheme;
		struct ntlmssp_token t;
		if (auth && ntlmssp_parse_http((const char *)h.value, h.value_len, &scheme, &t) && t.wrap != GSS_WRAP_NONE)
			flow_auth_token(f, AUTH_OVER_HTTP, dir, &t, p->ts_us);
	}
	return tests;
}

/* Whether an HTTP connection's login is under way: an NTLM exchange that lacks its AUTHENTICATE, or a last
 * answer of 401/407 that the client's next request (with its credentials) may follow. */
static bool http_login_pending(const struct flow *f)
{
	if (flow_auth_pending(f, AUTH_OVER_HTTP))
		return true;
	const struct flow_http *h = flow_http(f);
	uint16_t last = h ? (h->answered && h->answered <= h->n ? h->req[h->answered - 1].status : 0)
			  : (f->ext && f->ext->http_requests == 1 ? f->ext->http_status : 0);
	return last == 401 || last == 407;
}

/* HTTP/1.x (RFC 9112 3 and 4): a request line from the initiator proves it (the first request's method, target,
 * Host and User-Agent are the side record's; later ones, their statuses and the header tests they meet are
 * http_requests.h's), a status line back gives the status; the authentication headers of every request and of
 * 401/407 answers feed the flow's exchanges. NTLM over HTTP is three requests on one connection: while its login
 * is under way the row reads on past the common first packets (MORE, to its budget). */
static enum inspect_want http_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				  enum flow_dir dir, bool first)
{
	(void)first;
	if (!env->methods || (f->app_proof != APP_NONE && f->app_proof != APP_HTTP))
		return INSPECT_DONE;
	bool past = f->inspected > INSPECT_MAX_PACKETS;
	if (!p->payload_len)
		return past && !http_login_pending(f) ? INSPECT_DONE : past ? INSPECT_MORE : INSPECT_IDLE;
	if (dir == DIR_TO_SERVER) {
		struct http_request req;
		if (!http_parse_request(env->methods, p->payload, p->payload_len, &req)) {
			/* HTTP begins with a request: a first payload that is none is another protocol (seen from the
			 * middle, a later request may still tell) */
			if (f->app_proof != APP_HTTP && !(f->flags & FLOW_F_MIDSTREAM))
				return INSPECT_DONE;
			goto after;
		}
		f->app_proof = APP_HTTP;
		struct flow_ext *x = flow_ext_get(f);
		if (!x)
			return INSPECT_DONE;
		unsigned index = x->http_requests;
		if (x->http_requests < 255)
			x->http_requests++;
		if (!x->http_method) { /* the first request speaks for the flow */
			flow_ext_set_str(&x->http_method, req.method, req.method_len);
			flow_ext_set_str(&x->http_url, req.target, req.target_len);
			if (req.host)
				flow_ext_set_str(&x->http_host, req.host, req.host_len);
			if (req.user_agent)
				flow_ext_set_str(&x->http_user_agent, req.user_agent, req.user_agent_len);
		}
		uint32_t tests = http_headers(env, f, p, req.headers, dir);
		flow_http_request(f, index, &req, tests, p->ts_us);
	} else if (f->app_proof == APP_HTTP) {
		uint16_t status;
		struct flow_ext *x = f->ext;
		if (x && http_parse_status(p->payload, p->payload_len, &status)) {
			if (!x->http_status)
				x->http_status = status;
			flow_http_status(f, status);
			if (status == 401 || status == 407)
				http_headers(env, f, p, http_headers_start(p->payload, p->payload_len), dir);
		}
	} else if (!(f->flags & FLOW_F_MIDSTREAM)) {
		return INSPECT_DONE; /* the server spoke first: not HTTP */
	}
after:
	if (http_login_pending(f))
		return INSPECT_MORE;
	return past ? INSPECT_DONE : INSPECT_IDLE;
}

static bool is_wol_port(const struct inspect_env *env, uint16_t port)
{
	for (unsigned i = 0; i < env->nwol_ports; i++)
		if (env->wol_ports[i] == port)
			return true;
	return false;
}

/* Wake On LAN (AMD's magic packet): the payload decides, on any UDP port; the Wake On LAN ports also report what
 * is not a magic packet. */
static enum inspect_want wol_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				 enum flow_dir dir, bool first)
{
	struct wol_magic m;
	(void)first;
	if (dir != DIR_TO_SERVER || !p->payload_len)
		return INSPECT_IDLE;
	if (wol_parse(p->payload, p->payload_len, &m)) {
		struct flow_more *x = flow_ext_more(f);
		f->app_proof = APP_WOL;
		if (x && !x->wol.has) {
			x->wol.has = true;
			memcpy(x->wol.mac, m.target_mac, 6);
			x->wol.cast = (uint8_t)wol_cast_of(p);
			x->wol.password = m.password_len != 0;
		}
	} else if (f->app_proof != APP_WOL && is_wol_port(env, p->dport)) {
		struct flow_more *x = flow_ext_more(f);
		if (x)
			x->wol.not_magic = true;
		return INSPECT_IDLE; /* a Wake On LAN port: a magic packet may still follow */
	}
	return INSPECT_DONE; /* the first datagram of a sender tells */
}

/* DCE/RPC over TCP (smbrpc.h): every context bound, its opnums and auth type; endpoint mapper and DCOM answers
 * announce follow-ups (followup.h). */
static enum inspect_want dcerpc_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				    enum flow_dir dir, bool first)
{
	(void)first;
	/* a flow another row proved (TLS, HTTP, SMB ...) is not DCE/RPC over TCP (over SMB pipes, the SMB walker reads
	 * it) */
	if (f->app_proof != APP_NONE && f->app_proof != APP_DCERPC && !flow_ext_parser(f, PARSER_DCERPC))
		return INSPECT_DONE;
	return smbrpc_dcerpc_row(env->expect, f, p, dir) ? INSPECT_MORE : INSPECT_IDLE;
}

/* The follow-ups (followup.h): connections that these protocols announce. */

static enum inspect_want dcerpc_udp_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
					enum flow_dir dir, bool first)
{
	(void)first;
	(void)dir;
	if (!env->expect || (flow_dst_port(f) != 135 && flow_src_port(f) != 135))
		return INSPECT_DONE;
	if (p->payload_len)
		followup_dcerpc_udp(env->expect, f, p);
	return INSPECT_IDLE;
}

/* TFTP (RFC 1350): a request's file name is kept (boot.h) and its answer from a new port expected. */
static enum inspect_want tftp_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				  enum flow_dir dir, bool first)
{
	(void)first;
	if (dir == DIR_TO_SERVER && p->payload_len) {
		boot_tftp_packet(f, p);
		if (env->expect)
			followup_tftp(env->expect, f, p);
	}
	return INSPECT_IDLE;
}

/* BOOTP/DHCP with PXE (RFC 2131, RFC 4578) on 67/68 and the PXE boot server's 4011 (boot.h): every message of the
 * first packets. */
static enum inspect_want dhcp_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				  enum flow_dir dir, bool first)
{
	(void)env;
	(void)dir;
	(void)first;
	if (boot_dhcp_packet(f, p) && f->app_proof == APP_NONE)
		f->app_proof = APP_DHCP;
	return INSPECT_IDLE;
}

/* A security token into the flow's exchanges (auth.h). */
static void auth_token(struct flow *f, uint8_t over, enum flow_dir dir, const uint8_t *token, size_t len,
		       uint64_t ts_us)
{
	struct ntlmssp_token t;
	struct ntlmssp_msg m;
	if (!token || !len)
		return;
	if (ntlmssp_parse_token(token, len, &t))
		flow_auth_token(f, over, dir, &t, ts_us);
	else if (ntlmssp_find(token, len, &m))
		flow_auth_ntlmssp(f, over, dir, &m, ts_us);
}

/* LDAP binds (proto/ldap.h): SASL and Sicily NTLM logins into the flow's exchanges. A segment that starts a bind
 * message is read; the first packets hold the bind. */
static enum inspect_want ldap_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				  enum flow_dir dir, bool first)
{
	(void)env;
	(void)first;
	if (f->app_proof == APP_TLS)
		return INSPECT_DONE;
	struct ldap_bind b;
	if (p->payload_len && ldap_parse_bind(p->payload, p->payload_len, &b) && b.auth != LDAP_AUTH_SIMPLE)
		auth_token(f, AUTH_OVER_LDAP, dir, b.token, b.token_len, p->ts_us);
	return INSPECT_IDLE;
}

/* TDS logins with Windows authentication (proto/tds.h): the LOGIN7's and SSPI messages' tokens, the server's SSPI
 * token. */
static enum inspect_want tds_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				 enum flow_dir dir, bool first)
{
	(void)env;
	(void)first;
	struct tds_auth a;
	if (p->payload_len && tds_parse_auth(p->payload, p->payload_len, &a))
		auth_token(f, AUTH_OVER_TDS, dir, a.token, a.token_len, p->ts_us);
	return INSPECT_IDLE;
}

static enum inspect_want pptp_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
				  enum flow_dir dir, bool first)
{
	(void)first;
	(void)dir;
	if (!env->expect)
		return INSPECT_DONE;
	return followup_pptp(env->expect, f, p) ? INSPECT_MORE : INSPECT_IDLE;
}

static enum inspect_want sqlbrowser_row(const struct inspect_env *env, struct flow *f, const struct packet *p,
					enum flow_dir dir, bool first)
{
	(void)first;
	if (!env->expect)
		return INSPECT_DONE;
	if (dir != DIR_TO_CLIENT || !p->payload_len)
		return INSPECT_MORE;
	return followup_sqlbrowser(env->expect, f, p) ? INSPECT_MORE : INSPECT_IDLE;
}


#define HTTP_AUTH_BUDGET 64 /* an HTTP connection whose NTLM login is under way (a large first answer before it) */
#define LONG_BUDGET 250 /* a TLS handshake's certificates can take many packets (f->inspected saturates at 255) */

static const struct inspector table[] = {
	{ "tls", IP_PROTO_TCP, { 0 }, INSPECT_MAX_PACKETS, APP_TLS, "TLS (cmflow)", tls_row },
	{ "tls-handshake", IP_PROTO_TCP, { 0 }, LONG_BUDGET, APP_NONE, NULL, tls_handshake_row },
	{ "smb", IP_PROTO_TCP, { 0 }, INSPECT_MAX_PACKETS, APP_SMB, "SMB (cmflow)", smb_proof_row },
	{ "dns", IP_PROTO_TCP, { 53 }, INSPECT_MAX_PACKETS, APP_DNS, "DNS (cmflow)", dns_row },
	{ "dns", IP_PROTO_UDP, { 53 }, INSPECT_MAX_PACKETS, APP_DNS, "DNS (cmflow)", dns_row },
	{ "http", IP_PROTO_TCP, { 0 }, HTTP_AUTH_BUDGET, APP_HTTP, "HTTP (cmflow)", http_row },
	{ "wol", IP_PROTO_UDP, { 0 }, INSPECT_MAX_PACKETS, APP_WOL, "Wake On LAN (cmflow)", wol_row },
	{ "smb-walk", IP_PROTO_TCP, { 445, 139 }, INSPECT_BUDGET_OWN, APP_NONE, NULL, smb_row },
	{ "dcerpc", IP_PROTO_TCP, { 0 }, INSPECT_BUDGET_OWN, APP_DCERPC, "DCE/RPC (cmflow)", dcerpc_row },
	{ "dcerpc-udp", IP_PROTO_UDP, { 0 }, INSPECT_MAX_PACKETS, APP_NONE, NULL, dcerpc_udp_row },
	{ "tftp", IP_PROTO_UDP, { 69 }, INSPECT_MAX_PACKETS, APP_NONE, NULL, tftp_row },
	{ "dhcp", IP_PROTO_UDP, { 67, 68, 4011 }, INSPECT_MAX_PACKETS, APP_DHCP, "DHCP (cmflow)", dhcp_row },
	{ "ldap-auth", IP_PROTO_TCP, { 389, 3268 }, INSPECT_MAX_PACKETS, APP_NONE, NULL, ldap_row },
	{ "tds-auth", IP_PROTO_TCP, { 1433 }, INSPECT_MAX_PACKETS, APP_NONE, NULL, tds_row },
	{ "pptp", IP_PROTO_TCP, { 1723 }, INSPECT_MAX_PACKETS, APP_NONE, NULL, pptp_row },
	{ "sql-browser", IP_PROTO_UDP, { 1434 }, INSPECT_MAX_PACKETS, APP_NONE, NULL, sqlbrowser_row },
};

#define NROWS (sizeof table / sizeof table[0])
_Static_assert(NROWS <= 16, "struct flow's inspect_done has a bit for each row");

const struct inspector *inspectors(unsigned *n)
{
	*n = NROWS;
	return table;
}

/* The responder port is one of the row's (a row without ports takes every port). */
static bool row_port(const struct inspector *r, const struct flow *f)
{
	if (!r->ports[0])
		return true;
	uint16_t port = flow_dst_port(f);
	for (unsigned i = 0; i < INSPECT_MAX_PORTS && r->ports[i]; i++)
		if (r->ports[i] == port)
			return true;
	return false;
}

/* The rows of each transport by bit (the table's order), and of those the ones that may look past the common
 * first packets (the walkers: a long SMB transfer asks only them); made once. A packet asks only the rows of its
 * transport that are not done with the flow: the whole table asked on every packet showed in profiles. */
static uint16_t rows_tcp, rows_udp, long_tcp, long_udp;
static pthread_once_t rows_once = PTHREAD_ONCE_INIT;

static void make_row_masks(void)
{
	for (unsigned i = 0; i < NROWS; i++) {
		bool tcp = table[i].transport == IP_PROTO_TCP;
		*(tcp ? &rows_tcp : &rows_udp) |= (uint16_t)(1u << i);
		if (table[i].budget > INSPECT_MAX_PACKETS)
			*(tcp ? &long_tcp : &long_udp) |= (uint16_t)(1u << i);
	}
}

bool inspect_packet(const struct inspect_env *env, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	bool first = false;
	if (f->key.ip_proto == IP_PROTO_TCP && p->payload_len && f->payload == PAYLOAD_UNSEEN) {
		first = true; /* what the first payload is: TLS, cleartext ... (checks on TLS-only ports read it) */
		f->payload = (uint8_t)payload_classify(p->payload, p->payload_len);
	}
	if (f->key.ip_proto != IP_PROTO_TCP && f->key.ip_proto != IP_PROTO_UDP)
		return false;
	pthread_once(&rows_once, make_row_masks);
	bool tcp = f->key.ip_proto == IP_PROTO_TCP, past = f->inspected > INSPECT_MAX_PACKETS;
	unsigned todo = (past ? (tcp ? long_tcp : long_udp) : (tcp ? rows_tcp : rows_udp)) & ~(unsigned)f->inspect_done;
	bool more = false;
	while (todo) {
		unsigned i = (unsigned)__builtin_ctz(todo);
		todo &= todo - 1;
		const struct inspector *r = &table[i];
		if (past && f->inspected > r->budget)
			continue;
		if (!row_port(r, f)) { /* the flow's ports do not change */
			f->inspect_done |= (uint16_t)(1u << i);
			continue;
		}
		enum inspect_want w = r->fn(env, f, p, dir, first);
		if (w == INSPECT_DONE)
			f->inspect_done |= (uint16_t)(1u << i);
		more |= w == INSPECT_MORE;
	}
	return more;
}

const char *flow_app_proto(const struct flow *f)
{
	for (unsigned i = 0; f->app_proof != APP_NONE && i < NROWS; i++)
		if (table[i].proves == f->app_proof)
			return table[i].name;
	return dpi_app_proto(f);
}

const char *inspect_label(const char *app_proto)
{
	for (unsigned i = 0; app_proto && i < NROWS; i++)
		if (table[i].label && !strcmp(table[i].name, app_proto))
			return table[i].label;
	return NULL;
}
