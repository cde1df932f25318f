/* run.c: one run of the sensor (run.h).
 *
 * Offline (-r): one engine in this thread, packet time drives everything. Live (-i): one engine per worker
 * thread; this thread only waits for signals, writes the periodic stats and says what outputs lost. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit/detect.h"
#include "audit/infer.h"
#include "audit/knowledge.h"
#include "audit/policy.h"
#include "audit/site.h"
#include "audit/verdict.h"
#include "cli/run.h"
#include "config.h"
#include "engine/engine.h"
#include "flow/expect.h"
#include "flow/mcast.h"
#include "input/capture.h"
#include "input/live.h"
#include "input/spool.h"
#include "lib/defaults.h"
#include "lib/outfile.h"
#include "lib/util.h"
#include "output/aggregate.h"
#include "output/alertlimit.h"
#include "output/eve.h"
#include "output/evidence.h"
#include "output/summary.h"
#include "output/syslog_out.h"
#include "report/report.h"

#define CONFIG_NOTES_MAX 64
#define LOST_REPORT_EVERY_US 60000000u /* live: what the outputs lost, said once a minute */

struct worker {
	struct run *run;
	unsigned index;
	struct engine *e;
	pthread_mutex_t lock;     /* held by the worker while it handles a batch */
	bool lock_made;
	pthread_t thread;
	bool ok;
	char err[PCAP_ERRBUF_SIZE + 256];
};

/* A finding about the configuration itself, found at the start and written with the run's first packet time. */
struct config_note {
	const struct finding_kind *kind; /* in the knowledge the run started with (held until the notes are out) */
	char detail[256];
};

struct run {
	struct options *o;
	struct knowledge *know;   /* the run's reference; a reload replaces it */
	struct knowledge *first_know; /* the notes' knowledge, held until they are written */
	struct outputs outs;
	struct eve *eve;
	struct agg *agg;
	struct evidence *evidence;
	struct evidence_live *evlive;
	struct outfile report_out, infer_out, evidence_out, csv_out;
	bool report_reserved, infer_reserved, evidence_reserved, csv_reserved;
	struct spool spool;
	bool spooled, one_pass;   /* standard input was spooled; it did not fit: one pass only */
	const char **inputs;      /* the files to read ('-' replaced by the spool's path) and their names */
	const char **names;
	struct worker *w;
	unsigned nw;
	struct live *live;
	struct mcast_members *mcast;
	struct expect_table *expect;
	struct detect_table *detect;
	struct alert_limiter *limiter;
	struct infer_table *infer;
	struct flowid_gen flowids;   /* the run's key of EVE flow ids: unique per run and sensor */
	struct config_note notes[CONFIG_NOTES_MAX];
	unsigned nnotes;
	uint64_t start_us;        /* wall clock at the start: the time of events of a run without packets */
	uint64_t first_us, end_us;/* packet time of the first and the last packet */
	uint64_t next_stats_us;
	uint64_t lost_said, next_lost_us;
	bool input_failed;        /* no input could be read: no summary */
	int status;
};

/* ---- signals: handlers only set flags; the capture loops look at them ---- */

static volatile sig_atomic_t g_stop, g_reopen, g_stats_now;
static struct capture *g_capture; /* offline: so that a stop interrupts the read loop */

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

/* SA_RESTART: a signal while reading a pipe must not end the read with EINTR ("damaged capture"). */
static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	/* a reader gone from a pipe or a socket, a file over its size limit: errors to count, not deaths */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
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

/* ---- stats, reload, what was lost ---- */

static void gather_stats(struct run *r, struct run_stats *rs, bool lock)
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
	rs->lost_events = outputs_lost(&r->outs) + (r->evlive ? evidence_live_lost(r->evlive) : 0);
	struct detect_stats ds;
	detect_table_stats(r->detect, &ds);
	rs->detect_occurrences = ds.occurrences;
	rs->detect_evicted = ds.evicted;
	rs->detect_expired = ds.expired;
	rs->detect_occ_dropped = ds.occ_dropped;
	rs->detect_challenges = ds.challenges;
	rs->detect_challenges_evicted = ds.challenges_evicted;
}

static void write_stats(struct run *r, uint64_t ts_us, bool lock)
{
	struct run_stats rs;
	gather_stats(r, &rs, lock);
	outputs_stats(&r->outs, &rs, ts_us ? ts_us : wall_us());
	outputs_flush(&r->outs);
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

/* SIGHUP: the outputs again (after rotation) and the signatures, keeping every flow. The old signatures are
 * released by each engine and by the run; the last holder frees them. */
static void reopen_and_reload(struct run *r, bool lock)
{
	char err[1024];
	outputs_reopen(&r->outs);
	struct knowledge *k = knowledge_load(r->o->sigdir ? r->o->sigdir : knowledge_default_dir(), r->o->site_path, err,
					     sizeof err);
	if (!k) {
		fprintf(stderr, "cmflow: SIGHUP: signatures not reloaded (the ones loaded before stay): %s\n", err);
		return;
	}
	for (unsigned i = 0; i < r->nw; i++) {
		if (lock)
			pthread_mutex_lock(&r->w[i].lock);
		engine_set_knowledge(r->w[i].e, k);
		if (lock)
			pthread_mutex_unlock(&r->w[i].lock);
	}
	knowledge_release(r->know);
	r->know = k;
	if (r->o->verbose)
		fprintf(stderr, "cmflow: SIGHUP: outputs reopened, signatures reloaded\n");
}

static void say(const char *msg)
{
	fprintf(stderr, "cmflow: %s; capture goes on, SIGHUP reopens the outputs\n", msg);
}

/* Live: what the outputs could not write, said at most once a minute each (the stats carry the count). */
static void say_lost(struct run *r, uint64_t now)
{
	outputs_report(&r->outs, say);
	if (!r->evlive || now < r->next_lost_us)
		return;
	r->next_lost_us = now + LOST_REPORT_EVERY_US;
	uint64_t lost = evidence_live_lost(r->evlive);
	if (lost > r->lost_said) {
		fprintf(stderr, "cmflow: --evidence: %llu packets could not be written in the last minute (%llu in all)\n",
			(unsigned long long)(lost - r->lost_said), (unsigned long long)lost);
		r->lost_said = lost;
	}
}

/* ---- findings about the configuration and the hosts ---- */

static void config_finding(void *ctx, const struct finding_kind *kind, const char *detail)
{
	struct run *r = ctx;
	fprintf(stderr, "cmflow: %s: %s\n", kind->id, detail);
	if (r->nnotes == CONFIG_NOTES_MAX)
		return;
	struct config_note *n = &r->notes[r->nnotes++];
	n->kind = kind;
	snprintf(n->detail, sizeof n->detail, "%s", detail);
}

/* Role drift (role inference against the site configuration): informational alerts about hosts. */
static void drift_finding(void *ctx, bool shown, uint8_t family, const uint8_t addr[16], const char *sentence)
{
	struct run *r = ctx;
	const struct finding_kind *kind = policy_kind(r->know->policy, shown ? "role-not-configured" : "role-not-shown");
	if (!kind)
		return;
	struct host_alert a = { .ts_us = r->end_us, .kind = kind, .detail = sentence, .has_addr = true, .family = family };
	memcpy(a.addr, addr, 16);
	outputs_host_alert(&r->outs, &a);
}

static void write_config_notes(struct run *r)
{
	for (unsigned i = 0; i < r->nnotes; i++) {
		struct host_alert a = { .ts_us = r->first_us, .kind = r->notes[i].kind, .detail = r->notes[i].detail };
		outputs_host_alert(&r->outs, &a);
	}
	r->nnotes = 0;
	knowledge_release(r->first_know);
	r->first_know = NULL;
}

/* ---- reading files ---- */

/* offline: signals and stats intervals are handled between packets, by packet time */
static void on_file_packet(void *ctx, int linktype, unsigned iface, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct run *r = ctx;
	struct engine *e = r->w[0].e;
	engine_packet(e, linktype, iface, h, data);
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

static void prepass_packet(void *ctx, int linktype, unsigned iface, const struct pcap_pkthdr *h, const uint8_t *data)
{
	engine_packet(ctx, linktype, iface, h, data);
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
	cfg.flowids = &r->flowids; /* the evidence it keeps names the ids the real pass writes */
	cfg.mcast = mcast_members_new();
	cfg.expect = expect_new(DEFAULT_MAX_EXPECTATIONS, DEFAULT_EXPECT_TIMEOUT_S);
	struct engine *e = cfg.mcast && cfg.expect ? engine_new(&cfg, err, sizeof err) : NULL;
	struct capture_options copt = { .files = r->inputs, .names = r->names, .bpf = r->o->bpf };
	struct capture *cap = e ? capture_open(&copt, err, sizeof err) : NULL;
	if (cap) {
		g_capture = cap;
		capture_run(cap, prepass_packet, e, err, sizeof err);
		g_capture = NULL;
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
	struct capture_options copt = { .files = r->inputs, .names = r->names, .bpf = r->o->bpf };
	if (r->one_pass) { /* standard input past the spool: the stream of the spool, then the rest */
		copt.stdin_stream = r->spool.stream;
		copt.stdin_peek = r->spool.magic;
		r->spool.stream = NULL; /* the capture owns it now */
	}
	struct capture *cap = capture_open(&copt, err, sizeof err);
	if (!cap) {
		fprintf(stderr, "cmflow: %s\n", err);
		r->input_failed = true;
		return EXIT_BAD_INPUT;
	}
	if (r->o->user && !drop_privileges(r->o->user, err, sizeof err)) {
		fprintf(stderr, "cmflow: %s\n", err);
		capture_close(cap);
		r->input_failed = true;
		return EXIT_BAD_INPUT;
	}
	g_capture = cap;
	int status = 0;
	if (!g_stop && capture_run(cap, on_file_packet, r, err, sizeof err) == CAPTURE_ERROR) {
		/* what was read before the damage is still classified and written by the caller */
		fprintf(stderr, "cmflow: %s\n", err);
		status = EXIT_BAD_INPUT;
		struct run_stats rs;
		gather_stats(r, &rs, false);
		r->input_failed = rs.decoder.pkts == 0; /* a summary of nothing read would say "findings: none" */
	}
	g_capture = NULL;
	capture_close(cap);
	return status;
}

/* ---- live capture ---- */

static void worker_packet(void *ctx, int linktype, unsigned iface, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct worker *w = ctx;
	engine_packet(w->e, linktype, iface, h, data);
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
	if (r->o->user && !drop_privileges(r->o->user, err, sizeof err)) {
		fprintf(stderr, "cmflow: %s\n", err);
		r->input_failed = true;
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
		fprintf(stderr, "cmflow: capturing on %zu interface(s) with %u worker(s)\n", r->o->nifaces, started);
	if (r->o->stats_interval)
		r->next_stats_us = wall_us() + (uint64_t)r->o->stats_interval * 1000000u;
	r->next_lost_us = wall_us() + LOST_REPORT_EVERY_US;
	while (started == r->nw && !g_stop) {
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
		outputs_flush(&r->outs); /* a network sink's queue, reconnection when due */
		say_lost(r, wall_us());
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

/* ---- the start: everything that can fail before a packet is read ---- */

static bool fail(struct run *r, const char *what, const char *err)
{
	fprintf(stderr, "cmflow: %s%s%s\n", what ? what : "", what ? ": " : "", err);
	r->status = EXIT_BAD_INPUT;
	r->input_failed = true;
	return false;
}

/* Standard input among the files: spooled, so that it is read like a file (spool.h). */
static bool prepare_inputs(struct run *r)
{
	char err[512];
	struct options *o = r->o;
	r->inputs = calloc(o->nfiles + 1, sizeof *r->inputs);
	r->names = calloc(o->nfiles + 1, sizeof *r->names);
	if (!r->inputs || !r->names)
		return fail(r, NULL, "out of memory");
	for (size_t i = 0; i < o->nfiles; i++) {
		r->inputs[i] = o->files[i];
		if (strcmp(o->files[i], "-") != 0)
			continue;
		r->names[i] = "stdin";
		if (!spool_stdin(&r->spool, (uint64_t)o->spool_mb << 20, err, sizeof err))
			return fail(r, NULL, err);
		r->spooled = true;
		if (r->spool.complete) {
			r->inputs[i] = r->spool.path;
			continue;
		}
		r->one_pass = true;
		if (o->evidence_path)
			return fail(r, "--evidence", "standard input is larger than the spool (--spool-max): the evidence "
						     "pass reads the capture twice; give it as a file, or raise --spool-max");
		fprintf(stderr, "cmflow: standard input is larger than the spool (--spool-max %u MiB): it is read in one "
				"pass, so roles are learnt as the traffic shows them (a file, or a larger spool, gives the "
				"same results as two passes)\n", o->spool_mb);
	}
	return true;
}

static bool reserve(struct run *r, struct outfile *of, bool *reserved, const char *option, const char *path)
{
	char err[512];
	if (!path)
		return true;
	if (!outfile_reserve(of, path, err, sizeof err))
		return fail(r, option, err);
	*reserved = true;
	return true;
}

static bool open_outputs(struct run *r)
{
	char err[1024];
	struct options *o = r->o;
	if (!reserve(r, &r->report_out, &r->report_reserved, "--report", o->report_path) ||
	    !reserve(r, &r->csv_out, &r->csv_reserved, "--findings-csv", o->csv_path) ||
	    !reserve(r, &r->infer_out, &r->infer_reserved, "--infer-site", o->infer_site_path) ||
	    (!o->nifaces && !reserve(r, &r->evidence_out, &r->evidence_reserved, "--evidence", o->evidence_path)))
		return false;
	unsigned workers = o->nifaces ? o->workers : 1;
	if (o->eve_path) {
		if (!(r->eve = eve_open(o->eve_path, workers, !o->nifaces, err, sizeof err)))
			return fail(r, "--eve", err);
		struct eve_run run = { .inputs = o->nifaces ? o->ifaces : o->files, .ninputs = o->nifaces ? o->nifaces : o->nfiles,
				       .site_config = o->site_path, .version = PACKAGE_VERSION };
		eve_set_run(r->eve, &run);
		outputs_add(&r->outs, &eve_output_ops, r->eve);
	}
	if (!o->quiet || o->report_path || o->csv_path) {
		if (!(r->agg = agg_new()))
			return fail(r, NULL, "out of memory");
		outputs_add(&r->outs, &aggregate_output_ops, r->agg);
		for (size_t i = 0; i < (o->nifaces ? o->nifaces : o->nfiles); i++)
			agg_add_input(r->agg, o->nifaces ? o->ifaces[i] : o->files[i]);
		agg_add_site_config(r->agg, o->site_path);
		agg_set_version(r->agg, PACKAGE_VERSION);
	}
	if (r->evidence_reserved) {
		if (!(r->evidence = evidence_new()))
			return fail(r, NULL, "out of memory");
		evidence_set_tunnels(r->evidence, &o->tunnels); /* the second pass decodes as the engines do */
		outputs_add(&r->outs, &evidence_output_ops, r->evidence);
	}
	if (o->syslog) { /* before -Z: the logger's socket is opened now */
		openlog("cmflow", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		outputs_add(&r->outs, &syslog_output_ops, NULL);
	}
	return true;
}

static bool start_engines(struct run *r)
{
	char err[PCAP_ERRBUF_SIZE + 512];
	struct options *o = r->o;
	r->mcast = mcast_members_new();
	r->expect = expect_new(DEFAULT_MAX_EXPECTATIONS, DEFAULT_EXPECT_TIMEOUT_S);
	r->infer = infer_new(INFER_MAX_HOSTS);
	/* a sequence waits its window and as long as a flow can take to end after its step (its longest timeout) */
	uint32_t grace = 0;
	for (int i = 0; i < TMO_COUNT; i++)
		if (o->ecfg.timeouts[i] > grace)
			grace = o->ecfg.timeouts[i];
	r->detect = detect_table_new(DETECT_TABLE_ENTRIES, grace);
	if (o->nifaces) /* live: the same finding for the same pair and service once a minute */
		r->limiter = alert_limiter_new(DEFAULT_ALERT_SLOTS, DEFAULT_ALERT_INTERVAL_S * 1000000ull);
	if (!r->mcast || !r->expect || !r->infer || !r->detect || (o->nifaces && !r->limiter))
		return fail(r, NULL, "out of memory");
	if (!flowid_gen_init(&r->flowids))
		fprintf(stderr, "cmflow: no random source: flow ids are made from the time and the process id\n");
	r->nw = o->nifaces ? o->workers : 1;
	if (!(r->w = calloc(r->nw, sizeof *r->w)))
		return fail(r, NULL, "out of memory");
	if (o->nifaces) { /* the interfaces are opened before the engines: a bad interface ends the run at once */
		struct live_options lo = {
			.ifaces = o->ifaces, .nifaces = (unsigned)o->nifaces, .bpf = o->bpf, .snaplen = (int)o->snaplen,
			.buffer_mb = (int)o->buffer_mb, .workers = r->nw,
		};
		if (!(r->live = live_open(&lo, err, sizeof err)))
			return fail(r, NULL, err);
		if (o->evidence_path && !(r->evlive = evidence_live_open(o->evidence_path, live_linktype(r->live), err,
									      sizeof err)))
			return fail(r, "--evidence", err);
	}
	for (unsigned i = 0; i < r->nw; i++) {
		struct engine_config cfg = o->ecfg;
		cfg.knowledge = r->know;
		cfg.outputs = &r->outs;
		cfg.mcast = r->mcast;
		cfg.expect = r->expect;
		cfg.detect = r->detect;
		cfg.limiter = r->limiter;
		cfg.infer = r->infer;
		cfg.evlive = r->evlive;
		cfg.flowids = &r->flowids;
		cfg.ifaces = o->nifaces ? o->ifaces : NULL;
		cfg.count_packets = !o->nifaces;
		cfg.worker = i;
		cfg.workers = r->nw;
		r->w[i].run = r;
		r->w[i].index = i;
		pthread_mutex_init(&r->w[i].lock, NULL);
		r->w[i].lock_made = true;
		if (!(r->w[i].e = engine_new(&cfg, err, sizeof err)))
			return fail(r, NULL, err);
	}
	if (o->verbose)
		fprintf(stderr, "cmflow: flow table: %u workers x %u flows of %zu bytes (%.1f MiB at most)\n", r->nw,
			o->ecfg.max_flows, flow_table_record_size(),
			(double)r->nw * o->ecfg.max_flows * (double)flow_table_record_size() / 1048576.0);
	return true;
}

/* ---- the end of the run ---- */

/* The inputs as the inferred site's header names them. */
static void inputs_text(const struct run *r, char *buf, size_t len)
{
	size_t n = 0;
	const struct options *o = r->o;
	size_t count = o->nifaces ? o->nifaces : o->nfiles;
	buf[0] = '\0';
	for (size_t i = 0; i < count && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s%s", i ? ", " : "", o->nifaces ? "interface " : "",
				      o->nifaces ? o->ifaces[i] : o->files[i]);
}

/* Commits a reserved output file, or says why it could not be. */
static void commit(struct run *r, struct outfile *of, bool *reserved, const char *option, bool written)
{
	char err[512];
	if (!*reserved)
		return;
	*reserved = false;
	if (!written) {
		outfile_abandon(of);
		return;
	}
	if (!outfile_commit(of, err, sizeof err)) {
		fprintf(stderr, "cmflow: %s: %s\n", option, err);
		r->status = EXIT_BAD_INPUT;
	}
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

static void finish(struct run *r)
{
	char err[PCAP_ERRBUF_SIZE + 512];
	struct options *o = r->o;
	/* end of input or shutdown: every open flow is written */
	for (unsigned i = 0; i < r->nw; i++) {
		engine_finish(r->w[i].e);
		if (r->w[i].e->now_us > r->end_us)
			r->end_us = r->w[i].e->now_us;
		if (r->w[i].e->first_us && (!r->first_us || r->w[i].e->first_us < r->first_us))
			r->first_us = r->w[i].e->first_us;
	}
	if (!r->end_us) /* no packet: the run's own time, never the epoch */
		r->first_us = r->end_us = r->start_us;
	write_config_notes(r);
	infer_drift(r->infer, r->know, drift_finding, r);
	if (r->infer_reserved) {
		char inputs[1024];
		inputs_text(r, inputs, sizeof inputs);
		infer_write_site(r->infer, &r->know->rules->roles, r->infer_out.fp, inputs);
		commit(r, &r->infer_out, &r->infer_reserved, "--infer-site", !r->input_failed);
	}
	struct run_stats rs;
	gather_stats(r, &rs, false);
	say_tunnels(&rs.decoder);
	outputs_stats(&r->outs, &rs, r->end_us);
	outputs_flush(&r->outs);
	if (r->evidence_reserved) {
		const char *const *files = r->inputs;
		long n = evidence_write(r->evidence, files, o->bpf, r->evidence_out.fp, o->evidence_path, err, sizeof err);
		if (n < 0) {
			fprintf(stderr, "cmflow: --evidence: %s\n", err);
			r->status = EXIT_BAD_INPUT;
		} else if (o->verbose) {
			fprintf(stderr, "cmflow: evidence: %ld packets of %zu alerted flows in %s\n", n,
				evidence_flows(r->evidence), o->evidence_path);
		}
		commit(r, &r->evidence_out, &r->evidence_reserved, "--evidence", n >= 0 && !r->input_failed);
	}
	if (r->evlive) {
		uint64_t lost = evidence_live_lost(r->evlive);
		if (o->verbose)
			fprintf(stderr, "cmflow: evidence: %llu packets in %s\n",
				(unsigned long long)evidence_live_packets(r->evlive), o->evidence_path);
		if (lost)
			fprintf(stderr, "cmflow: --evidence: %s: %llu packets could not be written\n", o->evidence_path,
				(unsigned long long)lost);
	}
	if (r->agg)
		agg_add_packets(r->agg, rs.decoder.pkts);
	if (r->report_reserved) {
		char now[32];
		report_write(r->agg, r->report_out.fp, now_text(now, sizeof now)); /* a write error: the commit says it */
		commit(r, &r->report_out, &r->report_reserved, "--report", !r->input_failed);
	}
	if (r->csv_reserved) {
		agg_write_csv(r->agg, r->csv_out.fp); /* a write error: the commit says it */
		commit(r, &r->csv_out, &r->csv_reserved, "--findings-csv", !r->input_failed);
	}
	if (r->eve) {
		bool ok = eve_close(r->eve, err, sizeof err);
		r->eve = NULL;
		if (!ok) {
			fprintf(stderr, "cmflow: --eve: %s\n", err);
			if (!o->nifaces) /* reading files, a lost event is a failed run; live, it was said as it happened */
				r->status = EXIT_BAD_INPUT;
		}
	}
	if (!o->quiet && r->agg && !r->input_failed) {
		summary_print(r->agg, &rs, r->infer, &r->know->rules->roles, o->top, stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "cmflow: the summary could not be written to standard output: %s\n", strerror(errno));
			r->status = EXIT_BAD_INPUT;
		}
	}
	/* --fail-on: an audit in a script fails when such an alert was raised (bad input still wins: 2) */
	if (r->status == 0 && o->fail_on && rs.alerts[o->fail_on])
		r->status = 1;
}

/* The one cleanup: whatever was opened, in the reverse order. */
static void cleanup(struct run *r)
{
	for (unsigned i = 0; r->w && i < r->nw; i++) {
		engine_free(r->w[i].e);
		if (r->w[i].lock_made)
			pthread_mutex_destroy(&r->w[i].lock);
	}
	free(r->w);
	live_close(r->live);
	mcast_members_free(r->mcast);
	evidence_free(r->evidence);
	expect_free(r->expect);
	detect_table_free(r->detect);
	infer_free(r->infer);
	alert_limiter_free(r->limiter);
	evidence_live_close(r->evlive);
	eve_close(r->eve, NULL, 0);
	agg_free(r->agg);
	if (r->report_reserved)
		outfile_abandon(&r->report_out);
	if (r->infer_reserved)
		outfile_abandon(&r->infer_out);
	if (r->evidence_reserved)
		outfile_abandon(&r->evidence_out);
	if (r->csv_reserved)
		outfile_abandon(&r->csv_out);
	if (r->spooled)
		spool_close(&r->spool);
	free(r->inputs);
	free(r->names);
	knowledge_release(r->first_know);
	knowledge_release(r->know);
	if (r->o->syslog)
		closelog();
}

/* The site configuration's `tunnel vxlan-port=N` ports join --vxlan-port's (read at the start: a reload keeps
 * them); false, with a message in err, when they are too many for the decoder. */
static bool add_site_vxlan_ports(struct options *o, const struct knowledge *k, char *err, size_t errlen)
{
	const uint16_t *ports;
	unsigned n = site_vxlan_ports(k->site, &ports);
	for (unsigned i = 0; i < n; i++) {
		if (!decode_tunnels_add_vxlan(&o->tunnels, ports[i])) {
			snprintf(err, errlen, "%s: too many VXLAN ports with --vxlan-port (at most %d)", site_path(k->site),
				 DECODE_MAX_VXLAN_PORTS - 2);
			return false;
		}
	}
	return true;
}

int run_sensor(struct options *o)
{
	char err[PCAP_ERRBUF_SIZE + 512] = "";
	struct run r = { .o = o, .start_us = wall_us() };
	install_signals();
	r.know = knowledge_load(o->sigdir ? o->sigdir : knowledge_default_dir(), o->site_path, err, sizeof err);
	if (!r.know || !add_site_vxlan_ports(o, r.know, err, sizeof err)) {
		fprintf(stderr, "cmflow: %s\n", err);
		knowledge_release(r.know);
		return EXIT_BAD_INPUT;
	}
	o->ecfg.tunnels = &o->tunnels; /* every engine's, the first pass's too */
	r.first_know = knowledge_hold(r.know);
	if (prepare_inputs(&r) && open_outputs(&r) && start_engines(&r)) {
		verdict_config(r.know, config_finding, &r);
		if (!o->nifaces && !r.one_pass && (!o->site_path || o->infer_site_path))
			infer_prepass(&r);
		int status = o->nifaces ? run_live(&r) : run_files(&r);
		r.status = status;
		finish(&r);
	}
	int status = r.status;
	cleanup(&r);
	return status;
}
