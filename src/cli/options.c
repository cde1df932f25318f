/* options.c: the command line table, its parser, its usage text and the checks between options (options.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>
#include <pcap/pcap.h>

#include "audit/finding.h"
#include "audit/knowledge.h"
#include "cli/options.h"
#include "config.h"
#include "lib/defaults.h"

enum opt_kind {
	OK_FLAG,    /* a bool set to true */
	OK_COUNT,   /* an int counted up (-v -v) */
	OK_STRING,  /* one const char * (given once) */
	OK_LIST,    /* a const char ** list with a size_t count after it (repeatable) */
	OK_U32,     /* a uint32_t in min..max (given once) */
	OK_U32_LIST, /* a struct u32_list of values in min..max (repeatable, at most MAX_LIST_VALUES distinct ones) */
};

struct opt_def {
	const char *name;       /* long name, without "--" */
	char letter;            /* short name, or 0 */
	enum opt_kind kind;
	size_t offset;          /* of the target in struct options */
	const char *arg;        /* the argument's name in the help, NULL for flags */
	uint32_t min, max;      /* OK_U32, OK_U32_LIST */
	const char *help;
	const char *section;    /* starts a section of the help before this option, or NULL */
};

#define AT(field) offsetof(struct options, field)

static const struct opt_def table[] = {
	{ "read", 'r', OK_LIST, AT(files), "FILE", 0, 0,
	  "read a pcap or pcapng file ('-' = stdin); repeat to read several in order as one stream", "input" },
	{ "interface", 'i', OK_LIST, AT(ifaces), "IFACE", 0, 0, "capture live on an interface (promiscuous); repeat for several", NULL },
	{ "filter", 'f', OK_STRING, AT(bpf), "'BPF'", 0, 0, "capture filter (or give it as trailing words, as tcpdump does)", NULL },
	{ "spool-max", 0, OK_U32, AT(spool_mb), "MIB", 0, 1u << 20,
	  "standard input is spooled to a temporary file up to MIB (default 1024; 0 = never) so that it is read twice "
	  "like a file", NULL },
	{ "site", 'c', OK_STRING, AT(site_path), "SITE.conf", 0, 0, "site configuration: sites, modes, ports, hosts and their roles", "knowledge" },
	{ "signatures", 'S', OK_STRING, AT(sigdir), "DIR", 0, 0, "signatures directory", NULL },
	{ "list-rules", 0, OK_FLAG, AT(list_rules), NULL, 0, 0, "print the port matrix rules (resolved for -c's site), one a line", NULL },
	{ "list-detections", 0, OK_FLAG, AT(list_detections), NULL, 0, 0,
	  "print the detections over sequences of flows (signatures/detections.txt), one a line", NULL },
	{ "check-config", 0, OK_STRING, AT(check_config), "FILE", 0, 0, "parse and explain a site configuration (exit 2 on error)", NULL },
	{ "eve", 0, OK_STRING, AT(eve_path), "FILE", 0, 0, "EVE JSON lines: flow, alert, wol and stats events ('-' = stdout)", "outputs" },
	{ "evidence", 0, OK_STRING, AT(evidence_path), "FILE.pcap", 0, 0, "the packets of every flow that raised an alert", NULL },
	{ "report", 0, OK_STRING, AT(report_path), "FILE.html", 0, 0, "a self-contained HTML audit report of the run", NULL },
	{ "findings-csv", 0, OK_STRING, AT(csv_path), "FILE.csv", 0, 0,
	  "the findings, one row per kind, host pair and service, for a spreadsheet or a ticket (also with --from-eve)", NULL },
	{ "from-eve", 0, OK_LIST, AT(from_eve), "EVE.json", 0, 0,
	  "with --report: the report from EVE files of one or more sensors (more files may follow as words)", NULL },
	{ "infer-site", 0, OK_STRING, AT(infer_site_path), "FILE", 0, 0,
	  "write the roles learnt from the traffic as a site configuration (for -c)", NULL },
	{ "community-id-seed", 0, OK_U32, AT(community_seed), "N", 0, 65535,
	  "the seed of the Community ID of every flow and alert (default 0, as Suricata and Zeek)", NULL },
	{ "fail-on", 0, OK_STRING, AT(fail_on_word), "noncompliant|unexpected", 0, 0, "exit 1 when such an alert was raised", NULL },
	{ "syslog", 0, OK_FLAG, AT(syslog), NULL, 0, 0, "send alerts to the system logger as well (facility daemon)", NULL },
	{ "stats-interval", 0, OK_U32, AT(stats_interval), "N", 1, 86400 * 7,
	  "write a stats event every N seconds (packet time offline, wall clock live)", NULL },
	{ "quiet", 'q', OK_FLAG, AT(quiet), NULL, 0, 0, "no text summary on stdout", NULL },
	{ "top", 0, OK_U32, AT(top), "N", 1, 1000000, "rows each table of the summary shows (default 10; the rest are counted)", NULL },
	{ "max-flows", 0, OK_U32, AT(max_flows), "N", 16, 1u << 30, "flow table capacity per worker", "engine" },
	{ "all-protocols", 0, OK_FLAG, AT(all_protocols), NULL, 0, 0,
	  "every nDPI dissector, on every flow (also those cmflow proved itself)", NULL },
	{ "vxlan-port", 0, OK_U32_LIST, AT(vxlan_ports), "N", 1, 65535,
	  "UDP port N carries VXLAN too (4789 and 8472 always do); repeatable", NULL },
	{ "workers", 0, OK_U32, AT(workers), "N", 1, MAX_WORKERS,
	  "capture threads sharing the interfaces by flow hash (PACKET_FANOUT; default 1)", "live capture" },
	{ "snaplen", 0, OK_U32, AT(snaplen), "N", 64, 262144, "bytes kept of each packet (default 262144)", NULL },
	{ "buffer-size", 0, OK_U32, AT(buffer_mb), "MIB", 1, 4096, "kernel capture buffer per thread and interface", NULL },
	{ "user", 'Z', OK_STRING, AT(user), "USER", 0, 0, "drop to USER (and its groups) once the capture and outputs are open", NULL },
	{ "verbose", 'v', OK_COUNT, AT(verbose), NULL, 0, 0, "more detail on stderr (capacity, timings)", "other" },
	{ "version", 'V', OK_FLAG, AT(version), NULL, 0, 0, "print the version, and nDPI's and libpcap's", NULL },
	{ "help", 'h', OK_FLAG, AT(help), NULL, 0, 0, "this help", NULL },
};

#define NOPTS (sizeof table / sizeof table[0])

void options_usage(FILE *out)
{
	fprintf(out, "usage: cmflow -r FILE [-r FILE ...] | -i IFACE [-i IFACE ...] [options] [BPF filter words]\n"
		     "       cmflow --list-rules [-c SITE.conf] [-S DIR]\n"
		     "       cmflow --list-detections [-S DIR]\n"
		     "       cmflow --check-config SITE.conf [-S DIR]\n"
		     "       cmflow --report FILE.html --from-eve EVE.json [EVE.json ...]\n");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt_def *d = &table[i];
		char head[64];
		if (d->section)
			fprintf(out, "%s:\n", d->section);
		int n = d->letter ? snprintf(head, sizeof head, "-%c, --%s", d->letter, d->name)
				  : snprintf(head, sizeof head, "    --%s", d->name);
		if (d->arg && n > 0 && (size_t)n < sizeof head)
			snprintf(head + n, sizeof head - (size_t)n, " %s", d->arg);
		fprintf(out, "  %-34s %s\n", head, d->help);
	}
	fprintf(out, "signals: INT/TERM end (every open flow is written), HUP reopens the EVE file and reloads the\n"
		     "signatures and site configuration, USR1 writes a stats event now\n"
		     "signatures by default: %s\n", knowledge_default_dir());
}

/* Bad usage: the message (with the word it is about, when given) and exit 2. */
static void die_usage(const char *msg, const char *word)
{
	if (word)
		fprintf(stderr, "cmflow: %s ('%s')\n(cmflow --help lists the options)\n", msg, word);
	else
		fprintf(stderr, "cmflow: %s\n(cmflow --help lists the options)\n", msg);
	exit(EXIT_BAD_INPUT);
}

/* The number arg of option d (named name), in d's min..max; exits 2 with a message when it is not one. */
static uint32_t parse_u32(const struct opt_def *d, const char *name, const char *arg)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || v < d->min || v > d->max) {
		fprintf(stderr, "cmflow: option %s: '%s' is not a number in %u..%u\n", name, arg, d->min, d->max);
		exit(EXIT_BAD_INPUT);
	}
	return (uint32_t)v;
}

static void set_option(struct options *o, const struct opt_def *d, const char *arg, bool *given)
{
	char *base = (char *)o + d->offset;
	char name[48];
	snprintf(name, sizeof name, "--%s", d->name);
	if (d->kind != OK_LIST && d->kind != OK_U32_LIST && d->kind != OK_COUNT && d->kind != OK_FLAG && *given) {
		fprintf(stderr, "cmflow: option %s given twice ('%s')\n(cmflow --help lists the options)\n", name, arg);
		exit(EXIT_BAD_INPUT);
	}
	*given = true;
	switch (d->kind) {
	case OK_FLAG:
		*(bool *)base = true;
		break;
	case OK_COUNT:
		(*(int *)base)++;
		break;
	case OK_STRING:
		if (!*arg) {
			fprintf(stderr, "cmflow: option %s needs a value, not an empty word\n", name);
			exit(EXIT_BAD_INPUT);
		}
		if (d->offset == AT(bpf))
			o->bpf = strdup(arg);
		else
			*(const char **)base = arg;
		break;
	case OK_LIST: {
		const char **list = *(const char ***)base;
		size_t *n = (size_t *)(base + sizeof(const char **));
		list[(*n)++] = arg;
		break;
	}
	case OK_U32:
		*(uint32_t *)base = parse_u32(d, name, arg);
		break;
	case OK_U32_LIST: {
		struct u32_list *l = (struct u32_list *)base;
		uint32_t v = parse_u32(d, name, arg);
		for (size_t i = 0; i < l->n; i++)
			if (l->v[i] == v)
				return; /* a repeat is no error */
		if (l->n >= MAX_LIST_VALUES) {
			fprintf(stderr, "cmflow: option %s: more than %d values ('%s')\n", name, MAX_LIST_VALUES, arg);
			exit(EXIT_BAD_INPUT);
		}
		l->v[l->n++] = v;
		break;
	}
	}
}

static char *join_words(char **words, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	char *s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, words[i]);
	}
	return s;
}

/* The checks between options, once all are read. */
static void check_together(struct options *o, const bool *given)
{
	if (o->fail_on_word) {
		o->fail_on = verdict_parse(o->fail_on_word);
		if (o->fail_on != VERDICT_NONCOMPLIANT && o->fail_on != VERDICT_UNEXPECTED)
			die_usage("--fail-on takes noncompliant or unexpected", o->fail_on_word);
	}
	if (o->nfrom_eve) {
		if (!o->report_path && !o->csv_path)
			die_usage("--from-eve makes a report: give --report FILE.html or --findings-csv FILE.csv", NULL);
		if (o->nfiles || o->nifaces || o->bpf || o->site_path || o->eve_path || o->evidence_path || o->infer_site_path)
			die_usage("--from-eve reads EVE files only: no -r, -i, -f, -c, --eve, --evidence or --infer-site", NULL);
		return;
	}
	if (o->list_rules || o->check_config || o->list_detections) {
		if (o->nfiles || o->nifaces || o->bpf)
			die_usage("--list-rules, --list-detections and --check-config read no packets", NULL);
		if ((o->list_rules + o->list_detections + (o->check_config != NULL)) > 1)
			die_usage("--list-rules, --list-detections and --check-config: one at a time", NULL);
		if (o->check_config && o->site_path)
			die_usage("--check-config takes the configuration itself; drop -c", NULL);
		return;
	}
	if (!o->nfiles && !o->nifaces)
		die_usage("nothing to read: give -r FILE or -i IFACE", NULL);
	if (o->nfiles && o->nifaces)
		die_usage("-r and -i cannot be combined", NULL);
	if (o->nifaces > MAX_IFACES)
		die_usage("more than 16 interfaces", NULL);
	if (o->nfiles && (given[AT(workers)] || given[AT(snaplen)] || given[AT(buffer_mb)]))
		die_usage("--workers, --snaplen and --buffer-size are for live capture (-i)", NULL);
	size_t stdin_reads = 0;
	for (size_t i = 0; i < o->nfiles; i++)
		stdin_reads += strcmp(o->files[i], "-") == 0;
	if (stdin_reads > 1)
		die_usage("standard input ('-') can be read once only", NULL);
	const char *outs[] = { o->eve_path, o->report_path, o->csv_path, o->evidence_path, o->infer_site_path };
	for (size_t i = 0; i < 5; i++)
		for (size_t k = i + 1; k < 5; k++)
			if (outs[i] && outs[k] && strcmp(outs[i], "-") && !strcmp(outs[i], outs[k]))
				die_usage("two outputs name the same file", outs[i]);
}

void options_parse(int argc, char **argv, struct options *o)
{
	struct option longopts[NOPTS + 1];
	char shortopts[2 * NOPTS + 4] = "+:"; /* stop at the first word that is not an option; ':' for a missing value */
	size_t sn = strlen(shortopts);
	bool given[sizeof(struct options)] = { false }; /* by target offset */
	memset(o, 0, sizeof *o);
	engine_config_defaults(&o->ecfg);
	o->workers = 1;
	o->spool_mb = DEFAULT_SPOOL_MB;
	o->max_flows = o->ecfg.max_flows;
	o->files = calloc((size_t)argc + 1, sizeof *o->files);
	o->ifaces = calloc((size_t)argc + 1, sizeof *o->ifaces);
	o->from_eve = calloc((size_t)argc + 1, sizeof *o->from_eve);
	if (!o->files || !o->ifaces || !o->from_eve)
		exit(EXIT_BAD_INPUT);
	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i] = (struct option){ table[i].name, table[i].arg ? required_argument : no_argument, NULL,
					       256 + (int)i };
		if (table[i].letter) {
			shortopts[sn++] = table[i].letter;
			if (table[i].arg)
				shortopts[sn++] = ':';
		}
	}
	shortopts[sn] = '\0';
	longopts[NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == ':' || c == '?') {
			/* optopt is the short letter, or the long option's value (256 + index) */
			const struct opt_def *d = NULL;
			for (size_t i = 0; i < NOPTS && !d; i++)
				if ((optopt && table[i].letter == optopt) || optopt == 256 + (int)i)
					d = &table[i];
			if (c == ':' && d) {
				fprintf(stderr, "cmflow: option --%s needs a value (%s)\n(cmflow --help lists the options)\n", d->name,
					d->arg);
				exit(EXIT_BAD_INPUT);
			}
			die_usage("unknown option", argv[optind - 1]);
		}
		const struct opt_def *d = c >= 256 ? &table[c - 256] : NULL;
		for (size_t i = 0; !d && i < NOPTS; i++)
			if (table[i].letter == c)
				d = &table[i];
		if (!d)
			die_usage("unknown option", argv[optind - 1]);
		set_option(o, d, optarg ? optarg : "", &given[d->offset]);
	}
	if (o->version) {
		printf("cmflow %s\nnDPI %s\n%s\n", PACKAGE_VERSION, ndpi_revision(), pcap_lib_version());
		exit(0);
	}
	if (o->help) {
		options_usage(stdout);
		exit(0);
	}
	if (o->nfrom_eve) { /* a report from EVE files: the trailing words are more of them */
		while (optind < argc)
			o->from_eve[o->nfrom_eve++] = argv[optind++];
	} else if (optind < argc) {
		if (o->bpf)
			die_usage("a filter was given with -f and as trailing words", argv[optind]);
		o->bpf = join_words(argv + optind, argc - optind);
	}
	check_together(o, given);
	o->ecfg.max_flows = o->max_flows;
	o->ecfg.community_seed = (uint16_t)o->community_seed;
	o->ecfg.all_protocols = o->all_protocols;
	o->ecfg.verbose = o->verbose;
	o->ecfg.workers = o->nifaces ? o->workers : 1;
	decode_tunnels_defaults(&o->tunnels);
	for (size_t i = 0; i < o->vxlan_ports.n; i++)
		decode_tunnels_add_vxlan(&o->tunnels, (uint16_t)o->vxlan_ports.v[i]); /* fits: MAX_LIST_VALUES */
}

void options_free(struct options *o)
{
	free(o->files);
	free(o->ifaces);
	free(o->from_eve);
	free(o->bpf);
	memset(o, 0, sizeof *o);
}
