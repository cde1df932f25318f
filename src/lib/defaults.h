/* defaults.h: tunable defaults in one place. */
#ifndef CMFLOW_DEFAULTS_H
#define CMFLOW_DEFAULTS_H

/* ---- tunable (command-line options override them) ---- */
#define DEFAULT_MAX_FLOWS 524288u          /* --max-flows: records reserved; 152 bytes each when used */
#define DEFAULT_TMO_TCP_NEW 60u            /* seconds idle before a flow ends, by class (see flow_table.h) */
#define DEFAULT_TMO_TCP_EST 3600u
#define DEFAULT_TMO_TCP_CLOSED 30u
#define DEFAULT_TMO_UDP_NEW 30u
#define DEFAULT_TMO_UDP_EST 300u
#define DEFAULT_TMO_ICMP 30u
#define DEFAULT_TMO_OTHER 120u
#define DEFAULT_EXPECT_TIMEOUT 300u        /* seconds an announced follow-up connection is expected */
#define DEFAULT_SPOOL_MB 1024u             /* --spool-max: standard input kept in a temporary file up to this */

/* ---- obscure ---- */
#define INSPECT_MAX_PACKETS 32             /* packets of a flow that cmflow's own parsers look at */
#define DEFAULT_MAX_EXPECTATIONS 65536u  /* announced connections waiting (expect.h) */
#define DEFAULT_EXPECT_TIMEOUT_S 300u    /* an announcement is kept 5 minutes, as conntrack and ASA do */
#define DEFAULT_ALERT_SLOTS 16384u      /* live: finding x host pair x service entries of the alert limiter */
#define DEFAULT_ALERT_INTERVAL_S 60u    /* live: one report of the same finding per pair and service a minute */
#define EXPIRE_EVERY_US 1000000u           /* how often (packet time) the flow table looks for idle flows */

#endif
