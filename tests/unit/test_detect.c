/* Unit tests of the detections over sequences of flows (src/audit/detect.c): the loader of detections files and
 * its errors, and the shared table on flows built as the SMB and DCE/RPC walkers leave them (smbrpc.h): order,
 * window, scope, flows that end out of order, the role conditions on configured roles only, spent sequences,
 * the bounds (eviction, expiry, occurrences) and several threads at once. The captures' own detections are
 * tests/e2e/smbrpc.sh's. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/detect.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "audit/policy.h"
#include "audit/rules.h"
#include "flow/flow_ext.h"
#include "flow/flow_table.h"
#include "flow/smbrpc.h"
#include "lib/ipproto.h"
#include "proto/dcerpc.h"

static struct knowledge *k_site, *k_none;
static char err[1024];

static void load(void)
{
	k_site = knowledge_load(SIG_DIR, SIG_DIR "/example-site.conf", err, sizeof err);
	cr_assert_not_null(k_site, "%s", err);
	k_none = knowledge_load(SIG_DIR, NULL, err, sizeof err);
	cr_assert_not_null(k_none, "%s", err);
}

static void unload(void)
{
	knowledge_release(k_site);
	knowledge_release(k_none);
}

#define S 1000000ull /* a second in microseconds */

static uint64_t next_id = 1;

static struct flow *mk(const char *src, const char *dst, uint16_t dport, uint64_t t0, uint64_t t1)
{
	struct flow *f = calloc(1, sizeof *f);
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	uint16_t vlan[2] = { 0, 0 };
	bool lo;
	cr_assert(inet_pton(AF_INET, src, a) == 1 && inet_pton(AF_INET, dst, b) == 1);
	flow_key_make(&f->key, 4, a, b, (uint16_t)(40000 + __atomic_load_n(&next_id, __ATOMIC_RELAXED) % 20000), dport,
		      IP_PROTO_TCP, vlan, &lo);
	f->init_is_lo = lo;
	f->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	f->ts_first = t0;
	f->ts_last = t1;
	f->pkts[0] = f->pkts[1] = 10;
	f->flags = FLOW_F_REPLIED;
	f->app_proof = APP_SMB;
	return f;
}

static struct flow_smbrpc *rec(struct flow *f)
{
	struct flow_ext *x = flow_ext_get(f);
	cr_assert_not_null(x);
	if (!x->smbrpc)
		x->smbrpc = calloc(1, sizeof *x->smbrpc);
	return x->smbrpc;
}

/* An SMB flow that wrote name on share at time t. */
static struct flow *write_flow(const char *src, const char *dst, const char *share, const char *name, uint64_t t)
{
	struct flow *f = mk(src, dst, 445, t - S, t + S);
	struct flow_smbrpc *r = rec(f);
	r->shares = calloc(1, sizeof *r->shares);
	r->files = calloc(1, sizeof *r->files);
	r->nshares = r->cap_shares = r->nfiles = r->cap_files = 1;
	flow_ext_set_str(&r->shares[0].name, share, strlen(share));
	r->shares[0].ts_us = t - S / 2;
	flow_ext_set_str(&r->files[0].name, name, strlen(name));
	r->files[0].share = 0;
	r->files[0].writes = 1;
	r->files[0].bytes_written = 60000;
	r->files[0].first_us = r->files[0].last_us = t;
	return f;
}

/* A flow that called opnum on iface (over a pipe of an SMB flow, or over TCP) at time t. */
static struct flow *call_flow(const char *src, const char *dst, const char *iface, unsigned opnum, bool pipe,
			      uint64_t t)
{
	struct flow *f = mk(src, dst, pipe ? 445 : 49700, t - S, t + S);
	struct flow_smbrpc *r = rec(f);
	r->ifaces = calloc(1, sizeof *r->ifaces);
	r->nifaces = r->cap_ifaces = 1;
	cr_assert(knowledge_rpc_uuid(k_site, iface, r->ifaces[0].uuid), "%s", iface);
	r->ifaces[0].pipe = -1;
	if (pipe) {
		r->pipes = calloc(1, sizeof *r->pipes);
		r->npipes = r->cap_pipes = 1;
		flow_ext_set_str(&r->pipes[0].name, "svcctl", 6);
		r->ifaces[0].pipe = 0;
	}
	r->ifaces[0].opnums[opnum / 8] |= (uint8_t)(1u << (opnum % 8));
	r->ifaces[0].requests = 1;
	r->ifaces[0].first_us = r->ifaces[0].last_us = t;
	return f;
}

static void done(struct flow *f)
{
	flow_ext_free(f);
	free(f);
}

/* Ends f (at its last packet) in table t with knowledge k: the hits' detection ids, comma-separated. */
static unsigned end(struct detect_table *t, const struct knowledge *k, struct flow *f, char *ids, size_t len)
{
	struct flow_label lab;
	struct detect_hit hits[DETECT_HITS_MAX];
	label_flow(k, NULL, f, &lab);
	unsigned n = detect_flow(t, k, f, &lab, f->ts_last, hits, DETECT_HITS_MAX);
	size_t o = 0;
	if (ids)
		ids[0] = '\0';
	for (unsigned i = 0; ids && i < n; i++)
		o += (size_t)snprintf(ids + o, len - o, "%s%s", i ? "," : "", hits[i].d->kind.id);
	done(f);
	return n;
}

TestSuite(detect, .init = load, .fini = unload);

Test(detect, the_signatures_load_with_client_push_first)
{
	const struct detections *d = k_site->detections;
	cr_assert_eq(d->n, 3);
	const struct detection *cp = detections_find(d, "client-push");
	cr_assert_not_null(cp);
	cr_assert_eq(cp->nsteps, 2);
	cr_assert_eq(cp->nalts[1], 2, "service-create|wmi-exec");
	cr_assert_eq(cp->kind.verdict, VERDICT_INFORMATIONAL);
	cr_assert_eq(cp->scope, DETECT_SCOPE_PAIR);
	cr_assert_eq(cp->site, 1);
	cr_assert(cp->src_roles && !cp->src_not);
	cr_assert_str_eq(cp->steps_text, "admin-share-write then service-create|wmi-exec");
	const struct detect_pred *svc = &d->preds[cp->alts[1][0]];
	bool create = false, start = false;
	for (unsigned i = 0; i < svc->nops; i++) {
		create |= svc->ops[i].opnum == 12;
		start |= svc->ops[i].opnum == 19;
	}
	cr_assert(create && start, "CreateServiceW and StartServiceW resolved to 12 and 19");
	const struct detection *out = detections_find(d, "remote-service-not-site-server");
	cr_assert(out && out->src_not && out->kind.verdict == VERDICT_UNEXPECTED);
	cr_assert_str_eq(out->mitre, "T1021.002,T1569.002");
	cr_assert_str_eq(knowledge_rpc_opnum_name(k_site, svc->ifaces[0], 19), "StartServiceW");
}

/* A detections file of text: the loader's answer (NULL and the error) against the real signatures' names. */
static struct detections *load_text(const char *text)
{
	char path[] = "/tmp/cmp-detect-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct detections *d = detections_load(path, k_site, err, sizeof err);
	unlink(path);
	return d;
}

#define HEAD "step w smb-write share=ADMIN$\nstep s rpc iface=SVCCTL opnum=CreateServiceW\n"
#define DET(opts) "detection x 9100001 2 unexpected \"Misc activity\" \"a sentence\" \"advice\" " opts "\n"

Test(detect, loader_errors_name_the_line_and_word)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "step a smb-read share=C$\n", ":1: a step is smb-tree, smb-write, rpc or http, not 'smb-read'" },
		{ "step a rpc iface=NOPE\n", ":1: an interface of rpc-interfaces.txt (a name or a UUID), not 'NOPE'" },
		{ "step a rpc iface=SVCCTL opnum=ExecMethod\n", ":1: no interface of the step has the opnum 'ExecMethod'" },
		{ "step a smb-write name-suffix=.exe\n", ":1: an SMB step needs share=, at 'a'" },
		{ "step a http share=C$\n", ":1: an argument this kind of step does not take: 'share=C$'" },
		{ HEAD DET("steps=w,z scope=pair window=60"), ":3: a step no 'step' line defines in 'steps=w,z'" },
		{ HEAD DET("steps=w,s window=60"), ":3: a detection needs steps=, scope= and window=, at 'x'" },
		{ HEAD DET("steps=w,s scope=host window=60"), ":3: scope= is pair or source, not 'scope=host'" },
		{ HEAD DET("steps=w,s scope=pair window=0"), ":3: window= is 1..86400 seconds, not 'window=0'" },
		{ HEAD DET("steps=w,s scope=pair window=60 src=!wizard"), ":3: a role of the rules file, not 'src=!wizard'" },
		{ HEAD DET("steps=w,s,w,s,w scope=pair window=60"), ":3: more than 4 steps in 'steps=w,s,w,s,w'" },
		{ HEAD "detection unknown-host 9100001 2 unexpected c s a steps=w scope=pair window=6\n",
		  ":3: a finding id used twice: 'unknown-host'" },
		{ HEAD "detection x 9000011 2 unexpected c s a steps=w scope=pair window=6\n",
		  ":3: a signature id used twice: '9000011'" },
		{ HEAD "detection x 9100001 2 maybe c s a steps=w scope=pair window=6\n",
		  ":3: a detection's verdict is informational, noncompliant or unexpected, not 'maybe'" },
		{ HEAD "detect x\n", ":3: a line starts with 'step' or 'detection', not 'detect'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct detections *d = load_text(cases[i].text);
		cr_assert_null(d, "case %zu loaded", i);
		cr_assert(strstr(err, cases[i].want), "case %zu: '%s' lacks '%s'", i, err, cases[i].want);
	}
	struct detections *d = load_text(HEAD DET("steps=w,s|w scope=source window=60 order=any technique=CRED-9"));
	cr_assert_not_null(d, "%s", err);
	cr_assert(!d->v[0].ordered && d->v[0].scope == DETECT_SCOPE_SOURCE);
	cr_assert_str_eq(d->v[0].technique, "CRED-9");
	cr_assert_str_eq(d->v[0].steps_text, "w and s|w");
	detections_free(d);
}

Test(detect, a_site_server_s_push_is_client_push_in_either_order_of_ends)
{
	struct detect_table *t = detect_table_new(64, 3600);
	char ids[256];
	/* the copy's flow ends first */
	cr_assert_eq(end(t, k_site, write_flow("10.1.0.5", "10.2.0.22", "ADMIN$", "ccmsetup.exe", 100 * S), ids, sizeof ids), 0);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.22", "SVCCTL", 12, true, 105 * S), ids, sizeof ids), 1);
	cr_assert_str_eq(ids, "client-push");
	/* a long SMB session whose copy came first ends after the service call (a timeout) */
	struct flow *copy = write_flow("10.1.0.5", "10.2.0.23", "admin$", "ccmsetup.exe", 200 * S);
	copy->ts_last = 4000 * S;
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.23", "SVCCTL", 19, false, 210 * S), ids, sizeof ids), 0);
	cr_assert_eq(end(t, k_site, copy, ids, sizeof ids), 1);
	cr_assert_str_eq(ids, "client-push");
	struct detect_stats st;
	detect_table_stats(t, &st);
	cr_assert_eq(st.hits, 2);
	cr_assert_eq(st.occurrences, 4);
	detect_table_free(t);
}

Test(detect, the_same_steps_from_another_host_are_unexpected_and_without_a_site_remote_service_creation)
{
	struct detect_table *t = detect_table_new(64, 3600);
	char ids[256];
	end(t, k_site, write_flow("10.7.0.99", "10.2.0.22", "C$", "x.exe", 100 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, call_flow("10.7.0.99", "10.2.0.22", "SVCCTL", 45, true, 101 * S), ids, sizeof ids), 1);
	cr_assert_str_eq(ids, "remote-service-not-site-server");
	end(t, k_none, write_flow("10.1.0.5", "10.2.0.22", "ADMIN$", "ccmsetup.exe", 300 * S), NULL, 0);
	cr_assert_eq(end(t, k_none, call_flow("10.1.0.5", "10.2.0.22", "IWbemServices", 24, false, 302 * S), ids,
			 sizeof ids), 1);
	cr_assert_str_eq(ids, "remote-service-creation");
	detect_table_free(t);
}

Test(detect, inferred_roles_never_make_a_site_server)
{
	struct detect_table *t = detect_table_new(64, 3600);
	struct detect_hit hits[DETECT_HITS_MAX];
	int ss = roles_find(&k_site->rules->roles, "site-server", 11);
	struct flow *w = write_flow("10.7.0.98", "10.2.0.22", "ADMIN$", "a.exe", 100 * S);
	struct flow *c = call_flow("10.7.0.98", "10.2.0.22", "SVCCTL", 12, true, 101 * S);
	struct flow_label lab;
	label_flow(k_site, NULL, w, &lab);
	lab.src_roles |= ROLE_BIT(ss); /* as role inference would label it */
	lab.src_inferred |= ROLE_BIT(ss);
	cr_assert_eq(detect_flow(t, k_site, w, &lab, w->ts_last, hits, DETECT_HITS_MAX), 0);
	label_flow(k_site, NULL, c, &lab);
	lab.src_roles |= ROLE_BIT(ss);
	lab.src_inferred |= ROLE_BIT(ss);
	cr_assert_eq(detect_flow(t, k_site, c, &lab, c->ts_last, hits, DETECT_HITS_MAX), 1);
	cr_assert_str_eq(hits[0].d->kind.id, "remote-service-not-site-server");
	done(w);
	done(c);
	detect_table_free(t);
}

Test(detect, order_window_scope_and_other_shares)
{
	struct detect_table *t = detect_table_new(64, 3600);
	/* the service call wholly before the copy: not "then" */
	end(t, k_site, call_flow("10.1.0.5", "10.2.0.30", "SVCCTL", 12, true, 100 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, write_flow("10.1.0.5", "10.2.0.30", "ADMIN$", "c.exe", 110 * S), NULL, 0), 0);
	/* further apart than the window (900 s) */
	end(t, k_site, write_flow("10.1.0.5", "10.2.0.31", "ADMIN$", "c.exe", 100 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.31", "SVCCTL", 12, true, 1100 * S), NULL, 0), 0);
	/* another pair: the copy to one client, the service on another */
	end(t, k_site, write_flow("10.1.0.5", "10.2.0.32", "ADMIN$", "c.exe", 100 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.33", "SVCCTL", 12, true, 101 * S), NULL, 0), 0);
	/* a share that is not administrative, an opnum that creates nothing */
	end(t, k_site, write_flow("10.1.0.5", "10.2.0.34", "SMS_PKG$", "c.exe", 100 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.34", "SVCCTL", 12, true, 101 * S), NULL, 0), 0);
	end(t, k_site, write_flow("10.1.0.5", "10.2.0.35", "ADMIN$", "c.exe", 100 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.35", "SVCCTL", 15, true, 101 * S), NULL, 0), 0,
		     "OpenSCManagerW alone");
	/* both steps on one connection (psexec) */
	struct flow *f = write_flow("10.1.0.5", "10.2.0.36", "ADMIN$", "p.exe", 100 * S);
	struct flow *g = call_flow("10.1.0.5", "10.2.0.36", "SVCCTL", 12, true, 101 * S);
	struct flow_smbrpc *r = rec(f), *q = rec(g);
	r->ifaces = q->ifaces;
	r->nifaces = q->nifaces;
	r->cap_ifaces = q->cap_ifaces;
	r->pipes = q->pipes;
	r->npipes = q->npipes;
	r->cap_pipes = q->cap_pipes;
	q->ifaces = NULL;
	q->pipes = NULL;
	q->nifaces = q->npipes = 0;
	done(g);
	cr_assert_eq(end(t, k_site, f, NULL, 0), 1, "one flow, both steps");
	detect_table_free(t);
}

Test(detect, a_completed_sequence_is_spent_and_a_new_one_counts_again)
{
	struct detect_table *t = detect_table_new(64, 3600);
	end(t, k_site, write_flow("10.1.0.5", "10.2.0.40", "ADMIN$", "c.exe", 100 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.40", "SVCCTL", 12, true, 101 * S), NULL, 0), 1);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.40", "SVCCTL", 19, true, 102 * S), NULL, 0), 0,
		     "the start after the push completed is not another push");
	end(t, k_site, write_flow("10.1.0.5", "10.2.0.40", "ADMIN$", "c.exe", 3000 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.0.40", "SVCCTL", 12, true, 3001 * S), NULL, 0), 1);
	detect_table_free(t);
}

Test(detect, a_hit_names_the_other_steps_within_its_window)
{
	struct detect_table *t = detect_table_new(64, 3600);
	struct detect_hit hits[DETECT_HITS_MAX];
	struct flow_label lab;
	end(t, k_site, write_flow("10.1.0.5", "10.2.0.41", "ADMIN$", "c.exe", 100 * S), NULL, 0);
	end(t, k_site, call_flow("10.1.0.5", "10.2.0.41", "SVCCTL", 19, true, 103 * S), NULL, 0); /* completes */
	end(t, k_site, write_flow("10.1.0.5", "10.2.0.41", "ADMIN$", "c.exe", 200 * S), NULL, 0);
	struct flow *refused = call_flow("10.1.0.5", "10.2.0.41", "SVCCTL", 12, true, 201 * S);
	rec(refused)->ifaces[0].faults = 1;
	cr_assert_eq(end(t, k_site, refused, NULL, 0), 1);
	struct flow *last = write_flow("10.1.0.5", "10.2.0.41", "ADMIN$", "d.exe", 300 * S);
	label_flow(k_site, NULL, last, &lab);
	cr_assert_eq(detect_flow(t, k_site, last, &lab, last->ts_last, hits, DETECT_HITS_MAX), 0);
	done(last);
	struct flow *start = call_flow("10.1.0.5", "10.2.0.41", "SVCCTL", 19, true, 301 * S);
	label_flow(k_site, NULL, start, &lab);
	cr_assert_eq(detect_flow(t, k_site, start, &lab, start->ts_last, hits, DETECT_HITS_MAX), 1);
	cr_assert_eq(hits[0].nsteps, 2);
	cr_assert_eq(hits[0].steps[0].step, 0);
	cr_assert_eq(hits[0].steps[1].step, 1);
	cr_assert(strstr(hits[0].steps[0].what, "ADMIN$\\d.exe"), "%s", hits[0].steps[0].what);
	cr_assert(strstr(hits[0].steps[1].what, "SVCCTL StartServiceW over \\svcctl"), "%s", hits[0].steps[1].what);
	done(start);
	detect_table_free(t);
}

Test(detect, a_full_table_evicts_the_least_recent_and_says_so)
{
	struct detect_table *t = detect_table_new(2, 60);
	end(t, k_site, write_flow("10.1.0.5", "10.2.1.1", "ADMIN$", "c.exe", 100 * S), NULL, 0);
	end(t, k_site, write_flow("10.1.0.5", "10.2.1.2", "ADMIN$", "c.exe", 101 * S), NULL, 0);
	end(t, k_site, write_flow("10.1.0.5", "10.2.1.3", "ADMIN$", "c.exe", 102 * S), NULL, 0);
	struct detect_stats st;
	detect_table_stats(t, &st);
	cr_assert_eq(st.evicted, 1);
	cr_assert_eq(st.active, 2);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.1.1", "SVCCTL", 12, true, 103 * S), NULL, 0), 0,
		     "the evicted sequence is lost");
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.1.3", "SVCCTL", 12, true, 103 * S), NULL, 0), 1);
	detect_table_free(t);
}

Test(detect, unfinished_sequences_age_out_after_window_and_grace)
{
	struct detect_stats st;
	struct detect_table *t = detect_table_new(8, 60);
	/* found again too late: the copy of long ago is not this service call's */
	end(t, k_site, write_flow("10.1.0.5", "10.2.1.4", "ADMIN$", "c.exe", 200 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, call_flow("10.1.0.5", "10.2.1.4", "SVCCTL", 12, true, 1200 * S), NULL, 0), 0);
	detect_table_stats(t, &st);
	cr_assert_eq(st.expired, 1);
	cr_assert_eq(st.evicted, 0);
	detect_table_free(t);
	/* pushed out of a full table when already stale: expired, not evicted */
	t = detect_table_new(1, 60);
	end(t, k_site, write_flow("10.1.0.5", "10.2.1.6", "ADMIN$", "c.exe", 100 * S), NULL, 0);
	end(t, k_site, write_flow("10.1.0.5", "10.2.1.7", "ADMIN$", "c.exe", 5000 * S), NULL, 0);
	detect_table_stats(t, &st);
	cr_assert_eq(st.expired, 1);
	cr_assert_eq(st.evicted, 0);
	/* more occurrences of one step than are kept: the oldest go, counted */
	for (int i = 0; i < DETECT_OCC_MAX + 1; i++)
		end(t, k_site, write_flow("10.1.0.5", "10.2.1.7", "ADMIN$", "c.exe", (5001 + (uint64_t)i) * S), NULL, 0);
	detect_table_stats(t, &st);
	cr_assert_eq(st.occ_dropped, 2);
	detect_table_free(t);
}

static void count_match(void *ctx, const struct detection *d, unsigned step, const char *what)
{
	(void)d;
	cr_assert_eq(step, 0);
	cr_assert_str_eq(what, "SMB write ADMIN$\\ccmsetup.exe (60000 bytes)");
	(*(unsigned *)ctx)++;
}

Test(detect, match_flow_says_which_steps_a_flow_is)
{
	struct flow *f = write_flow("10.1.0.5", "10.2.0.22", "ADMIN$", "ccmsetup.exe", 100 * S);
	unsigned n = 0;
	detect_match_flow(k_site, f, count_match, &n);
	cr_assert_eq(n, 3, "step 1 of each of the three detections");
	done(f);
}

/* An HTTP request of one source (issue 23's sequences are of this kind): its first request line. */
static struct flow *http_flow(const char *src, const char *dst, const char *method, const char *url, uint64_t t)
{
	struct flow *f = mk(src, dst, 80, t, t + S);
	f->app_proof = APP_HTTP;
	struct flow_ext *x = flow_ext_get(f);
	flow_ext_set_str(&x->http_method, method, strlen(method));
	flow_ext_set_str(&x->http_url, url, strlen(url));
	return f;
}

Test(detect, http_steps_from_one_source_to_any_server)
{
	struct detections *d = load_text("step reg http method=CCM_POST url=/ccm_system_windowsauth/request\n"
					 "step pol http method=GET url=/SMS_MP/.sms_pol\n"
					 DET("steps=reg,pol scope=source window=30 site=configured src=!client"));
	cr_assert_not_null(d, "%s", err);
	struct detections *real = k_site->detections;
	k_site->detections = d;
	struct detect_table *t = detect_table_new(64, 60);
	char ids[64];
	/* a configured client: the condition fails */
	end(t, k_site, http_flow("10.2.0.21", "10.1.0.10", "CCM_POST", "/ccm_system_windowsauth/request", 10 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, http_flow("10.2.0.21", "10.1.0.10", "GET", "/SMS_MP/.sms_pol?x", 12 * S), NULL, 0), 0);
	/* a stranger, to two servers (scope source), in order and within the window */
	end(t, k_site, http_flow("10.7.0.99", "10.1.0.10", "CCM_POST", "/CCM_System_WindowsAuth/request", 10 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, http_flow("10.7.0.99", "10.1.0.11", "GET", "/SMS_MP/.sms_pol?y", 12 * S), ids,
			 sizeof ids), 1);
	cr_assert_str_eq(ids, "x");
	/* the policy request before the registration is not the sequence */
	end(t, k_site, http_flow("10.7.0.98", "10.1.0.10", "GET", "/SMS_MP/.sms_pol?y", 10 * S), NULL, 0);
	cr_assert_eq(end(t, k_site, http_flow("10.7.0.98", "10.1.0.10", "CCM_POST", "/ccm_system_windowsauth/request",
					 12 * S), NULL, 0), 0);
	detect_table_free(t);
	k_site->detections = real;
	detections_free(d);
}

/* ---- several capture workers at once ---- */

#define PAIRS 500

struct worker {
	struct detect_table *t;
	int half;
	unsigned hits;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < PAIRS; i++) {
		char dst[32];
		snprintf(dst, sizeof dst, "10.2.%d.%d", 10 + i / 200, 1 + i % 200);
		struct flow *f = w->half ? call_flow("10.1.0.5", dst, "SVCCTL", 12, true, 101 * S)
					 : write_flow("10.1.0.5", dst, "ADMIN$", "c.exe", 100 * S);
		struct flow_label lab;
		struct detect_hit hits[DETECT_HITS_MAX];
		label_flow(k_site, NULL, f, &lab);
		w->hits += detect_flow(w->t, k_site, f, &lab, f->ts_last, hits, DETECT_HITS_MAX);
		done(f);
	}
	return NULL;
}

Test(detect, workers_share_the_table)
{
	struct detect_table *t = detect_table_new(4096, 3600);
	struct worker w[2] = { { t, 0, 0 }, { t, 1, 0 } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(w[0].hits + w[1].hits, PAIRS, "every pair once, whichever worker ended its last flow");
	detect_table_free(t);
}
