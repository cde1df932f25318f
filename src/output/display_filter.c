/* display_filter.c: the display filter of a flow (display_filter.h). */
#include <string.h>

#include "decode/decode.h"
#include "lib/util.h"
#include "output/display_filter.h"

/* Text assembled piece by piece into a fixed buffer (cut, still NUL-terminated, when it is too small): the
 * display filter of every alert, where snprintf's format parsing showed in profiles. */
struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n >= t->cap)
		n = t->cap - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_uint(struct text *t, uint64_t v, int min_digits)
{
	char d[24];
	int i = sizeof d - 1;
	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while ((v || (int)sizeof d - 1 - i < min_digits) && i > 0);
	text_add(t, d + i);
}

/* "ip.src==A && tcp.srcport==P && ip.dst==B && tcp.dstport==Q"; a tunnelled flow's fields carry the layer
 * of its inner headers ("ip.src#2", Wireshark 4.0's layer operator) in ipl and l4l, else they are "". */
static void text_direction(struct text *t, const char *ip, const char *ipl, const char *l4, const char *l4l,
			   const char *a, unsigned pa, const char *b, unsigned pb)
{
	if (!*ipl && !*l4l) { /* outside tunnels, as many pieces as ever */
		const char *parts[] = { ip, ".src==", a, " && ", l4, ".srcport==" };
		for (size_t i = 0; i < 6; i++)
			text_add(t, parts[i]);
		text_uint(t, pa, 1);
		const char *parts2[] = { " && ", ip, ".dst==", b, " && ", l4, ".dstport==" };
		for (size_t i = 0; i < 7; i++)
			text_add(t, parts2[i]);
		text_uint(t, pb, 1);
		return;
	}
	const char *parts[] = { ip, ".src", ipl, "==", a, " && ", l4, ".srcport", l4l, "==" };
	for (size_t i = 0; i < 10; i++)
		text_add(t, parts[i]);
	text_uint(t, pa, 1);
	const char *parts2[] = { " && ", ip, ".dst", ipl, "==", b, " && ", l4, ".dstport", l4l, "==" };
	for (size_t i = 0; i < 11; i++)
		text_add(t, parts2[i]);
	text_uint(t, pb, 1);
}

/* "#N" for the N-th header of a kind in the frame when N > 1, else "" */
static const char *layer_suffix(unsigned n, char *buf)
{
	char *c = buf;
	if (n <= 1)
		return "";
	*c++ = '#';
	if (n > 99)
		n = 99; /* not reached: DECODE_MAX_TUNNELS bounds the layers */
	if (n >= 10)
		*c++ = (char)('0' + n / 10);
	*c++ = (char)('0' + n % 10);
	*c = '\0';
	return buf;
}

/* A tunnelled flow's tunnel identity as Wireshark names it: " && vxlan.vni==N" */
static void text_tunnel_id(struct text *t, const struct packet_tunnel *tun)
{
	const char *field = NULL;
	switch (tun->id_kind) {
	case TUNNEL_ID_VNI: field = tun->id_tunnel == TUNNEL_GENEVE ? " && geneve.vni==" : " && vxlan.vni=="; break;
	case TUNNEL_ID_SESSION: field = " && erspan.spanid=="; break;
	case TUNNEL_ID_KEY: field = " && gre.key=="; break;
	default: return;
	}
	text_add(t, field);
	text_uint(t, tun->id, 1);
}

static void text_time(struct text *t, uint64_t us)
{
	text_uint(t, us / 1000000u, 1);
	text_add(t, ".");
	text_uint(t, us % 1000000u, 6);
}

const char *flow_display_filter(const struct flow *f, char *buf, size_t len)
{
	char a[ADDR_STR_MAX], b[ADDR_STR_MAX], ipl_buf[4], l4l_buf[4], vl_buf[4];
	struct text t = { buf, 0, len };
	const char *ip = f->key.family == 4 ? "ip" : "ipv6";
	const struct packet_tunnel *tun = flow_tunnel(f);
	const char *ipl = "", *l4l = "", *vl = "";
	if (tun) {
		ipl = layer_suffix((f->key.family == 4 ? tun->ip4_before : tun->ip6_before) + 1u, ipl_buf);
		l4l = f->key.ip_proto == 17 ? layer_suffix(tun->udp_before + 1u, l4l_buf) : "";
		vl = layer_suffix(tun->vlan_before + (f->key.vlan[1] ? 2u : 1u), vl_buf);
	}
	if (!len)
		return buf;
	buf[0] = '\0';
	addr_to_str(f->key.family, flow_src_addr(f), a, sizeof a);
	addr_to_str(f->key.family, flow_dst_addr(f), b, sizeof b);
	if (f->key.ip_proto == 6 || f->key.ip_proto == 17) {
		const char *l4 = f->key.ip_proto == 6 ? "tcp" : "udp";
		unsigned sp = flow_src_port(f), dp = flow_dst_port(f);
		text_add(&t, "((");
		text_direction(&t, ip, ipl, l4, l4l, a, sp, b, dp);
		text_add(&t, ") || (");
		text_direction(&t, ip, ipl, l4, l4l, b, dp, a, sp);
		text_add(&t, "))");
	} else {
		/* IPv6's next header field is ipv6.nxt (the display filter "ipv6.nxt.proto" of earlier versions matched
		 * nothing) */
		const char *parts[] = { ip, ".addr", ipl, "==", a, " && ", ip, ".addr", ipl, "==", b, " && ",
					f->key.family == 4 ? "ip.proto" : "ipv6.nxt", ipl, "==" };
		for (size_t i = 0; i < 15; i++)
			text_add(&t, parts[i]);
		text_uint(&t, f->key.ip_proto, 1);
	}
	if (f->key.vlan[0]) {
		text_add(&t, " && vlan.id");
		text_add(&t, vl);
		text_add(&t, "==");
		text_uint(&t, f->key.vlan[f->key.vlan[1] ? 1 : 0], 1);
	}
	if (tun)
		text_tunnel_id(&t, tun);
	/* the time window keeps an earlier or later conversation on the same ports out */
	text_add(&t, " && frame.time_epoch >= ");
	text_time(&t, f->ts_first);
	text_add(&t, " && frame.time_epoch < ");
	text_time(&t, f->ts_last + 1);
	return buf;
}

const char *hosts_display_filter(const char *a, const char *b, unsigned ip_proto, unsigned port, uint64_t first_us,
				 uint64_t last_us, char *buf, size_t len)
{
	struct text t = { buf, 0, len };
	if (!len)
		return buf;
	buf[0] = '\0';
	const char *ip = strchr(a, ':') || strchr(b, ':') ? "ipv6" : "ip";
	const char *parts[] = { ip, ".addr==", a, " && ", ip, ".addr==", b };
	for (size_t i = 0; i < 7; i++)
		text_add(&t, parts[i]);
	if ((ip_proto == 6 || ip_proto == 17) && port) {
		text_add(&t, ip_proto == 6 ? " && tcp.port==" : " && udp.port==");
		text_uint(&t, port, 1);
	} else if (ip_proto) {
		text_add(&t, ip[2] ? " && ipv6.nxt==" : " && ip.proto==");
		text_uint(&t, ip_proto, 1);
	}
	text_add(&t, " && frame.time_epoch >= ");
	text_time(&t, first_us);
	text_add(&t, " && frame.time_epoch < ");
	text_time(&t, last_us + 1);
	return buf;
}

