/* main.c: command line, then the pipeline: capture -> engine -> outputs. See cmflow(1) and DESIGN.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "config.h"
#include "defaults.h"
#include "dpi.h"
#include "engine.h"
#include "eve.h"
#include "flow_table.h"
#include "knowledge.h"
#include "summary.h"

#define EXIT_BAD_INPUT 2

struct options {
	const char **files;
	size_t nfiles;
	const char *iface;
	char *bpf;
	const char *eve_path;
	const char *sigdir;
	bool quiet;
	int verbose;
	struct engine_config ecfg;
};

static struct capture *g_capture; /* for the signal handler only */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cmflow -r FILE [-r FILE ...] | -i IFACE [options] [BPF filter words]\n"
		"  -r FILE               read a pcap or pcapng file ('-' = stdin); repeat to read several in order\n"
		"  -i IFACE              capture live on an interface (promiscuous)\n"
		"  -f 'BPF'              capture filter (or give it as trailing words, as tcpdump does)\n"
		"  --eve FILE            EVE JSON lines: flow and stats events ('-' = stdout)\n"
		"  -S DIR                signatures directory (default: %s)\n"
		"  --max-flows N         flow table capacity (default %u)\n"
		"  --all-protocols       enable every nDPI dissector, not only the ConfigMgr set\n"
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

enum { OPT_EVE = 256, OPT_MAX_FLOWS, OPT_ALL_PROTOCOLS };

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "eve", required_argument, NULL, OPT_EVE },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "all-protocols", no_argument, NULL, OPT_ALL_PROTOCOLS },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seen_max = false;
	int c;

	o->files = calloc((size_t)argc + 1, sizeof *o->files);
	if (!o->files)
		exit(EXIT_BAD_INPUT);
	engine_config_defaults(&o->ecfg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+r:i:f:S:qvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->files[o->nfiles++] = optarg;
			break;
		case 'i':
			if (o->iface)
				die_usage("-i given twice", optarg);
			o->iface = optarg;
			break;
		case 'f':
			if (o->bpf)
				die_usage("-f given twice", optarg);
			o->bpf = strdup(optarg);
			break;
		case 'S':
			if (o->sigdir)
				die_usage("-S given twice", optarg);
			o->sigdir = optarg;
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
			if (seen_max)
				die_usage("--max-flows given twice", optarg);
			seen_max = true;
			o->ecfg.max_flows = parse_u32("--max-flows", optarg, 16, 1u << 30);
			break;
		case OPT_ALL_PROTOCOLS:
			o->ecfg.all_protocols = true;
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
	if (optind < argc) {
		if (o->bpf)
			die_usage("a filter was given with -f and as trailing words", argv[optind]);
		o->bpf = join_words(argv + optind, argc - optind);
	}
	if (!o->nfiles && !o->iface)
		die_usage("nothing to read: give -r FILE or -i IFACE", NULL);
	if (o->nfiles && o->iface)
		die_usage("-r and -i cannot be combined", NULL);
	o->ecfg.verbose = o->verbose;
}

static void on_signal(int sig)
{
	(void)sig;
	if (g_capture)
		capture_stop(g_capture);
}

static void on_packet(void *ctx, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
	engine_packet(ctx, linktype, h, data);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	char err[PCAP_ERRBUF_SIZE + 512] = "";
	int status = 0;

	parse_args(argc, argv, &o);

	struct knowledge *know = knowledge_load(o.sigdir ? o.sigdir : knowledge_default_dir(), err, sizeof err);
	if (!know) {
		fprintf(stderr, "cmflow: signatures: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	o.ecfg.knowledge = know;

	struct eve *eve = NULL;
	if (o.eve_path && !(eve = eve_open(o.eve_path, err, sizeof err))) {
		fprintf(stderr, "cmflow: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	struct summary *summary = o.quiet ? NULL : summary_new();
	struct engine *e = engine_new(&o.ecfg, eve, summary, err, sizeof err);
	if (!e) {
		fprintf(stderr, "cmflow: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (o.verbose)
		fprintf(stderr, "cmflow: flow table: %u flows of %zu bytes (%.1f MiB at most)\n", o.ecfg.max_flows,
			flow_table_record_size(), (double)o.ecfg.max_flows * (double)flow_table_record_size() / 1048576.0);

	struct capture_options copt = { .files = o.nfiles ? o.files : NULL, .iface = o.iface, .bpf = o.bpf };
	struct capture *cap = capture_open(&copt, err, sizeof err);
	if (!cap) {
		fprintf(stderr, "cmflow: %s\n", err);
		status = EXIT_BAD_INPUT;
	} else {
		g_capture = cap;
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		enum capture_status cs;
		do {
			cs = capture_run(cap, on_packet, e, err, sizeof err);
		} while (cs == CAPTURE_EOF && capture_is_live(cap));
		if (cs == CAPTURE_ERROR) {
			/* what was read before the damage is still classified and written below */
			fprintf(stderr, "cmflow: %s\n", err);
			status = EXIT_BAD_INPUT;
		}
	}
	engine_finish(e);
	if (summary) {
		summary_print(summary, e, stdout);
		fflush(stdout);
	}
	engine_free(e);
	summary_free(summary);
	eve_close(eve);
	capture_close(cap);
	knowledge_free(know);
	free(o.bpf);
	free(o.files);
	return status;
}
