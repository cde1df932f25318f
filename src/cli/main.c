/* main.c: command line, then the pipeline: capture -> engine(s) -> outputs. See cmflow(1) and DESIGN.md.
 *
 * Offline (-r): one engine in this thread, packet time drives everything. Live (-i): one engine per worker
 * thread; this thread only waits for signals and writes the periodic stats. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input/capture.h"
#include "config.h"
#include "lib/defaults.h"
#include "flow/dpi.h"
#include "engine/engine.h"
#include "output/eve.h"
#include "flow/flow_table.h"
#include "audit/infer.h"
#include "lib/intern.h"
#include "audit/knowledge.h"
#include "report/report.h"
#include "output/alertlimit.h"
#include "output/evidence.h"
#include "flow/expect.h"
#include "input/live.h"
#include "flow/mcast.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "output/summary.h"
#include "audit/verdict.h"

#define EXIT_BAD_INPUT 2
#define MAX_IFACES 16
#define MAX_WORKERS 64

struct options {
	const char **files;
	size_t nfiles;
	const char *ifaces[MAX_IFACES + 1];
	unsigned nifaces;
	char *bpf;
	const char *eve_path;
	const char *sigdir;
	const char *site_path;      /* -c */
	const char *evidence_path;  /* --evidence */
	const char *infer_site_path; /* --infer-site */
	const char *report_path;    /* --report */
	const char **from_eve;      /* --from-eve FILE [FILE ...] */
	size_t nfrom_eve;
	int fail_on;                /* enum verdict that makes the exit status 1, 0 = none */
	const char *check_config;   /* --check-config FILE */
	bool list_rules;
	bool syslog;
	const char *user;           /* -Z */
	unsigned workers;
	unsigned stats_interval;    /* seconds, 0 = only at the end */
	int snaplen, buffer_mb;
	bool quiet;
	int verbose;
	struct engine_config ecfg;
	struct decode_tunnels tunnels; /* --vxlan-port and the site configuration's tunnel lines */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cmflow -r FILE [-r FILE ...] | -i IFACE [-i IFACE ...] [options] [BPF filter words]\n"
		"       cmflow --list-rules [-c SITE.conf] [-S DIR]\n"
		"       cmflow --check-config SITE.conf [-S DIR]\n"
		"  -r FILE               read a pcap or pcapng file ('-' = stdin); repeat to read several in order\n"
		"  -i IFACE              capture live on an interface (promiscuous); repeat for several\n"
		"  -f 'BPF'              capture filter (or give it as trailing words, as tcpdump does)\n"
		"  -c SITE.conf          site configuration: sites, modes, ports, hosts and their roles\n"
		"  --eve FILE            EVE JSON lines: flow, alert and stats events ('-' = stdout)\n"
		"  --evidence FILE.pcap  the packets of every flow that raised an alert\n"
		"  --fail-on noncompliant|unexpected   exit 1 when such an alert was raised\n"
		"  --infer-site FILE     write the roles learnt from the traffic as a site configuration (for -c)\n"
		"  --report FILE.html    a self-contained HTML audit report of the run\n"
		"  --report FILE.html --from-eve EVE.json [EVE.json ...]   the report from EVE files of one or more sensors\n"
		"  -S DIR                signatures directory (default: %s)\n"
		"  --list-rules          print the port matrix rules (resolved for -c's site), one a line\n"
		"  --check-config FILE   parse and explain a site configuration (exit 2 on error)\n"
		"  --max-flows N         flow table capacity per worker (default %u)\n"
		"  --all-protocols       every nDPI dissector, on every flow (also those cmflow proved itself)\n"
		"  --stats-interval N    write a stats event every N seconds (packet time offline, wall clock live)\n"
		"  --vxlan-port N        UDP port N carries VXLAN too (4789 and 8472 always do); repeatable\n"
		"  --syslog              send alerts to the system logger as well (facility daemon)\n"
		"live capture:\n"
		"  --workers N           capture threads sharing the interfaces by flow hash (PACKET_FANOUT; default 1)\n"
		"  --snaplen N           bytes kept of each packet (default 262144)\n"
		"  --buffer-size MIB     kernel capture buffer per thread and interface\n"
		"  -Z USER               drop to USER (and its groups) once the capture and outputs are open\n"
		"signals: INT/TERM end (every open flow is written), HUP reopens the EVE file and reloads the\n"
		"signatures, USR1 writes a stats event now\n"
		"  -q                    no text summary on stdout\n"
		"  -v                    more detail on stderr (capacity, timings)\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this help\n",
		knowledge_default_dir(), DEFAULT_MAX_FLOWS);
}

static void die_usage(const char *what, const char *arg)
{
	fprintf(stderr, "cmflow: %s", what);
	if (arg)
		fprintf(stderr, " ('%s')", arg);
	fprintf(stderr, "\n(cmflow --help lists the options)\n");
	exit(EXIT_BAD_INPUT);
}

static uint32_t parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "cmflow: %s: '%s' is not a number in %u..%u\n", opt, s, min, max);
		exit(EXIT_BAD_INPUT);
	}
	return (uint32_t)v;
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

enum {
	OPT_EVE = 256, OPT_MAX_FLOWS, OPT_ALL_PROTOCOLS, OPT_WORKERS, OPT_STATS_INTERVAL, OPT_SNAPLEN, OPT_BUFFER,
	OPT_LIST_RULES, OPT_CHECK_CONFIG, OPT_EVIDENCE, OPT_FAIL_ON, OPT_SYSLOG, OPT_INFER_SITE, OPT_REPORT, OPT_FROM_EVE,
	OPT_VXLAN_PORT,
};

/* Options that may be given once only: remembers which were seen. */
static void once(bool *seen, const char *name, const char *arg)
{
	if (*seen)
		die_usage(name, arg);
	*seen = true;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "eve", required_argument, NULL, OPT_EVE },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "all-protocols", no_argument, NULL, OPT_ALL_PROTOCOLS },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
		{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
		{ "buffer-size", required_argument, NULL, OPT_BUFFER },
		{ "list-rules", no_argument, NULL, OPT_LIST_RULES },
		{ "evidence", required_argument, NULL, OPT_EVIDENCE },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "check-config", required_argument, NULL, OPT_CHECK_CONFIG },
		{ "infer-site", required_argument, NULL, OPT_INFER_SITE },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "from-eve", required_argument, NULL, OPT_FROM_EVE },
		{ "vxlan-port", required_argument, NULL, OPT_VXLAN_PORT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seen_max = false, seen_workers = false, seen_stats = false, seen_snap = false, seen_buf = false;
	int c;

	o->files = calloc((size_t)argc + 1, sizeof *o->files);
	o->from_eve = calloc((size_t)argc + 1, sizeof *o->from_eve);
	if (!o->files || !o->from_eve)
		exit(EXIT_BAD_INPUT);
	engine_config_defaults(&o->ecfg);
	decode_tunnels_defaults(&o->tunnels);
	o->ecfg.tunnels = &o->tunnels;
	o->workers = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+r:i:f:c:S:Z:qvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->files[o->nfiles++] = optarg;
			break;
		case 'i':
			if (o->nifaces == MAX_IFACES)
				die_usage("too many interfaces", optarg);
			o->ifaces[o->nifaces++] = optarg;
			break;
		case 'f':
			if (o->bpf)
				die_usage("-f given twice", optarg);
			o->bpf = strdup(optarg);
			break;
		case 'c':
			if (o->site_path)
				die_usage("-c given twice", optarg);
			o->site_path = optarg;
			break;
		case OPT_LIST_RULES:
			o->list_rules = true;
			break;
		case OPT_SYSLOG:
			o->syslog = true;
			o->ecfg.syslog = true;
			break;
		case OPT_REPORT:
			if (o->report_path)
				die_usage("--report given twice", optarg);
			o->report_path = optarg;
			break;
		case OPT_FROM_EVE:
			o->from_eve[o->nfrom_eve++] = optarg;
			break;
		case OPT_VXLAN_PORT:
			if (!decode_tunnels_add_vxlan(&o->tunnels, (uint16_t)parse_u32("--vxlan-port", optarg, 1, 65535)))
				die_usage("too many --vxlan-port", optarg);
			break;
		case OPT_INFER_SITE:
			if (o->infer_site_path)
				die_usage("--infer-site given twice", optarg);
			o->infer_site_path = optarg;
			break;
		case OPT_EVIDENCE:
			if (o->evidence_path)
				die_usage("--evidence given twice", optarg);
			o->evidence_path = optarg;
			break;
		case OPT_FAIL_ON:
			if (o->fail_on)
				die_usage("--fail-on given twice", optarg);
			if (strcmp(optarg, "noncompliant") == 0)
				o->fail_on = VERDICT_NONCOMPLIANT;
			else if (strcmp(optarg, "unexpected") == 0)
				o->fail_on = VERDICT_UNEXPECTED;
			else
				die_usage("--fail-on takes noncompliant or unexpected", optarg);
			break;
		case OPT_CHECK_CONFIG:
			if (o->check_config)
				die_usage("--check-config given twice", optarg);
			o->check_config = optarg;
			break;
		case 'S':
			if (o->sigdir)
				die_usage("-S given twice", optarg);
			o->sigdir = optarg;
			break;
		case 'Z':
			if (o->user)
				die_usage("-Z given twice", optarg);
			o->user = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_EVE:
			if (o->eve_path)
				die_usage("--eve given twice", optarg);
			o->eve_path = optarg;
			break;
		case OPT_MAX_FLOWS:
			once(&seen_max, "--max-flows given twice", optarg);
			o->ecfg.max_flows = parse_u32("--max-flows", optarg, 16, 1u << 30);
			break;
		case OPT_ALL_PROTOCOLS:
			o->ecfg.all_protocols = true;
			break;
		case OPT_WORKERS:
			once(&seen_workers, "--workers given twice", optarg);
			o->workers = parse_u32("--workers", optarg, 1, MAX_WORKERS);
			break;
		case OPT_STATS_INTERVAL:
			once(&seen_stats, "--stats-interval given twice", optarg);
			o->stats_interval = parse_u32("--stats-interval", optarg, 1, 86400 * 7);
			break;
		case OPT_SNAPLEN:
			once(&seen_snap, "--snaplen given twice", optarg);
			o->snaplen = (int)parse_u32("--snaplen", optarg, 64, 262144);
			break;
		case OPT_BUFFER:
			once(&seen_buf, "--buffer-size given twice", optarg);
			o->buffer_mb = (int)parse_u32("--buffer-size", optarg, 1, 4096);
			break;
		case 'V':
			printf("cmflow %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			die_usage("this option needs an argument", argv[optind - 1]);
			break;
		default:
			die_usage("unknown option", argv[optind - 1]);
		}
	}
	if (o->nfrom_eve) { /* a report from EVE files: the trailing words are more of them */
		while (optind < argc)
			o->from_eve[o->nfrom_eve++] = argv[optind++];
		if (!o->report_path)
			die_usage("--from-eve makes a report: give --report FILE.html", NULL);
		if (o->nfiles || o->nifaces || o->bpf || o->site_path || o->eve_path)
			die_usage("--from-eve reads EVE files only: no -r, -i, -f, -c or --eve", NULL);
		return;
	}
	if (optind < argc) {
		if (o->bpf)
			die_usage("a filter was given with -f and as trailing words", argv[optind]);
		o->bpf = join_words(argv + optind, argc - optind);
	}
	if (o->list_rules || o->check_config) {
		if (o->nfiles || o->nifaces || o->bpf)
			die_usage("--list-rules and --check-config read no packets", NULL);
		if (o->check_config && o->site_path)
			die_usage("--check-config takes the configuration itself; drop -c", NULL);
		return;
	}
	if (!o->nfiles && !o->nifaces)
		die_usage("nothing to read: give -r FILE or -i IFACE", NULL);
	if (o->nfiles && o->nifaces)
		die_usage("-r and -i cannot be combined", NULL);
	if (o->nfiles && (seen_workers || seen_snap || seen_buf))
		die_usage("--workers, --snaplen and --buffer-size are for live capture (-i)", NULL);
	if (o->report_path && o->eve_path && strcmp(o->eve_path, "-") == 0)
		die_usage("--report reads the EVE output back: give --eve a file, or no --eve", NULL);
	if (o->evidence_path) {
		for (size_t i = 0; i < o->nfiles; i++)
			if (strcmp(o->files[i], "-") == 0)
				die_usage("--evidence cannot read standard input twice", NULL);
	}
	o->ecfg.verbose = o->verbose;
	o->ecfg.workers = o->workers;
}

/* The site configuration's `tunnel vxlan-port=N` ports join --vxlan-port's; false (and err) when they are too
 * many for the decoder. */
static bool add_site_vxlan_ports(struct options *o, const struct knowledge *k, char *err, size_t errlen)
{
	const uint16_t *ports;
	unsigned n = site_vxlan_ports(k->site, &ports);
	for (unsigned i = 0; i < n; i++) {
		if (!decode_tunnels_add_vxlan(&o->tunnels, ports[i])) {
			snprintf(err, errlen, "%s: too many VXLAN ports with --vxlan-port (at most %d)", site_path(k->site),
				 DECODE_MAX_VXLAN_PORTS);
			return false;
		}
	}
	return true;
}

/* Once a run, on standard error: tunnels cmflow saw and could not open, whose inner traffic is not judged. */
static void say_tunnels(const struct decode_stats *d)
{
	uint64_t closed = decode_tunnels_left_closed(d);
	if (closed)
		fprintf(stderr, "cmflow: %llu packets of tunnels left closed (cut, malformed, an unknown payload, an outer "
			"fragment or too deep): each counts as its outer packet; the reasons are in the stats\n",
			(unsigned long long)closed);
	if (d->vxlan_unopened)
		fprintf(stderr, "cmflow: %llu UDP packets look like VXLAN on a port not read as VXLAN: their traffic is not "
			"judged; give the port (the UDP flows' dest_port) with --vxlan-port\n",
			(unsigned long long)d->vxlan_unopened);
}

/* --list-rules: the rules resolved for each configured site (or for the default ports). */
static void list_rules(const struct knowledge *k)
{
	unsigned n = site_count(k->site);
	if (n == 0) {
		rules_list(k->rules, site_ports_of(k->site, NULL), stdout);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		if (n > 1)
			printf("# site %s\n", site_at(k->site, i)->code);
		rules_list(k->rules, &site_at(k->site, i)->ports, stdout);
	}
}

/* ---- signals: handlers only set flags; the capture loops look at them ---- */

static volatile sig_atomic_t g_stop, g_reopen, g_stats_now;
static struct capture *g_capture; /* offline: so that a stop interrupts pcap_loop */

static void on_signal(int sig)
{
	switch (sig) {
	case SIGHUP: g_reopen = 1; break;
	case SIGUSR1: g_stats_now = 1; break;
	default:
		g_stop = 1;
		if (g_capture)
			capture_stop(g_capture);
	}
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

/* ---- privileges ---- */

/* Drops to user (its uid, gid and supplementary groups), as tcpdump -Z does; false with a message when any step
 * fails, and then the caller stops. */
static bool drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "-Z %s: no such user", user);
		return false;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		snprintf(err, errlen, "-Z %s: cannot drop privileges: %s", user, strerror(errno));
		return false;
	}
	/* must not be able to get root back */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		snprintf(err, errlen, "-Z %s: privileges could be regained; stopping", user);
		return false;
	}
	return true;
}

/* ---- the run: engines, outputs, stats ---- */

struct worker {
	struct run *run;
	unsigned index;
	struct engine *e;
	pthread_mutex_t lock;     /* held by the worker while it handles a batch */
	pthread_t thread;
	bool ok;
	char err[PCAP_ERRBUF_SIZE + 256];
};

struct run {
	struct options *o;
	struct knowledge *know;
	struct eve *eve;
	struct summary *summary;
	struct worker *w;
	unsigned nw;
	struct live *live;
	struct mcast_members *mcast;
	struct evidence *evidence;
	struct expect_table *expect;
	struct alert_limiter *limiter;
	struct evidence_live *evlive;
	struct infer_table *infer;
	const char *report_eve;   /* --report: the EVE file and where this run's lines start */
	long report_offset;
	bool report_tmp;          /* the EVE file is ours, removed at the end */
	FILE *report_in;
	uint64_t next_stats_us;
	uint64_t end_us;          /* packet time of the end of the run */
};

static void on_alerted(void *ctx, const struct flow *f, const struct flow_label *lab)
{
	(void)lab;
	evidence_add(ctx, f);
}

static void config_finding(void *ctx, const struct finding_kind *kind, const char *detail)
{
	struct run *r = ctx;
	if (r->eve)
		eve_config_alert(r->eve, 0, kind, detail);
	summary_config_finding(r->summary, kind, detail);
	fprintf(stderr, "cmflow: %s: %s\n", kind->id, detail);
}

/* Role drift (role inference against the site configuration): informational alerts, and in the summary. */
static void drift_finding(void *ctx, bool shown, const char *sentence)
{
	struct run *r = ctx;
	const struct finding_kind *kind = policy_kind(r->know->policy, shown ? "role-not-configured" : "role-not-shown");
	if (!kind)
		return;
	if (r->eve)
		eve_config_alert(r->eve, r->end_us, kind, sentence);
	summary_config_finding(r->summary, kind, sentence);
}

/* --infer-site FILE: what the traffic showed, as a site configuration. */
static int write_inferred_site(struct run *r, char *err, size_t errlen)
{
	char inputs[1024] = "";
	size_t n = 0;
	const char *what = r->o->nifaces ? "interface " : "";
	unsigned count = r->o->nifaces ? r->o->nifaces : (unsigned)r->o->nfiles;
	for (unsigned i = 0; i < count && n < sizeof inputs; i++)
		n += (size_t)snprintf(inputs + n, sizeof inputs - n, "%s%s%s", i ? ", " : "", what,
				      r->o->nifaces ? r->o->ifaces[i] : r->o->files[i]);
	FILE *fp = fopen(r->o->infer_site_path, "w");
	if (!fp) {
		snprintf(err, errlen, "--infer-site: %s: %s", r->o->infer_site_path, strerror(errno));
		return -1;
	}
	infer_write_site(r->infer, &r->know->rules->roles, fp, inputs);
	if (fclose(fp) != 0) {
		snprintf(err, errlen, "--infer-site: %s: %s", r->o->infer_site_path, strerror(errno));
		return -1;
	}
	return 0;
}

static void run_stats(struct run *r, struct run_stats *rs, bool lock)
{
	memset(rs, 0, sizeof *rs);
	for (unsigned i = 0; i < r->nw; i++) {
		if (lock)
			pthread_mutex_lock(&r->w[i].lock);
		engine_stats_add(r->w[i].e, rs);
		if (lock)
			pthread_mutex_unlock(&r->w[i].lock);
	}
	if (r->live) {
		rs->live = true;
		live_stats(r->live, &rs->kernel_packets, &rs->kernel_drops, &rs->kernel_ifdrops);
	}
}

static void write_stats(struct run *r, uint64_t ts_us, bool lock)
{
	if (!r->eve)
		return;
	struct run_stats rs;
	run_stats(r, &rs, lock);
	eve_stats(r->eve, &rs, ts_us);
	eve_flush(r->eve);
}

/* SIGHUP: the EVE file again (after rotation) and the signatures, keeping every flow. */
static void reopen_and_reload(struct run *r, bool lock)
{
	char err[1024];
	if (r->eve && !eve_reopen(r->eve))
		fprintf(stderr, "cmflow: SIGHUP: cannot reopen %s; still writing to the old file\n", r->o->eve_path);
	struct knowledge *k = knowledge_load(r->o->sigdir ? r->o->sigdir : knowledge_default_dir(), r->o->site_path, err,
					     sizeof err);
	if (!k) {
		fprintf(stderr, "cmflow: SIGHUP: signatures not reloaded: %s\n", err);
		return;
	}
	for (unsigned i = 0; i < r->nw; i++) {
		if (lock)
			pthread_mutex_lock(&r->w[i].lock);
		r->w[i].e->cfg.knowledge = k;
		if (lock)
			pthread_mutex_unlock(&r->w[i].lock);
	}
	knowledge_free(r->know);
	r->know = k;
	if (r->o->verbose)
		fprintf(stderr, "cmflow: SIGHUP: output reopened, signatures reloaded\n");
}

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* offline: signals and stats intervals are handled between packets, by packet time */
static void on_file_packet(void *ctx, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct run *r = ctx;
	struct engine *e = r->w[0].e;
	engine_packet(e, linktype, h, data);
	if (g_reopen) {
		g_reopen = 0;
		reopen_and_reload(r, false);
	}
	if (g_stats_now) {
		g_stats_now = 0;
		write_stats(r, e->now_us, false);
	}
	if (r->o->stats_interval && e->now_us >= r->next_stats_us) {
		if (r->next_stats_us)
			write_stats(r, e->now_us, false);
		r->next_stats_us = e->now_us + (uint64_t)r->o->stats_interval * 1000000u;
	}
}

static void prepass_packet(void *ctx, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
	engine_packet(ctx, linktype, h, data);
}

/* Files without a site configuration (or --infer-site): a first pass that only learns the hosts' roles, so that
 * every flow of the real pass is labelled with what the whole capture showed. Errors are the real pass's to
 * report. */
static void infer_prepass(struct run *r)
{
	char err[PCAP_ERRBUF_SIZE + 512] = "";
	struct engine_config cfg = r->o->ecfg;
	cfg.knowledge = r->know;
	cfg.infer = r->infer;
	cfg.infer_only = true;
	cfg.mcast = mcast_members_new();
	cfg.expect = expect_new(DEFAULT_MAX_EXPECTATIONS, DEFAULT_EXPECT_TIMEOUT_S);
	struct engine *e = cfg.mcast && cfg.expect ? engine_new(&cfg, NULL, NULL, err, sizeof err) : NULL;
	struct capture_options copt = { .files = r->o->files, .bpf = r->o->bpf };
	struct capture *cap = e ? capture_open(&copt, err, sizeof err) : NULL;
	if (cap) {
		capture_run(cap, prepass_packet, e, err, sizeof err);
		capture_close(cap);
		engine_finish(e);
	}
	engine_free(e);
	mcast_members_free(cfg.mcast);
	expect_free(cfg.expect);
	infer_freeze(r->infer);
}

static int run_files(struct run *r)
{
	char err[PCAP_ERRBUF_SIZE + 512] = "";
	struct capture_options copt = { .files = r->o->files, .bpf = r->o->bpf };
	struct capture *cap = capture_open(&copt, err, sizeof err);
	if (!cap) {
		fprintf(stderr, "cmflow: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (r->o->user && !drop_privileges(r->o->user, err, sizeof err)) {
		fprintf(stderr, "cmflow: %s\n", err);
		capture_close(cap);
		return EXIT_BAD_INPUT;
	}
	g_capture = cap;
	int status = 0;
	if (capture_run(cap, on_file_packet, r, err, sizeof err) == CAPTURE_ERROR) {
		/* what was read before the damage is still classified and written by the caller */
		fprintf(stderr, "cmflow: %s\n", err);
		status = EXIT_BAD_INPUT;
	}
	g_capture = NULL;
	capture_close(cap);
	return status;
}

static void worker_packet(void *ctx, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct worker *w = ctx;
	engine_packet(w->e, linktype, h, data);
}

static void worker_tick(void *ctx, uint64_t now_us)
{
	struct worker *w = ctx;
	engine_tick(w->e, now_us);
}

static void worker_lock(void *ctx)
{
	pthread_mutex_lock(&((struct worker *)ctx)->lock);
}

static void worker_unlock(void *ctx)
{
	pthread_mutex_unlock(&((struct worker *)ctx)->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->ok = live_run_worker(w->run->live, w->index, worker_packet, worker_tick, w, worker_lock, worker_unlock,
				w->err, sizeof w->err);
	if (!w->ok)
		kill(getpid(), SIGTERM); /* one failed capture ends the run, cleanly */
	return NULL;
}

static int run_live(struct run *r)
{
	char err[PCAP_ERRBUF_SIZE + 512] = "";
	struct live_options lo = {
		.ifaces = r->o->ifaces, .nifaces = r->o->nifaces, .bpf = r->o->bpf, .snaplen = r->o->snaplen,
		.buffer_mb = r->o->buffer_mb, .workers = r->nw,
	};
	r->live = live_open(&lo, err, sizeof err);
	if (!r->live) {
		fprintf(stderr, "cmflow: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (r->o->evidence_path) { /* opened before -Z, as the other outputs */
		r->evlive = evidence_live_open(r->o->evidence_path, live_linktype(r->live), err, sizeof err);
		if (!r->evlive) {
			fprintf(stderr, "cmflow: %s\n", err);
			return EXIT_BAD_INPUT;
		}
		for (unsigned i = 0; i < r->nw; i++)
			r->w[i].e->cfg.evlive = r->evlive;
	}
	if (r->o->user && !drop_privileges(r->o->user, err, sizeof err)) {
		fprintf(stderr, "cmflow: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	/* the workers never see signals: this thread takes them with sigtimedwait */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	unsigned started = 0;
	for (; started < r->nw; started++)
		if (pthread_create(&r->w[started].thread, NULL, worker_main, &r->w[started]) != 0) {
			fprintf(stderr, "cmflow: cannot start worker %u\n", started);
			break;
		}
	if (r->o->verbose)
		fprintf(stderr, "cmflow: capturing on %u interface(s) with %u worker(s)\n", r->o->nifaces, started);
	if (r->o->stats_interval)
		r->next_stats_us = wall_us() + (uint64_t)r->o->stats_interval * 1000000u;
	while (started == r->nw) {
		struct timespec tmo = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &tmo);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig == SIGHUP)
			reopen_and_reload(r, true);
		if (sig == SIGUSR1)
			write_stats(r, wall_us(), true);
		if (r->o->stats_interval && wall_us() >= r->next_stats_us) {
			write_stats(r, wall_us(), true);
			r->next_stats_us += (uint64_t)r->o->stats_interval * 1000000u;
		}
	}
	live_stop(r->live);
	int status = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(r->w[i].thread, NULL);
		if (!r->w[i].ok) {
			fprintf(stderr, "cmflow: %s\n", r->w[i].err);
			status = EXIT_BAD_INPUT;
		}
	}
	if (started < r->nw)
		status = EXIT_BAD_INPUT;
	/* in live mode the flows end at the wall clock of shutdown */
	for (unsigned i = 0; i < r->nw; i++)
		engine_tick(r->w[i].e, wall_us());
	return status;
}

/* "2026-11-27T10:30:00Z", the report's generation time */
static const char *now_text(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* --report FILE.html --from-eve A.json [B.json ...] */
static int report_from_eve(struct options *o)
{
	char err[1024], now[32];
	struct report *rep = report_new();
	int status = rep ? 0 : EXIT_BAD_INPUT;
	for (size_t i = 0; rep && i < o->nfrom_eve; i++)
		if (!report_add_eve(rep, o->from_eve[i], 0, err, sizeof err)) {
			fprintf(stderr, "cmflow: --from-eve: %s\n", err);
			status = EXIT_BAD_INPUT;
		}
	if (rep && status == 0 && !report_write(rep, o->report_path, now_text(now, sizeof now), err, sizeof err)) {
		fprintf(stderr, "cmflow: --report: %s\n", err);
		status = EXIT_BAD_INPUT;
	}
	report_free(rep);
	free(o->files);
	free(o->from_eve);
	return status;
}

/* --report with -r or -i: the EVE lines of this run, read back (a temporary file when no --eve was given). */
static int report_of_run(struct run *r, char *err, size_t errlen)
{
	char now[32];
	struct report *rep = report_new();
	bool ok = rep && report_add_eve_stream(rep, r->report_in, r->report_eve, r->report_offset, err, errlen) &&
		  report_write(rep, r->o->report_path, now_text(now, sizeof now), err, errlen);
	if (!rep)
		snprintf(err, errlen, "out of memory");
	report_free(rep);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	char err[PCAP_ERRBUF_SIZE + 512] = "";
	struct run r = { .o = &o };
	int status = 0;

	parse_args(argc, argv, &o);
	if (o.nfrom_eve)
		return report_from_eve(&o);
	install_signals();

	const char *sigdir = o.sigdir ? o.sigdir : knowledge_default_dir();
	r.know = knowledge_load(sigdir, o.check_config ? o.check_config : o.site_path, err, sizeof err);
	if (!r.know || !add_site_vxlan_ports(&o, r.know, err, sizeof err)) {
		fprintf(stderr, "cmflow: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (o.list_rules || o.check_config) {
		if (o.check_config)
			site_explain(r.know->site, r.know->rules, stdout);
		else
			list_rules(r.know);
		knowledge_free(r.know);
		free(o.files);
		free(o.from_eve);
		return 0;
	}
	char report_tmp[] = "/tmp/cmflow-report-XXXXXX";
	if (o.report_path && !o.eve_path) { /* the report reads EVE lines: write them to a file of our own */
		int fd = mkstemp(report_tmp);
		if (fd < 0) {
			fprintf(stderr, "cmflow: --report: temporary file: %s\n", strerror(errno));
			return EXIT_BAD_INPUT;
		}
		close(fd);
		o.eve_path = report_tmp;
		r.report_tmp = true;
	}
	if (o.eve_path && !(r.eve = eve_open(o.eve_path, err, sizeof err))) {
		fprintf(stderr, "cmflow: %s\n", err);
		knowledge_free(r.know);
		return EXIT_BAD_INPUT;
	}
	if (r.eve) {
		struct eve_run run = { .inputs = o.nifaces ? o.ifaces : o.files, .ninputs = o.nifaces ? o.nifaces : o.nfiles,
				       .site_config = o.site_path, .version = PACKAGE_VERSION };
		eve_set_run(r.eve, &run);
		r.report_eve = o.eve_path;
		r.report_offset = eve_start_offset(r.eve);
		if (o.report_path && !(r.report_in = fopen(o.eve_path, "r"))) { /* before -Z */
			fprintf(stderr, "cmflow: --report: %s: %s\n", o.eve_path, strerror(errno));
			return EXIT_BAD_INPUT;
		}
	}
	if (o.syslog) /* before -Z: the logger's socket is opened now */
		openlog("cmflow", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	r.summary = o.quiet ? NULL : summary_new();
	r.mcast = mcast_members_new();
	r.expect = expect_new(DEFAULT_MAX_EXPECTATIONS, DEFAULT_EXPECT_TIMEOUT_S);
	if (o.nifaces) /* live: the same finding for the same pair and service once a minute */
		r.limiter = alert_limiter_new(DEFAULT_ALERT_SLOTS, DEFAULT_ALERT_INTERVAL_S * 1000000ull);
	if (o.evidence_path && !o.nifaces && (r.evidence = evidence_new()))
		evidence_set_tunnels(r.evidence, &o.tunnels);
	verdict_config(r.know, config_finding, &r);
	r.infer = infer_new(INFER_MAX_HOSTS);
	if (r.summary)
		summary_set_inference(r.summary, r.infer, &r.know->rules->roles);
	r.nw = o.nifaces ? o.workers : 1;
	r.w = calloc(r.nw, sizeof *r.w);
	if (!r.w) {
		fprintf(stderr, "cmflow: out of memory\n");
		return EXIT_BAD_INPUT;
	}
	for (unsigned i = 0; i < r.nw; i++) {
		struct engine_config cfg = o.ecfg;
		cfg.knowledge = r.know;
		cfg.mcast = r.mcast;
		cfg.expect = r.expect;
		cfg.limiter = r.limiter;
		cfg.infer = r.infer;
		if (r.evidence) {
			cfg.on_alerted = on_alerted;
			cfg.alerted_ctx = r.evidence;
		}
		cfg.worker = i;
		cfg.workers = r.nw;
		r.w[i].run = &r;
		r.w[i].index = i;
		pthread_mutex_init(&r.w[i].lock, NULL);
		r.w[i].e = engine_new(&cfg, r.eve, r.summary, err, sizeof err);
		if (!r.w[i].e) {
			fprintf(stderr, "cmflow: %s\n", err);
			return EXIT_BAD_INPUT;
		}
	}
	if (o.verbose)
		fprintf(stderr, "cmflow: flow table: %u workers x %u flows of %zu bytes (%.1f MiB at most)\n", r.nw,
			o.ecfg.max_flows, flow_table_record_size(),
			(double)r.nw * o.ecfg.max_flows * (double)flow_table_record_size() / 1048576.0);

	bool reads_stdin = false;
	for (size_t i = 0; i < o.nfiles; i++)
		reads_stdin |= strcmp(o.files[i], "-") == 0;
	if (!o.nifaces && !reads_stdin && (!o.site_path || o.infer_site_path))
		infer_prepass(&r);
	status = o.nifaces ? run_live(&r) : run_files(&r);

	/* end of input or shutdown: every open flow is written, then the final stats */
	uint64_t end_us = 0;
	for (unsigned i = 0; i < r.nw; i++) {
		engine_finish(r.w[i].e);
		if (r.w[i].e->now_us > end_us)
			end_us = r.w[i].e->now_us;
	}
	r.end_us = end_us;
	infer_drift(r.infer, r.know, drift_finding, &r);
	if (o.infer_site_path && write_inferred_site(&r, err, sizeof err) != 0) {
		fprintf(stderr, "cmflow: %s\n", err);
		status = EXIT_BAD_INPUT;
	}
	struct run_stats rs;
	run_stats(&r, &rs, false);
	say_tunnels(&rs.decoder);
	if (r.eve) {
		eve_stats(r.eve, &rs, end_us);
		eve_flush(r.eve);
	}
	if (o.report_path && report_of_run(&r, err, sizeof err) != 0) {
		fprintf(stderr, "cmflow: --report: %s\n", err);
		status = EXIT_BAD_INPUT;
	}
	if (r.evlive && o.verbose)
		fprintf(stderr, "cmflow: evidence: %llu packets in %s\n", (unsigned long long)evidence_live_packets(r.evlive),
			o.evidence_path);
	if (r.evidence) {
		long n = evidence_write(r.evidence, o.files, o.bpf, o.evidence_path, err, sizeof err);
		if (n < 0) {
			fprintf(stderr, "cmflow: evidence: %s\n", err);
			status = EXIT_BAD_INPUT;
		} else if (o.verbose) {
			fprintf(stderr, "cmflow: evidence: %ld packets of %zu alerted flows in %s\n", n,
				evidence_flows(r.evidence), o.evidence_path);
		}
	}
	if (r.summary) {
		summary_print(r.summary, &rs, stdout);
		fflush(stdout);
	}
	/* --fail-on: an audit in a script fails when such an alert was raised (bad input still wins: 2) */
	if (status == 0 && o.fail_on && rs.alerts[o.fail_on])
		status = 1;
	for (unsigned i = 0; i < r.nw; i++) {
		engine_free(r.w[i].e);
		pthread_mutex_destroy(&r.w[i].lock);
	}
	free(r.w);
	live_close(r.live);
	summary_free(r.summary);
	mcast_members_free(r.mcast);
	evidence_free(r.evidence);
	expect_free(r.expect);
	infer_free(r.infer);
	alert_limiter_free(r.limiter);
	evidence_live_close(r.evlive);
	eve_close(r.eve);
	if (r.report_in)
		fclose(r.report_in);
	if (r.report_tmp)
		unlink(report_tmp);
	knowledge_free(r.know);
	intern_free_all(); /* every flow has ended: no side record points into it any more */
	free(o.bpf);
	free(o.files);
	free(o.from_eve);
	if (o.syslog)
		closelog();
	return status;
}
