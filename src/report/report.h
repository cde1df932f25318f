/* report.h: the audit report, one self-contained HTML page (no scripts, fonts or images from elsewhere; inline
 * CSS and SVG), built from EVE lines: those a run just wrote (--report) or the files of one or several sensors
 * (--from-eve). Both go through the same reader, so the two reports of one capture are the same page apart from
 * the generation time.
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

struct report;

struct report *report_new(void);
void report_free(struct report *r);

/* Reads EVE lines from path, starting at byte offset; a line that is not JSON is counted and skipped.
 * Returns false and writes err when the file cannot be read. */
bool report_add_eve(struct report *r, const char *path, long offset, char *err, size_t errlen);

/* The same from a stream opened earlier (a run that drops privileges opens its EVE file for reading first). */
bool report_add_eve_stream(struct report *r, FILE *fp, const char *name, long offset, char *err, size_t errlen);

/* Writes the page; generated is the generation time shown in the header. False on a write error. */
bool report_write(const struct report *r, const char *path, const char *generated, char *err, size_t errlen);

#endif
