/* alertlimit.h: live monitoring reports the same finding for the same host pair and service at most once per
 * interval (a minute), and counts the repeats it held back; the count goes with the next report. A fixed table
 * (no allocation after creation), shared by the workers (a mutex). */
#ifndef CMFLOW_ALERTLIMIT_H
#define CMFLOW_ALERTLIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct alert_limiter;

struct alert_limiter *alert_limiter_new(uint32_t slots, uint64_t interval_us);
void alert_limiter_free(struct alert_limiter *l);

/* True when this finding (signature id, initiator, responder, rule id) may be reported at now_us; then
 * *held_back is the number of repeats not reported since the last report. False: counted, not reported. */
bool alert_limiter_pass(struct alert_limiter *l, uint32_t sid, uint8_t family, const uint8_t *src,
			const uint8_t *dst, const char *rule, uint64_t now_us, uint64_t *held_back);

/* Repeats held back in all. */
uint64_t alert_limiter_held(struct alert_limiter *l);

#endif
