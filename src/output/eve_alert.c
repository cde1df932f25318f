/* eve_alert.c: Suricata's alert object (eve_alert.h). */
#include "output/eve_alert.h"

void eve_alert_open(struct json *j, const struct finding_kind *kind)
{
	json_open_object(j, "alert");
	json_plain(j, "action", "allowed");
	json_uint(j, "gid", 1);
	json_uint(j, "signature_id", kind->sid);
	json_uint(j, "rev", 1);
	json_str(j, "signature", kind->message);
	json_str(j, "category", kind->category);
	json_uint(j, "severity", kind->severity);
}
