/* options.h: the command line, from one table (options.c) that gives each option its name, argument, limits,
 * help line and place in struct options: parsing, the usage text and the checks that options fit together all
 * read it (as masscan's one table of settings). Bad usage exits 2 with a message naming the option. */
#ifndef CMFLOW_OPTIONS_H
#define CMFLOW_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "engine/engine.h"

#define EXIT_BAD_INPUT 2
#define MAX_IFACES 16
#define MAX_WORKERS 64
#define MAX_LIST_VALUES (DECODE_MAX_VXLAN_PORTS - 2) /* --vxlan-port: the decoder's ports but its two defaults */

/* A repeatable numeric option's values, distinct, in the order given. Invariant: n <= MAX_LIST_VALUES. */
struct u32_list {
	uint32_t v[MAX_LIST_VALUES];
	size_t n;
};

struct options {
	const char **files;         /* -r, in order; '-' is standard input */
	size_t nfiles;
	const char **ifaces;        /* -i */
	size_t nifaces;
	char *bpf;                  /* -f, or the trailing words */
	const char *eve_path;
	const char *sigdir;
	const char *site_path;      /* -c */
	const char *evidence_path;  /* --evidence */
	const char *infer_site_path; /* --infer-site */
	const char *report_path;    /* --report */
	const char *csv_path;       /* --findings-csv */
	uint32_t top;               /* --top: rows of each summary table */
	const char **from_eve;      /* --from-eve FILE [FILE ...] */
	size_t nfrom_eve;
	const char *fail_on_word;   /* --fail-on */
	int fail_on;                /* enum verdict that makes the exit status 1, 0 = none */
	const char *check_config;   /* --check-config FILE */
	bool list_rules;
	bool list_detections;
	bool syslog;
	const char *user;           /* -Z */
	uint32_t workers;
	uint32_t stats_interval;    /* seconds, 0 = only at the end */
	uint32_t snaplen, buffer_mb;
	uint32_t spool_mb;          /* --spool-max: standard input spooled up to this size, 0 = never */
	uint32_t max_flows;
	uint32_t community_seed;    /* --community-id-seed */
	bool all_protocols;
	bool quiet;
	int verbose;
	bool version, help;
	struct u32_list vxlan_ports; /* --vxlan-port */
	struct decode_tunnels tunnels; /* the decoder's tunnel ports: the defaults and --vxlan-port (the run adds the
					* site configuration's `tunnel vxlan-port=N` ports) */
	struct engine_config ecfg;  /* the engines' settings the options give (ecfg.tunnels: set by the run) */
};

/* Parses argv into o (zeroed first, defaults set) and checks that the options fit together. Exits with 2 and a
 * message on bad usage, with 0 after -V or -h. */
void options_parse(int argc, char **argv, struct options *o);

/* Frees what options_parse allocated. */
void options_free(struct options *o);

/* The usage text (from the table). */
void options_usage(FILE *out);

#endif
