/* output.c: the list of outputs (output.h). */
#include "output/output.h"

bool outputs_add(struct outputs *o, const struct output_ops *ops, void *self)
{
	if (o->n == OUTPUTS_MAX)
		return false;
	o->v[o->n++] = (struct output){ ops, self };
	return true;
}

/* Calls every output's `fn` callback that is set, with the event. */
#define EACH(o, fn, ...)                                                                                              \
	for (unsigned i_ = 0; o && i_ < (o)->n; i_++)                                                                 \
		if ((o)->v[i_].ops->fn)                                                                               \
			(o)->v[i_].ops->fn((o)->v[i_].self, __VA_ARGS__)

void outputs_alerts(const struct outputs *o, const struct flow_record *r)
{
	EACH(o, alerts, r);
}

void outputs_flow(const struct outputs *o, const struct flow_record *r)
{
	EACH(o, flow, r);
}

void outputs_wol_frame(const struct outputs *o, const struct wol_frame_event *w)
{
	EACH(o, wol_frame, w);
}

void outputs_host_alert(const struct outputs *o, const struct host_alert *a)
{
	EACH(o, host_alert, a);
}

void outputs_detection(const struct outputs *o, const struct detection_event *d)
{
	EACH(o, detection, d);
}

void outputs_stats(const struct outputs *o, const struct run_stats *rs, uint64_t ts_us)
{
	EACH(o, stats, rs, ts_us);
}

void outputs_flush(const struct outputs *o)
{
	for (unsigned i = 0; o && i < o->n; i++)
		if (o->v[i].ops->flush)
			o->v[i].ops->flush(o->v[i].self);
}

void outputs_reopen(const struct outputs *o)
{
	for (unsigned i = 0; o && i < o->n; i++)
		if (o->v[i].ops->reopen)
			o->v[i].ops->reopen(o->v[i].self);
}

uint64_t outputs_lost(const struct outputs *o)
{
	uint64_t n = 0;
	for (unsigned i = 0; o && i < o->n; i++)
		if (o->v[i].ops->lost)
			n += o->v[i].ops->lost(o->v[i].self);
	return n;
}

void outputs_report(const struct outputs *o, void (*fn)(const char *msg))
{
	char buf[512];
	for (unsigned i = 0; o && i < o->n; i++)
		if (o->v[i].ops->report && o->v[i].ops->report(o->v[i].self, buf, sizeof buf))
			fn(buf);
}
