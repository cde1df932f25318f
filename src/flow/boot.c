/* boot.c: DHCP/PXE and TFTP names on a flow (boot.h). */
#include <stdlib.h>
#include <string.h>

#include "flow/boot.h"
#include "flow/flow_ext.h"
#include "lib/intern.h"
#include "proto/tftp.h"

static void str_free(const char *p)
{
	if (p && !intern_owns(p))
		free((char *)p);
}

void flow_boot_free(struct flow_boot *b)
{
	if (!b)
		return;
	str_free(b->dhcp.vendor_class);
	str_free(b->dhcp.bcd);
	str_free(b->dhcp.boot_file);
	str_free(b->dhcp.tftp_server);
	for (unsigned i = 0; i < b->tftp.n; i++)
		str_free(b->tftp.files[i]);
	free(b);
}

const struct flow_boot *flow_boot(const struct flow *f)
{
	const struct flow_more *m = f->ext ? f->ext->more : NULL;
	return m ? m->boot : NULL;
}

static struct flow_boot *record_of(struct flow *f)
{
	struct flow_more *m = flow_ext_more(f);
	if (m && !m->boot)
		m->boot = calloc(1, sizeof *m->boot);
	return m ? m->boot : NULL;
}

static bool zero4(const uint8_t a[4])
{
	return !(a[0] | a[1] | a[2] | a[3]);
}

static void keep_str(const char **dst, const char *s)
{
	if (!*dst && s[0])
		flow_ext_set_str(dst, s, strlen(s));
}

bool boot_dhcp_packet(struct flow *f, const struct packet *p)
{
	struct dhcp_msg m;
	if (!p->payload_len || !dhcp_parse(p->payload, p->payload_len, &m))
		return false;
	struct flow_boot *b = record_of(f);
	if (!b)
		return true;
	struct boot_dhcp *d = &b->dhcp;
	if (!d->messages++) {
		d->first_type = m.msg_type;
		d->first_op = m.op;
		d->xid = m.xid;
	}
	if (m.msg_type < 16)
		d->types |= (uint16_t)(1u << m.msg_type);
	if (!d->has_client_mac && dhcp_client_mac(&m, d->client_mac))
		d->has_client_mac = true;
	if (m.op == 2 && !zero4(m.yiaddr) && !d->has_assigned) {
		memcpy(d->assigned, m.yiaddr, 4);
		d->has_assigned = true;
	}
	if (m.op == 2 && !zero4(m.siaddr) && !d->has_next_server) {
		memcpy(d->next_server, m.siaddr, 4);
		d->has_next_server = true;
	}
	if (m.op == 1 && !zero4(m.ciaddr) && !d->has_client_ip) {
		memcpy(d->client_ip, m.ciaddr, 4);
		d->has_client_ip = true;
	}
	if (!d->narch && m.arch_count) {
		d->narch = m.arch_count < DHCP_ARCH_MAX ? m.arch_count : DHCP_ARCH_MAX;
		memcpy(d->arch, m.arch, d->narch * sizeof d->arch[0]);
	}
	if (!d->has_uuid && m.has_uuid) {
		memcpy(d->uuid, m.uuid, 16);
		d->has_uuid = true;
	}
	const struct dhcp_private *o243 = dhcp_private_option(&m, 243);
	if (o243 && !d->has_243) {
		d->has_243 = true;
		d->opt243_type = o243->first;
		d->opt243_len = o243->len;
	}
	keep_str(&d->vendor_class, m.vendor_class);
	keep_str(&d->bcd, m.opt252);
	keep_str(&d->boot_file, m.bootfile[0] ? m.bootfile : m.file);
	keep_str(&d->tftp_server, m.tftp_server[0] ? m.tftp_server : m.sname);
	return true;
}

void boot_tftp_packet(struct flow *f, const struct packet *p)
{
	bool write;
	char name[256];
	const char *mode;
	if (!p->payload_len || !tftp_parse_request(p->payload, p->payload_len, &write, name, sizeof name, &mode))
		return;
	struct flow_boot *b = record_of(f);
	if (!b)
		return;
	struct boot_tftp *t = &b->tftp;
	for (unsigned i = 0; i < t->n; i++)
		if (t->write[i] == write && !strcmp(t->files[i], name))
			return; /* a retransmitted request */
	if (t->n == BOOT_TFTP_FILES_MAX) {
		t->dropped++;
		return;
	}
	if (!flow_ext_set_str(&t->files[t->n], name, strlen(name)))
		return;
	t->write[t->n] = write;
	if (!t->n)
		t->mode = mode;
	t->n++;
}

const char *boot_dhcp_type_name(unsigned type)
{
	static const char *const names[] = { NULL, "discover", "offer", "request", "decline", "ack", "nak", "release",
					     "inform" };
	return type < sizeof names / sizeof names[0] ? names[type] : NULL;
}
