/* eve_smbrpc.h: the EVE fields of what a flow kept of SMB and DCE/RPC (smbrpc.h), and the detection alerts
 * (detect.h), for eve.c. Where Suricata's schema has a place the field goes there (`smb.share`, `smb.named_pipe`,
 * `smb.filename`, `smb.dialect`, `smb.dcerpc.interfaces[]` for a pipe's, `dcerpc.interfaces[]` for DCE/RPC over
 * TCP: uuid, version "major.minor", ack_result); the lists cmflow keeps go under `configmgr` (`rpc.interfaces[]`
 * with the interfaces' and opnums' names, `smb.shares[]`, `smb.files[]`, `smb.pipes[]`, `smb.signing`).
 * ../shared/DESIGN.md "Where a field goes"; man/cmflow.1 lists the fields. */
#ifndef CMFLOW_EVE_SMBRPC_H
#define CMFLOW_EVE_SMBRPC_H

#include <stdbool.h>

#include "lib/json.h"
#include "output/record.h"

/* Suricata's top-level `smb` and `dcerpc` objects of a flow event (nothing when the flow kept none). */
void eve_smbrpc_app(struct json *j, const struct flow_record *r);

/* True when the flow bound RPC interfaces: configmgr.rpc then has an interfaces list. */
bool eve_smbrpc_has_interfaces(const struct flow_record *r);

/* Members of configmgr.rpc (the caller has it open): interfaces[] and their counters. */
void eve_smbrpc_rpc_members(struct json *j, const struct flow_record *r);

/* configmgr.smb (inside the open configmgr object; nothing for a flow that kept no SMB). */
void eve_smbrpc_configmgr_smb(struct json *j, const struct flow_record *r);

/* A whole detection alert event (one object; the caller resets j before and emits it after). */
void eve_detection_event(struct json *j, const struct detection_event *d);

#endif
