/* auth.c: a flow's authentication exchanges (auth.h): NTLMSSP messages and Kerberos tokens into the bounded
 * record, one exchange a login. */
#include <stdlib.h>
#include <string.h>

#include "flow/auth.h"
#include "flow/flow_ext.h"
#include "lib/intern.h"

static void str_free(const char *p)
{
	if (p && !intern_owns(p))
		free((char *)p);
}

static void exchange_clear(struct auth_exchange *x)
{
	const char *s[] = { x->domain, x->user, x->workstation, x->spn, x->target };
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		str_free(s[i]);
}

void flow_auth_free(struct flow_auth *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < a->n; i++)
		exchange_clear(&a->x[i]);
	free(a);
}

const struct flow_auth *flow_auth(const struct flow *f)
{
	const struct flow_more *m = f->ext ? f->ext->more : NULL;
	return m ? m->auth : NULL;
}

static struct flow_auth *record_of(struct flow *f)
{
	struct flow_more *m = flow_ext_more(f);
	if (m && !m->auth)
		m->auth = calloc(1, sizeof *m->auth);
	return m ? m->auth : NULL;
}

/* The latest exchange over the carrier, or NULL. */
static struct auth_exchange *current(struct flow_auth *a, uint8_t over)
{
	for (unsigned i = a->n; i-- > 0;)
		if (a->x[i].over == over)
			return &a->x[i];
	return NULL;
}

static struct auth_exchange *next_exchange(struct flow_auth *a, uint8_t over, uint8_t mech, uint64_t ts_us)
{
	if (a->n == FLOW_AUTH_MAX) {
		a->dropped++;
		return NULL;
	}
	struct auth_exchange *x = &a->x[a->n++];
	memset(x, 0, sizeof *x);
	x->over = over;
	x->mech = mech;
	x->first_us = ts_us;
	return x;
}

static void keep_name(const char **dst, const char *s)
{
	if (s[0])
		flow_ext_set_str(dst, s, strlen(s));
}

static bool same_name(const char *kept, const char *s)
{
	return kept ? !strcmp(kept, s) : !s[0];
}

void flow_auth_ntlmssp(struct flow *f, uint8_t over, enum flow_dir dir, const struct ntlmssp_msg *m, uint64_t ts_us)
{
	(void)dir; /* the message type says who sent it */
	if (m->type < NTLMSSP_NEGOTIATE || m->type > NTLMSSP_AUTHENTICATE)
		return;
	struct flow_auth *a = record_of(f);
	if (!a)
		return;
	struct auth_exchange *x = current(a, over);
	if (x && x->mech != AUTH_MECH_NTLM)
		x = NULL;
	uint8_t bit = (uint8_t)(1u << m->type);
	switch (m->type) {
	case NTLMSSP_NEGOTIATE:
		if (x && x->types == bit)
			return; /* the same NEGOTIATE again (a retransmission, or SPNEGO's and the raw one) */
		x = NULL;
		break;
	case NTLMSSP_CHALLENGE:
		if (x && x->has_challenge && !memcmp(x->challenge, m->challenge, 8))
			return;
		if (x && (x->has_challenge || (x->types & 1u << NTLMSSP_AUTHENTICATE)))
			x = NULL;
		break;
	case NTLMSSP_AUTHENTICATE:
		if (x && (x->types & bit)) {
			if (same_name(x->user, m->user) && same_name(x->domain, m->domain))
				return;
			x = NULL;
		}
		break;
	}
	if (!x && !(x = next_exchange(a, over, AUTH_MECH_NTLM, ts_us)))
		return;
	x->types |= bit;
	if (m->type == NTLMSSP_CHALLENGE) {
		x->has_challenge = m->has_challenge;
		memcpy(x->challenge, m->challenge, 8);
		x->challenge_us = ts_us;
		keep_name(&x->target, m->target[0] ? m->target : m->server_nb_name);
	} else if (m->type == NTLMSSP_AUTHENTICATE) {
		x->auth_us = ts_us;
		x->anonymous = m->anonymous;
		x->response = m->response;
		keep_name(&x->domain, m->domain);
		keep_name(&x->user, m->user);
		keep_name(&x->workstation, m->workstation);
		keep_name(&x->spn, m->client_spn);
	}
}

static bool is_kerberos(uint8_t mech)
{
	return mech == GSS_MECH_KRB5 || mech == GSS_MECH_MS_KRB5 || mech == GSS_MECH_KRB5_U2U;
}

void flow_auth_token(struct flow *f, uint8_t over, enum flow_dir dir, const struct ntlmssp_token *t, uint64_t ts_us)
{
	if (t->has_ntlmssp) {
		flow_auth_ntlmssp(f, over, dir, &t->ntlmssp, ts_us);
		return;
	}
	if (dir != DIR_TO_SERVER || !t->has_token || !is_kerberos(t->mech) || t->krb_msg == KRB_AP_REP ||
	    t->krb_msg == KRB_ERROR)
		return;
	struct flow_auth *a = record_of(f);
	if (!a)
		return;
	struct auth_exchange *x = current(a, over);
	if (x && x->mech == AUTH_MECH_KERBEROS && a->x[a->n - 1].over == over)
		return; /* Kerberos again on the same carrier: one exchange (nothing of it is read) */
	next_exchange(a, over, AUTH_MECH_KERBEROS, ts_us);
}

bool flow_auth_pending(const struct flow *f, uint8_t over)
{
	const struct flow_auth *a = flow_auth(f);
	for (unsigned i = a ? a->n : 0; i-- > 0;)
		if (a->x[i].over == over)
			return a->x[i].mech == AUTH_MECH_NTLM && !(a->x[i].types & 1u << NTLMSSP_AUTHENTICATE);
	return false;
}

const char *auth_over_name(uint8_t over)
{
	switch (over) {
	case AUTH_OVER_SMB: return "smb";
	case AUTH_OVER_HTTP: return "http";
	case AUTH_OVER_DCERPC: return "dcerpc";
	case AUTH_OVER_LDAP: return "ldap";
	case AUTH_OVER_TDS: return "tds";
	default: return NULL;
	}
}

const char *auth_mech_name(uint8_t mech)
{
	switch (mech) {
	case AUTH_MECH_NTLM: return "ntlm";
	case AUTH_MECH_KERBEROS: return "kerberos";
	default: return NULL;
	}
}

const char *auth_last_type_name(const struct auth_exchange *x)
{
	if (x->mech != AUTH_MECH_NTLM)
		return NULL;
	for (unsigned t = NTLMSSP_AUTHENTICATE; t >= NTLMSSP_NEGOTIATE; t--)
		if (x->types & 1u << t)
			return ntlmssp_type_name(t);
	return NULL;
}
