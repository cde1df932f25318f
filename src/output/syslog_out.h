/* syslog_out.h: alerts to the system logger (--syslog), one line per finding in the Snort/Suricata fast-log
 * shape ("[1:SID:1] id: message [Classification: ...] [Priority: N] {TCP} a:p -> b:q"), an output of the list
 * (output.h). openlog() is the caller's (before privileges are dropped); syslog(3) reports no failure. */
#ifndef CMFLOW_SYSLOG_OUT_H
#define CMFLOW_SYSLOG_OUT_H

#include "output/output.h"

/* The output's callbacks (self unused: NULL). */
extern const struct output_ops syslog_output_ops;

#endif
