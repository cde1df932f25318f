/* wol.c: Wake On LAN magic packet recognition (AMD's "Magic Packet Technology" white paper: sync stream of six
 * 0xFF, then the MAC sixteen times). */
#include <stdio.h>
#include <string.h>

#include "proto/wol.h"

#define WOL_SYNC 6
#define WOL_REPEAT 16
#define WOL_LEN (WOL_SYNC + WOL_REPEAT * 6)

static bool magic_at(const uint8_t *p, size_t len, size_t at)
{
	if (len - at < WOL_LEN)
		return false;
	for (size_t i = 0; i < WOL_SYNC; i++)
		if (p[at + i] != 0xff)
			return false;
	const uint8_t *mac = p + at + WOL_SYNC;
	for (size_t r = 1; r < WOL_REPEAT; r++)
		if (memcmp(mac, mac + r * 6, 6) != 0)
			return false;
	return true;
}

bool wol_parse(const uint8_t *payload, size_t len, struct wol_magic *out)
{
	if (!payload || len < WOL_LEN)
		return false;
	for (size_t at = 0; at + WOL_LEN <= len; at++) {
		if (payload[at] != 0xff)
			continue;
		/* a run of more than six 0xFF: the sync stream is the last six of them */
		size_t run = at;
		while (run < len && payload[run] == 0xff)
			run++;
		size_t start = run - at >= WOL_SYNC ? run - WOL_SYNC : at;
		if (run - at >= WOL_SYNC && magic_at(payload, len, start)) {
			memcpy(out->target_mac, payload + start + WOL_SYNC, 6);
			size_t rest = len - (start + WOL_LEN);
			out->password_len = (uint8_t)(rest == 4 || rest == 6 ? rest : 0);
			out->offset = (uint16_t)(start > 0xffff ? 0xffff : start);
			return true;
		}
		/* a MAC of all 0xFF makes the run longer than the sync stream: try where the run began too */
		if (magic_at(payload, len, at)) {
			memcpy(out->target_mac, payload + at + WOL_SYNC, 6);
			size_t rest = len - (at + WOL_LEN);
			out->password_len = (uint8_t)(rest == 4 || rest == 6 ? rest : 0);
			out->offset = (uint16_t)(at > 0xffff ? 0xffff : at);
			return true;
		}
		at = run - 1;
	}
	return false;
}

enum wol_cast wol_cast_of(const struct packet *p)
{
	if (p->l3 == L3_NONE)
		return p->eth_dst_broadcast ? WOL_L2_BROADCAST : WOL_L2_UNICAST;
	if (p->l3 == L3_IPV4) {
		static const uint8_t all[4] = { 255, 255, 255, 255 };
		if (memcmp(p->dst, all, 4) == 0)
			return WOL_LIMITED_BROADCAST;
		if (p->dst[0] >= 224 && p->dst[0] <= 239)
			return WOL_MULTICAST;
		/* a directed broadcast leaves the last router as an Ethernet broadcast */
		if (p->has_eth && p->eth_dst_broadcast)
			return WOL_SUBNET_BROADCAST;
		return WOL_UNICAST;
	}
	if (p->dst[0] == 0xff)
		return WOL_MULTICAST;
	return WOL_UNICAST;
}

const char *wol_cast_name(enum wol_cast c)
{
	switch (c) {
	case WOL_UNICAST: return "unicast";
	case WOL_SUBNET_BROADCAST: return "subnet-directed-broadcast";
	case WOL_LIMITED_BROADCAST: return "limited-broadcast";
	case WOL_MULTICAST: return "multicast";
	case WOL_L2_BROADCAST: return "ethernet-broadcast";
	case WOL_L2_UNICAST: return "ethernet-unicast";
	}
	return "unknown";
}

const char *wol_mac_str(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
