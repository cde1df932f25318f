/* report.h: the audit report, one self-contained HTML page (no scripts, fonts or images from elsewhere; inline
 * CSS and SVG), rendered from the run's aggregates (aggregate.h): those a run filled as it went (--report), or
 * those read from the EVE files of one or several sensors (--from-eve, eve_reader.h). Both come from the same
 * descriptions of flows and alerts, so the two reports of one capture are the same page apart from the
 * generation time.
 *
 * Sections: header (inputs, time span, packets, flows, site configuration, version), the site's picture (SVG:
 * hosts grouped by role, edges for the pairs seen coloured by verdict, widths by bytes; beyond 50 hosts the hosts
 * of one role in one site are one node), the role-pair matrix with the rows that allow each cell, findings grouped
 * by kind with host pair, service, count, first and last seen, reason and display filter, the HTTP versus HTTPS
 * share of client traffic per site and role, and the follow-ups and channels (RPC interfaces learnt, Wake On LAN
 * targets, multicast sessions). */
#ifndef CMFLOW_REPORT_H
#define CMFLOW_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "output/aggregate.h"

/* Writes the page to out; generated is the generation time shown in the header. False when the stream saw a
 * write error (the caller's outfile.h commit says which). */
bool report_write(const struct agg *a, FILE *out, const char *generated);

#endif
