/* eve_alert.h: Suricata's alert object, as every alert cmflow writes begins it (findings of a flow, host
 * findings, detections over sequences of flows). */
#ifndef CMFLOW_EVE_ALERT_H
#define CMFLOW_EVE_ALERT_H

#include "audit/finding.h"
#include "lib/json.h"

/* Opens the "alert" object and writes action, gid, signature_id, rev, signature, category and severity of
 * kind; the caller may add members (metadata) and closes it. */
void eve_alert_open(struct json *j, const struct finding_kind *kind);

#endif
