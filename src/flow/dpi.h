/* dpi.h: nDPI 4.2 detection for each flow's first packets.
 *
 * A flow that cmflow's own checks have not proven gets an nDPI state with its first payload (a TCP flow without
 * payload never does: it is guessed by its ports at the end); packets go to nDPI until it has decided (and, for
 * HTTP and TLS, has no more fields to extract) or DPI_MAX_PACKETS have been seen; then the answer is copied into
 * the flow (protocol ids and confidence, host/SNI, HTTP fields) and the state is freed at once, so a long flow
 * costs only its record. What nDPI proved from payload is kept apart from what it only guessed (by port). */
#ifndef CMFLOW_DPI_H
#define CMFLOW_DPI_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"

struct dpi;

/* Creates the nDPI module. all_protocols false enables only the protocols found on ConfigMgr networks (the
 * list in dpi.c); true enables every dissector. Returns NULL on failure. */
struct dpi *dpi_new(bool all_protocols);
void dpi_free(struct dpi *d);

/* Gives one packet of f to nDPI (allocating its state with the flow's first payload, or first packet for other
 * than TCP). Returns true when detection has finished for this flow (now or earlier). */
bool dpi_packet(struct dpi *d, struct flow *f, const struct packet *pkt, enum flow_dir dir);

/* Ends detection of a flow that cmflow's own parsers have proven: nDPI is not asked (its state, if any, is
 * freed, and the flow shows no nDPI answer). */
void dpi_skip(struct dpi *d, struct flow *f);

/* Ends detection of a flow that is still undecided (its end came first), keeping nDPI's guess apart. */
void dpi_finish(struct dpi *d, struct flow *f);

/* True when nDPI proved the protocol from payload (not a port or address guess). */
bool dpi_proven(const struct flow *f);

/* nDPI's name of the flow's protocol ("HTTP", "TLS.Microsoft" ...), written into buf. */
const char *dpi_name(const struct dpi *d, const struct flow *f, char *buf, size_t len);

/* Suricata's lower-case app_proto name of a proven protocol ("http", "tls", "smb", "dcerpc", "krb5" ...), or
 * NULL when unproven or without a Suricata name. */
const char *dpi_app_proto(const struct flow *f);


/* nDPI's confidence as a word ("dpi", "match-by-port", ...). */
const char *dpi_confidence_name(const struct flow *f);

/* Flows in detection now, and their peak. */
uint32_t dpi_active(const struct dpi *d);

#endif
