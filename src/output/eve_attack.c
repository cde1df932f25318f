/* eve_attack.c: configmgr.auth[], configmgr.dhcp, configmgr.tftp and configmgr.http_requests[] of a flow event
 * (eve_attack.h). */
#include <stdio.h>

#include "flow/auth.h"
#include "flow/boot.h"
#include "flow/flow_ext.h"
#include "flow/http_requests.h"
#include "output/eve_attack.h"
#include "proto/dhcp.h"
#include "proto/ntlmssp.h"

static void write_hex(struct json *j, const char *key, const uint8_t *b, size_t n)
{
	char s[2 * 16 + 1];
	for (size_t i = 0; i < n && i < 16; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	json_plain(j, key, s);
}

static void write_auth(struct json *j, const struct flow_auth *a)
{
	json_open_array(j, "auth");
	for (unsigned i = 0; i < a->n; i++) {
		const struct auth_exchange *x = &a->x[i];
		json_open_object(j, NULL);
		json_plain(j, "over", auth_over_name(x->over));
		json_plain(j, "mech", auth_mech_name(x->mech));
		const char *type = auth_last_type_name(x);
		if (type)
			json_plain(j, "type", type);
		if (x->has_challenge)
			write_hex(j, "challenge", x->challenge, 8);
		if (x->target)
			json_str(j, "target", x->target);
		if (x->types & 1u << NTLMSSP_AUTHENTICATE) {
			json_str(j, "domain", x->domain ? x->domain : "");
			json_str(j, "user", x->user ? x->user : "");
			if (x->workstation)
				json_str(j, "workstation", x->workstation);
			if (x->spn)
				json_str(j, "spn", x->spn);
			json_bool(j, "anonymous", x->anonymous);
			const char *v = ntlm_response_name(x->response);
			if (v)
				json_plain(j, "ntlm_version", v);
		}
		json_close_object(j);
	}
	json_close_array(j);
	if (a->dropped)
		json_uint(j, "auth_dropped", a->dropped);
}

static void write_ipv4(struct json *j, const char *key, const uint8_t a[4])
{
	char s[16];
	snprintf(s, sizeof s, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	json_plain(j, key, s);
}

static void write_dhcp(struct json *j, const struct boot_dhcp *d)
{
	char mac[18];
	json_open_object(j, "dhcp");
	json_uint(j, "messages", d->messages);
	json_open_array(j, "dhcp_types");
	for (unsigned t = 1; t < 16; t++)
		if (d->types & 1u << t) {
			const char *n = boot_dhcp_type_name(t);
			if (n)
				json_plain(j, NULL, n);
		}
	json_close_array(j);
	if (d->types & 1u)
		json_bool(j, "bootp", true);
	json_uint(j, "id", d->xid);
	if (d->has_client_mac) {
		const uint8_t *m = d->client_mac;
		snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		json_plain(j, "client_mac", mac);
	}
	if (d->has_client_ip)
		write_ipv4(j, "client_ip", d->client_ip);
	if (d->has_assigned)
		write_ipv4(j, "assigned_ip", d->assigned);
	if (d->has_next_server)
		write_ipv4(j, "next_server", d->next_server);
	if (d->vendor_class)
		json_str(j, "vendor_class", d->vendor_class);
	if (d->narch) {
		json_open_array(j, "client_arch");
		for (unsigned i = 0; i < d->narch; i++) {
			const char *n = dhcp_arch_name(d->arch[i]);
			char num[8];
			snprintf(num, sizeof num, "%u", d->arch[i]);
			json_str(j, NULL, n ? n : num);
		}
		json_close_array(j);
	}
	if (d->has_uuid)
		write_hex(j, "client_machine_id", d->uuid, 16);
	if (d->boot_file)
		json_str(j, "boot_file", d->boot_file);
	if (d->tftp_server)
		json_str(j, "tftp_server", d->tftp_server);
	if (d->has_243 || d->bcd) {
		json_open_object(j, "pxe");
		if (d->has_243) { /* the type byte and the length: never the bytes (a key when the type is 2) */
			json_uint(j, "option_243_type", d->opt243_type);
			json_uint(j, "option_243_length", d->opt243_len);
			json_bool(j, "media_password", d->opt243_type != 2);
		}
		if (d->bcd)
			json_str(j, "bcd", d->bcd);
		json_close_object(j);
	}
	json_close_object(j);
}

static void write_tftp(struct json *j, const struct boot_tftp *t)
{
	json_open_object(j, "tftp");
	if (t->mode)
		json_plain(j, "mode", t->mode);
	json_open_array(j, "files");
	for (unsigned i = 0; i < t->n; i++) {
		json_open_object(j, NULL);
		json_str(j, "name", t->files[i]);
		json_plain(j, "op", t->write[i] ? "write" : "read");
		json_close_object(j);
	}
	json_close_array(j);
	if (t->dropped)
		json_uint(j, "files_dropped", t->dropped);
	json_close_object(j);
}

/* The connection's requests, the first included, when it kept more than the first (or a header test met). */
static void write_http_requests(struct json *j, const struct flow *f)
{
	const struct flow_http *h = flow_http(f);
	unsigned n = flow_http_count(f);
	if (!h || n < 2)
		return;
	json_open_array(j, "http_requests");
	for (unsigned i = 0; i < n; i++) {
		struct http_req_seen q;
		if (!flow_http_get(f, i, &q))
			break;
		json_open_object(j, NULL);
		if (q.method)
			json_str(j, "http_method", q.method);
		if (q.url)
			json_str(j, "url", q.url);
		if (q.user_agent)
			json_str(j, "http_user_agent", q.user_agent);
		if (q.status)
			json_uint(j, "status", q.status);
		json_close_object(j);
	}
	json_close_array(j);
	if (h->dropped)
		json_uint(j, "http_requests_dropped", h->dropped);
}

void eve_attack_configmgr(struct json *j, const struct flow_record *r)
{
	const struct flow *f = r->f;
	const struct flow_auth *a = flow_auth(f);
	if (a && a->n)
		write_auth(j, a);
	const struct flow_boot *b = flow_boot(f);
	if (b && b->dhcp.messages)
		write_dhcp(j, &b->dhcp);
	if (b && b->tftp.n)
		write_tftp(j, &b->tftp);
	write_http_requests(j, f);
}
