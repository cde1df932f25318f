/* output.h: the outputs as a list. Each output (EVE, the aggregation behind the summary and the report, the
 * evidence pcap, syslog) registers its callbacks once; the engine calls the list for every event, in the order
 * the outputs were added (as Suricata's output-flow.c calls its flow loggers in one loop). An output that does
 * not care for an event leaves its callback NULL. Callbacks may come from several capture workers at once: each
 * output locks what it shares. */
#ifndef CMFLOW_OUTPUT_H
#define CMFLOW_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/counters.h"
#include "output/record.h"

struct output_ops {
	const char *name;
	void (*alerts)(void *self, const struct flow_record *r);     /* a flow's findings (before its flow event) */
	void (*flow)(void *self, const struct flow_record *r);       /* every ended flow */
	void (*wol_frame)(void *self, const struct wol_frame_event *w);
	void (*host_alert)(void *self, const struct host_alert *a);
	void (*detection)(void *self, const struct detection_event *d); /* a sequence of flows completed */
	void (*stats)(void *self, const struct run_stats *rs, uint64_t ts_us);
	void (*flush)(void *self);
	void (*reopen)(void *self);                                   /* SIGHUP: after log rotation */
	uint64_t (*lost)(void *self);                                 /* events it could not write so far */
	/* live: a message on what was lost, at most once a minute (false: nothing new to say) */
	bool (*report)(void *self, char *buf, size_t len);
};

struct output {
	const struct output_ops *ops;
	void *self;
};

#define OUTPUTS_MAX 8

struct outputs {
	struct output v[OUTPUTS_MAX];
	unsigned n;
};

/* Adds an output; false when the list is full. */
bool outputs_add(struct outputs *o, const struct output_ops *ops, void *self);

void outputs_alerts(const struct outputs *o, const struct flow_record *r);
void outputs_flow(const struct outputs *o, const struct flow_record *r);
void outputs_wol_frame(const struct outputs *o, const struct wol_frame_event *w);
void outputs_host_alert(const struct outputs *o, const struct host_alert *a);
void outputs_detection(const struct outputs *o, const struct detection_event *d);
void outputs_stats(const struct outputs *o, const struct run_stats *rs, uint64_t ts_us);
void outputs_flush(const struct outputs *o);
void outputs_reopen(const struct outputs *o);

/* Calls fn with each output's message on what it lost, for those that have one to give now. */
void outputs_report(const struct outputs *o, void (*fn)(const char *msg));

/* Events lost so far by all outputs together (the one lost-events counter of the stats). */
uint64_t outputs_lost(const struct outputs *o);

#endif
