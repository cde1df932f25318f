/* eve_attack.h: the EVE fields of what a flow kept of its logins, of network boot and of an HTTP connection's
 * later requests (auth.h, boot.h, http_requests.h), for eve.c: configmgr.auth[] (one object an exchange: over,
 * mech, type, challenge in hex, domain, user, workstation, spn, target, anonymous, ntlm_version), configmgr.dhcp
 * (message types, the client's MAC, vendor class, architectures, machine identifier, the reply's addresses, boot
 * file, TFTP server) with configmgr.dhcp.pxe (option 243's type and length, option 252), configmgr.tftp.files[],
 * configmgr.http_requests[]. Never an NTLM response, a session key, a MIC or option 243's key bytes: the records
 * hold none. ../shared/DESIGN.md "Where a field goes"; man/cmflow.1 lists the fields. */
#ifndef CMFLOW_EVE_ATTACK_H
#define CMFLOW_EVE_ATTACK_H

#include "lib/json.h"
#include "output/record.h"

/* The members above, inside the open configmgr object (nothing for a flow that kept none of them). */
void eve_attack_configmgr(struct json *j, const struct flow_record *r);

#endif
