/* fuzz_auth: the authentication and boot parsers: NTLMSSP messages, SPNEGO / GSS-API tokens (at every offset
 * where one could start, so that whole payloads seed it), HTTP Authorization values, the NTLMSSP signature
 * search, and BOOTP/DHCP messages. Checks that every string returned is terminated within its array and that
 * the parsers' invariants hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dhcp.h"
#include "proto/ldap.h"
#include "proto/ntlmssp.h"
#include "proto/tds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(s) (memchr((s), '\0', sizeof(s)) != NULL)

static void check_msg(const struct ntlmssp_msg *m)
{
	if (m->type < NTLMSSP_NEGOTIATE || m->type > NTLMSSP_AUTHENTICATE || m->response > NTLM_RESPONSE_V2)
		abort();
	if (!TERMINATED(m->target) || !TERMINATED(m->server_nb_name) || !TERMINATED(m->server_dns_name) ||
	    !TERMINATED(m->domain) || !TERMINATED(m->user) || !TERMINATED(m->workstation) || !TERMINATED(m->client_spn))
		abort();
	if (m->has_challenge != (m->type == NTLMSSP_CHALLENGE))
		abort();
}

static void check_token(const struct ntlmssp_token *t)
{
	if (t->has_ntlmssp) {
		if (t->mech != GSS_MECH_NTLMSSP)
			abort();
		check_msg(&t->ntlmssp);
	}
	if (t->mech >= GSS_MECH_COUNT || t->wrap > GSS_WRAP_KRB5 || (t->mechs_offered >> GSS_MECH_COUNT))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntlmssp_msg m;
	struct ntlmssp_token t;
	if (ntlmssp_parse(data, size, &m))
		check_msg(&m);
	if (ntlmssp_find(data, size, &m))
		check_msg(&m);
	if (ntlmssp_parse_token(data, size, &t))
		check_token(&t);
	/* a token may start inside a payload: after an SMB header, in a DCE/RPC verifier, an LDAP bind */
	for (size_t i = 1; i < size && i < 512; i++)
		if ((data[i] == 0x60 || data[i] == 0xa0 || data[i] == 0xa1 || data[i] == 'N') &&
		    ntlmssp_parse_token(data + i, size - i, &t))
			check_token(&t);
	enum http_auth_scheme scheme;
	if (ntlmssp_parse_http((const char *)data, size, &scheme, &t)) {
		if (scheme == HTTP_AUTH_OTHER)
			abort();
		check_token(&t);
	}
	struct ldap_bind b;
	if (ldap_parse_bind(data, size, &b)) {
		if ((b.token && (b.token < data || b.token + b.token_len > data + size)) || (!b.token && b.token_len) ||
		    !memchr(b.mechanism, '\0', sizeof b.mechanism))
			abort();
		if (b.token && ntlmssp_parse_token(b.token, b.token_len, &t))
			check_token(&t);
	}
	struct tds_auth a;
	if (tds_parse_auth(data, size, &a)) {
		if ((a.token && (a.token < data || a.token + a.token_len > data + size)) || (!a.token && a.token_len))
			abort();
		if (a.token && ntlmssp_find(a.token, a.token_len, &m))
			check_msg(&m);
	}
	tds_looks_like(data, size);
	struct dhcp_msg d;
	if (dhcp_parse(data, size, &d)) {
		if (!TERMINATED(d.sname) || !TERMINATED(d.file) || !TERMINATED(d.vendor_class) ||
		    !TERMINATED(d.tftp_server) || !TERMINATED(d.bootfile) || !TERMINATED(d.opt252))
			abort();
		if (d.hlen > 16 || (d.op != 1 && d.op != 2) || d.overload > 3)
			abort();
		for (unsigned code = DHCP_PRIVATE_FIRST; code <= DHCP_PRIVATE_LAST; code++) {
			const struct dhcp_private *p = dhcp_private_option(&d, (uint8_t)code);
			if (!p && d.priv[code - DHCP_PRIVATE_FIRST].len)
				abort();
		}
	}
	return 0;
}
