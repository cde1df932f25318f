/* flowid.h: the EVE flow_id, a 51-bit number unique within a run and unlikely to repeat across runs and sensors.
 * Reference: Suricata's flow_id (a 64-bit value from the flow's hash and start time cut to 51 bits, since
 * JavaScript and many JSON readers keep integers exactly only up to 2^53), docs.suricata.io, "Eve JSON Format".
 *
 * Suricata builds the id from a hash; cmflow builds it from the flow's sequence number within the run (the flow
 * table's id, unique over the workers by their stride), passed through a permutation of the 51-bit numbers keyed
 * by 128 random bits drawn at the start of the run. A permutation cannot map two flows of a run to one id (a hash
 * of 51 bits would: one chance in 45 over 10 million flows), and the random key makes the ids of two runs, or of
 * two sensors, as unrelated as two random draws (two runs of 10^4 flows share an id once in 2 * 10^7). The
 * same flow gives the same id on its flow, alert and wol events: the id is a function of the sequence number. */
#ifndef CMFLOW_FLOWID_H
#define CMFLOW_FLOWID_H

#include <stdbool.h>
#include <stdint.h>

#define FLOWID_BITS 51
#define FLOWID_MAX ((UINT64_C(1) << FLOWID_BITS) - 1)

/* The run's key. Invariant: fixed for the whole run (every event of a flow must get the same id). */
struct flowid_gen {
	uint64_t k0, k1;
};

/* A key from the kernel's random source (getrandom). Returns false when that failed: the key is then made of
 * the time of day, the process id and an address, which still differs between runs but is guessable (warn). */
bool flowid_gen_init(struct flowid_gen *g);

/* A given key: ids that repeat from run to run (expected-output tests, a reproducible report). */
void flowid_gen_init_key(struct flowid_gen *g, uint64_t k0, uint64_t k1);

/* The flow_id of the flow with sequence number seq (1 <= seq <= FLOWID_MAX): a number in 1 .. FLOWID_MAX, distinct
 * for distinct seq under one key. A seq out of range is reduced to its low 51 bits (0 then maps to an id too, but
 * may meet the id of another seq). Pure: thread safe, no state. */
uint64_t flowid_of(const struct flowid_gen *g, uint64_t seq);

#endif
