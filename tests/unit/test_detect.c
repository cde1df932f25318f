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
#include "flow/auth.h"
#include "flow/boot.h"
#include "flow/flow_ext.h"
#include "flow/flow_release.h"
#include "flow/http_requests.h"
#include "flow/flow_table.h"
#include "flow/smbrpc.h"
#include "lib/ipproto.h"
#include "lib/util.h"
#include "proto/http.h"
#include "proto/ntlmssp.h"
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
	flow_release(f);
	free(f);
}

/* Ends f (at its last packet) in table t with knowledge k: the hits' detection ids, comma-separated. */
static unsigned end(struct detect_table *t, const struct knowledge *k, struct flow *f, char *ids, size_t len)
{
	struct flow_label lab;
	struct detect_hit hits[DETECT_HITS_MAX];
	label_flow(k, NULL, f, &lab);
	unsigned n = detect_flow(t, knowledge_detect_env(k), f, &lab, f->ts_last, hits, DETECT_HITS_MAX);
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
	cr_assert_eq(d->n, 14, "client push's three and issue 23's eleven");
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
	unsigned postures = 0;
	for (unsigned i = 0; i < d->n; i++)
		postures += d->v[i].posture;
	cr_assert_eq(postures, 3, "SMB signing, NTLM between site systems, PXE media without a password");
	cr_assert(detections_find(d, "smb-signing-not-required")->posture && !cp->posture);
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
	struct detections *d = detections_load(path, knowledge_detect_env(k_site), err, sizeof err);
	unlink(path);
	return d;
}

#define HEAD "step w smb-write share=ADMIN$\nstep s rpc iface=SVCCTL opnum=CreateServiceW\n"
#define DET(opts) "detection x 9100001 2 unexpected \"Misc activity\" \"a sentence\" \"advice\" " opts "\n"

Test(detect, loader_errors_name_the_line_and_word)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "step a smb-read share=C$\n", ":1: a step is smb-tree, smb-write, rpc, http, auth, dhcp, tftp, smb-signing or ntlm-relay, not 'smb-read'" },
		{ "step a rpc iface=NOPE\n", ":1: an interface of rpc-interfaces.txt (a name or a UUID), not 'NOPE'" },
		{ "step a rpc iface=SVCCTL opnum=ExecMethod\n", ":1: no interface of the step has the opnum 'ExecMethod'" },
		{ "step a smb-write name-suffix=.exe\n", ":1: an SMB step needs share=, at 'a'" },
		{ "step a http share=C$\n", ":1: an argument this kind of step does not take: 'share=C$'" },
		{ HEAD DET("steps=w,z scope=pair window=60"), ":3: a step no 'step' line defines in 'steps=w,z'" },
		{ HEAD DET("steps=w,s window=60"), ":3: a detection needs steps=, scope= and window=, at 'x'" },
		{ HEAD DET("steps=w,s scope=host window=60"), ":3: scope= is pair or source, not 'scope=host'" },
		{ HEAD DET("steps=w,s scope=pair window=0"), ":3: window= is 1..86400 seconds, not 'window=0'" },
		{ HEAD DET("steps=w,s scope=pair window=60 src=!wizard"), ":3: roles of the rules file in 'src=!wizard'" },
		{ HEAD DET("steps=w,s,w,s,w scope=pair window=60"), ":3: more than 4 steps in 'steps=w,s,w,s,w'" },
		{ HEAD "detection unknown-host 9100001 2 unexpected c s a steps=w scope=pair window=6\n",
		  ":3: a finding id used twice: 'unknown-host'" },
		{ HEAD "detection x 9000011 2 unexpected c s a steps=w scope=pair window=6\n",
		  ":3: a signature id used twice: '9000011'" },
		{ HEAD "detection x 9100001 2 maybe c s a steps=w scope=pair window=6\n",
		  ":3: a detection's verdict is informational, noncompliant or unexpected, not 'maybe'" },
		{ HEAD "detect x\n", ":3: a line starts with 'roles', 'step' or 'detection', not 'detect'" },
		{ "step a tftp\n", ":1: a tftp step needs name-suffix=, at 'a'" },
		{ "step a smb-signing\n", ":1: an smb-signing step needs required=, at 'a'" },
		{ "step a auth type=LOGIN\n", ":1: type= is NEGOTIATE, CHALLENGE or AUTHENTICATE, not 'type=LOGIN'" },
		{ "step a dhcp pxe-243=9\n", ":1: an option 243 type is 0..7, not '9'" },
		{ "step a http status=42\n", ":1: an HTTP status is 100..999, not '42'" },
		{ "step r ntlm-relay\n" HEAD DET("steps=r,w scope=pair window=6"),
		  ":4: an ntlm-relay step is a detection's only step: 'steps=r,w'" },
		{ HEAD DET("steps=w scope=pair window=6 hosts=2"), ":3: hosts= needs scope=source, at 'x'" },
		{ HEAD DET("steps=w scope=source window=6 hosts=9"), ":3: hosts= is 2..3, not 'hosts=9'" },
		{ HEAD DET("steps=w scope=pair window=6 dest=@nope"),
		  ":3: a set of roles no earlier 'roles' line names in 'dest=@nope'" },
		{ HEAD DET("steps=w scope=pair window=6 kind=attack"), ":3: kind= is activity or posture, not 'kind=attack'" },
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
	cr_assert(!d->v[0].posture, "an activity unless kind=posture");
	cr_assert_str_eq(detect_kind_name(&d->v[0]), "activity");
	detections_free(d);
	d = load_text(HEAD DET("steps=w scope=pair window=6 kind=posture"));
	cr_assert_not_null(d, "%s", err);
	cr_assert_str_eq(detect_kind_name(&d->v[0]), "posture");
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
	cr_assert_eq(detect_flow(t, knowledge_detect_env(k_site), w, &lab, w->ts_last, hits, DETECT_HITS_MAX), 0);
	label_flow(k_site, NULL, c, &lab);
	lab.src_roles |= ROLE_BIT(ss);
	lab.src_inferred |= ROLE_BIT(ss);
	cr_assert_eq(detect_flow(t, knowledge_detect_env(k_site), c, &lab, c->ts_last, hits, DETECT_HITS_MAX), 1);
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
	cr_assert_eq(detect_flow(t, knowledge_detect_env(k_site), last, &lab, last->ts_last, hits, DETECT_HITS_MAX), 0);
	done(last);
	struct flow *start = call_flow("10.1.0.5", "10.2.0.41", "SVCCTL", 19, true, 301 * S);
	label_flow(k_site, NULL, start, &lab);
	cr_assert_eq(detect_flow(t, knowledge_detect_env(k_site), start, &lab, start->ts_last, hits, DETECT_HITS_MAX), 1);
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
	detect_match_flow(knowledge_detect_env(k_site), f, count_match, &n);
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
	k_site->detections = k_site->detect_env.detections = d;
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
	k_site->detections = k_site->detect_env.detections = real;
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
		w->hits += detect_flow(w->t, knowledge_detect_env(k_site), f, &lab, f->ts_last, hits, DETECT_HITS_MAX);
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

/* ---- issue 23's step kinds and the relay matcher ---- */

/* A flow with one NTLM exchange: the server's CHALLENGE (challenge bytes all c) at t, the client's AUTHENTICATE
 * as domain\user (anonymous when user is "") just after. */
static struct flow *ntlm_flow(const char *src, const char *dst, uint16_t dport, uint8_t over, uint8_t c,
			      const char *user, uint64_t t)
{
	struct flow *f = mk(src, dst, dport, t - S, t + S);
	struct ntlmssp_msg m;
	memset(&m, 0, sizeof m);
	m.type = NTLMSSP_CHALLENGE;
	m.has_challenge = true;
	memset(m.challenge, c, 8);
	flow_auth_ntlmssp(f, over, DIR_TO_CLIENT, &m, t);
	memset(&m, 0, sizeof m);
	m.type = NTLMSSP_AUTHENTICATE;
	m.anonymous = !user[0];
	snprintf(m.domain, sizeof m.domain, "ABC");
	snprintf(m.user, sizeof m.user, "%s", user);
	m.response = NTLM_RESPONSE_V2;
	flow_auth_ntlmssp(f, over, DIR_TO_SERVER, &m, t + 1000);
	return f;
}

Test(detect, a_challenge_seen_between_other_hosts_is_a_relay_whichever_flow_ends_first)
{
	struct detect_table *t = detect_table_new(64, 60);
	char ids[128];
	/* the victim's login to the relaying host ends first; the target's challenge came a moment before it */
	cr_assert_eq(end(t, k_none, ntlm_flow("10.1.0.5", "10.7.0.99", 445, AUTH_OVER_SMB, 0x11, "cmpush", 100 * S + 5000),
			 NULL, 0), 0);
	struct flow_label lab;
	struct detect_hit hits[DETECT_HITS_MAX];
	struct flow *target = ntlm_flow("10.7.0.99", "10.1.0.20", 445, AUTH_OVER_SMB, 0x11, "cmpush", 100 * S);
	label_flow(k_none, NULL, target, &lab);
	cr_assert_eq(detect_flow(t, knowledge_detect_env(k_none), target, &lab, target->ts_last, hits, DETECT_HITS_MAX), 1);
	cr_assert_str_eq(hits[0].d->kind.id, "ntlm-relay");
	cr_assert_eq(hits[0].nsteps, 2, "both flows");
	char a[ADDR_STR_MAX], b[ADDR_STR_MAX];
	cr_assert_str_eq(addr_to_str(4, hits[0].src, a, sizeof a), "10.7.0.99", "the relaying host");
	cr_assert_str_eq(addr_to_str(4, hits[0].dst, b, sizeof b), "10.1.0.20", "its target");
	cr_assert(strstr(hits[0].steps[0].what, "target's NTLM CHALLENGE 1111111111111111"), "%s", hits[0].steps[0].what);
	cr_assert(strstr(hits[0].steps[1].what, "relayed to its victim"), "%s", hits[0].steps[1].what);
	done(target);
	/* spent: a third flow with it is a new challenge */
	cr_assert_eq(end(t, k_none, ntlm_flow("10.1.0.6", "10.7.0.99", 80, AUTH_OVER_HTTP, 0x11, "x", 101 * S), NULL, 0), 0);
	/* the same challenge again between the same two hosts (a second connection) is no relay */
	cr_assert_eq(end(t, k_none, ntlm_flow("10.2.0.1", "10.1.0.10", 80, AUTH_OVER_HTTP, 0x22, "a", 110 * S), NULL, 0), 0);
	cr_assert_eq(end(t, k_none, ntlm_flow("10.2.0.1", "10.1.0.10", 80, AUTH_OVER_HTTP, 0x22, "a", 111 * S), NULL, 0), 0);
	/* different challenges are nothing; the same one past the window (30 s) is nothing */
	cr_assert_eq(end(t, k_none, ntlm_flow("10.2.0.2", "10.1.0.10", 80, AUTH_OVER_HTTP, 0x33, "a", 120 * S), NULL, 0), 0);
	cr_assert_eq(end(t, k_none, ntlm_flow("10.2.0.3", "10.1.0.11", 80, AUTH_OVER_HTTP, 0x44, "a", 120 * S), NULL, 0), 0);
	cr_assert_eq(end(t, k_none, ntlm_flow("10.2.0.4", "10.1.0.11", 80, AUTH_OVER_HTTP, 0x33, "a", 200 * S), NULL, 0), 0);
	/* across carriers: HTTP to the relaying host, SMB from it */
	end(t, k_none, ntlm_flow("10.1.0.5", "10.7.0.99", 8080, AUTH_OVER_HTTP, 0x55, "cmpush", 300 * S + 2000), NULL, 0);
	cr_assert_eq(end(t, k_none, ntlm_flow("10.7.0.99", "10.1.0.10", 80, AUTH_OVER_SMB, 0x55, "cmpush", 300 * S), ids,
			 sizeof ids), 1);
	cr_assert_str_eq(ids, "ntlm-relay");
	struct detect_stats st;
	detect_table_stats(t, &st);
	cr_assert_eq(st.challenges_evicted, 0);
	detect_table_free(t);
}

Test(detect, the_challenge_table_is_bounded_and_counts_what_it_pushes_out)
{
	struct detect_table *t = detect_table_new(64, 60);
	unsigned n = DETECT_CHALLENGES + 1000;
	for (unsigned i = 0; i < n; i++) {
		struct flow *f = mk("10.2.0.1", "10.1.0.10", 80, 100 * S, 100 * S + 10);
		struct ntlmssp_msg m;
		memset(&m, 0, sizeof m);
		m.type = NTLMSSP_CHALLENGE;
		m.has_challenge = true;
		memcpy(m.challenge, &i, sizeof i);
		flow_auth_ntlmssp(f, AUTH_OVER_HTTP, DIR_TO_CLIENT, &m, 100 * S);
		end(t, k_none, f, NULL, 0);
	}
	struct detect_stats st;
	detect_table_stats(t, &st);
	cr_assert_eq(st.challenges, n);
	cr_assert_geq(st.challenges_evicted, 1000, "the table holds %u at most", DETECT_CHALLENGES);
	cr_assert_leq(st.challenges_evicted, n);
	/* past the window and grace, slots free themselves: 2000 more (under half the table) push out next to none */
	uint64_t before = st.challenges_evicted;
	for (unsigned i = 0; i < 2000; i++) {
		struct flow *f = mk("10.2.0.1", "10.1.0.10", 80, 1000 * S, 1000 * S + 10);
		struct ntlmssp_msg m;
		memset(&m, 0, sizeof m);
		m.type = NTLMSSP_CHALLENGE;
		m.has_challenge = true;
		unsigned v = i + 0x100000;
		memcpy(m.challenge, &v, sizeof v);
		flow_auth_ntlmssp(f, AUTH_OVER_HTTP, DIR_TO_CLIENT, &m, 1000 * S);
		end(t, k_none, f, NULL, 0);
	}
	detect_table_stats(t, &st);
	cr_assert_lt(st.challenges_evicted - before, 100,
		     "aged-out slots are reused (only the new challenges' own crowding of a probe run pushes out: %llu, "
		     "then %llu)", (unsigned long long)before, (unsigned long long)st.challenges_evicted);
	detect_table_free(t);
}

#define RELAYS 300

struct relay_worker {
	struct detect_table *t;
	int half;
	unsigned hits;
};

static void *relay_work(void *arg)
{
	struct relay_worker *w = arg;
	for (unsigned i = 0; i < RELAYS; i++) {
		char victim[32];
		snprintf(victim, sizeof victim, "10.2.%u.%u", 10 + i / 200, 1 + i % 200);
		struct flow *f = w->half ? ntlm_flow(victim, "10.7.0.99", 445, AUTH_OVER_SMB, 0, "u", 100 * S + 1000)
					 : ntlm_flow("10.7.0.99", "10.1.0.20", 445, AUTH_OVER_SMB, 0, "u", 100 * S);
		struct flow_auth *a = (struct flow_auth *)flow_auth(f);
		memcpy(a->x[0].challenge, &i, sizeof i); /* pair i's challenge */
		struct flow_label lab;
		struct detect_hit hits[DETECT_HITS_MAX];
		label_flow(k_none, NULL, f, &lab);
		w->hits += detect_flow(w->t, knowledge_detect_env(k_none), f, &lab, f->ts_last, hits, DETECT_HITS_MAX);
		done(f);
	}
	return NULL;
}

Test(detect, two_workers_share_the_challenge_table)
{
	struct detect_table *t = detect_table_new(4096, 3600);
	struct relay_worker w[2] = { { t, 0, 0 }, { t, 1, 0 } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, relay_work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(w[0].hits + w[1].hits, RELAYS, "every relay once, whichever worker ended its second flow");
	detect_table_free(t);
}

/* The steps a flow matches, as "id:step" words. */
static void add_match(void *ctx, const struct detection *d, unsigned step, const char *what)
{
	(void)what;
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 512 - n, "%s%s:%u", n ? " " : "", d->kind.id, step + 1);
}

static void matches(const struct knowledge *k, struct flow *f, char *out)
{
	out[0] = '\0';
	detect_match_flow(knowledge_detect_env(k), f, add_match, out);
	done(f);
}

Test(detect, the_new_step_kinds_on_one_flow)
{
	char got[512];
	/* http: any request of the connection, with its status, its User-Agent and its header tests */
	struct flow *f = http_flow("10.7.0.99", "10.1.0.10", "GET", "/", 10 * S);
	flow_ext_get(f)->http_status = 200;
	const struct http_header_tests *ht = &k_site->detections->header_tests;
	cr_assert_eq(ht->n, 1);
	cr_assert_str_eq(ht->v[0].name, "ClientToken");
	struct http_request req = { .method = "GET", .method_len = 3, .target = "/ccm_system_windowsauth/", .target_len = 24 };
	flow_http_request(f, 1, &req, 0, 11 * S);
	flow_http_status(f, 401);
	req.target = "/ccm_system_altauth/";
	req.target_len = 20;
	flow_http_request(f, 2, &req, 0, 12 * S);
	matches(k_site, f, got);
	cr_assert_str_eq(got, "mp-auth-probe:1 mp-auth-probe:2", "the second and third requests");
	/* url ending in $: the whole URL only */
	f = http_flow("10.7.0.99", "10.1.0.10", "GET", "/ccm_system_windowsauth/request", 10 * S);
	flow_ext_get(f)->http_status = 401;
	matches(k_site, f, got);
	cr_assert_str_eq(got, "");
	/* header=: a policy body without ClientToken is not the step */
	f = http_flow("10.7.0.99", "10.1.0.10", "GET", "/SMS_MP/.sms_pol?{x}.1_00", 10 * S);
	matches(k_site, f, got);
	cr_assert_str_eq(got, "");
	f = http_flow("10.7.0.99", "10.1.0.10", "GET", "/SMS_MP/.sms_pol?{x}.1_00", 10 * S);
	req.target = "/SMS_MP/.sms_pol?{x}.1_00";
	req.target_len = strlen(req.target);
	flow_http_request(f, 0, &req, 1u, 10 * S);
	matches(k_site, f, got);
	cr_assert_str_eq(got, "fake-client-policy:3 client-registration:3");
	/* auth: a login, not an anonymous one */
	matches(k_site, ntlm_flow("10.1.0.5", "10.7.0.99", 445, AUTH_OVER_SMB, 1, "cmpush", 10 * S), got);
	cr_assert_str_eq(got, "site-server-auth-to-outsider:1 ntlm-between-site-systems:1");
	matches(k_site, ntlm_flow("10.1.0.5", "10.7.0.99", 445, AUTH_OVER_SMB, 1, "", 10 * S), got);
	cr_assert_str_eq(got, "");
	/* dhcp: option 243 type 2 is the blank-password media, type 1 only the sequence's answer */
	for (int type = 1; type <= 2; type++) {
		f = mk("10.7.0.99", "10.1.0.15", 4011, 10 * S, 10 * S);
		f->key.ip_proto = IP_PROTO_UDP;
		struct flow_more *m = flow_ext_more(f);
		m->boot = calloc(1, sizeof *m->boot);
		m->boot->dhcp.messages = 2;
		m->boot->dhcp.has_243 = true;
		m->boot->dhcp.opt243_type = (uint8_t)type;
		m->boot->dhcp.opt243_len = 134;
		matches(k_site, f, got);
		cr_assert_str_eq(got, type == 2 ? "pxe-media-no-password:1 pxe-media-variables-read:1" : "pxe-media-variables-read:1");
	}
	/* tftp: the name's suffix, case-insensitive */
	f = mk("10.7.0.99", "10.1.0.15", 69, 10 * S, 10 * S);
	struct flow_more *m = flow_ext_more(f);
	m->boot = calloc(1, sizeof *m->boot);
	flow_ext_set_str(&m->boot->tftp.files[0], "\\SMSTemp\\x.BOOT.VAR", 19);
	m->boot->tftp.n = 1;
	matches(k_site, f, got);
	cr_assert_str_eq(got, "pxe-media-variables-read:2");
	/* smb-signing: not required, and only once negotiated */
	f = mk("10.2.0.21", "10.1.0.11", 445, 10 * S, 11 * S);
	rec(f)->negotiated = true;
	matches(k_site, f, got);
	cr_assert_str_eq(got, "smb-signing-not-required:1");
	f = mk("10.2.0.21", "10.1.0.11", 445, 10 * S, 11 * S);
	rec(f)->negotiated = true;
	rec(f)->signing_required = true;
	matches(k_site, f, got);
	cr_assert_str_eq(got, "");
}

Test(detect, hosts_needs_that_many_responders)
{
	struct detect_table *t = detect_table_new(64, 60);
	char ids[64];
	/* the same host listed three times is not a sweep; three hosts are */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(end(t, k_none, call_flow("10.7.0.99", "10.1.0.11", "SRVSVC", 15, true, (10 + (uint64_t)i) * S),
				 NULL, 0), 0);
	cr_assert_eq(end(t, k_none, call_flow("10.7.0.99", "10.1.0.12", "SRVSVC", 15, true, 14 * S), NULL, 0), 0);
	cr_assert_eq(end(t, k_none, call_flow("10.7.0.99", "10.1.0.5", "SRVSVC", 15, true, 15 * S), ids, sizeof ids), 1);
	cr_assert_str_eq(ids, "share-listing-sweep");
	detect_table_free(t);
}
