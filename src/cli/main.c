/* main.c: cmflow's entry: the command line (options.h), then one of the four things cmflow does: a run over
 * packets (run.h), the report of EVE files (--report --from-eve), the port matrix (--list-rules), or a site
 * configuration explained (--check-config). See cmflow(1) and doc/ARCHITECTURE.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/detect.h"
#include "audit/knowledge.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "cli/options.h"
#include "cli/run.h"
#include "lib/intern.h"
#include "lib/outfile.h"
#include "output/aggregate.h"
#include "report/eve_reader.h"
#include "report/report.h"

/* "2026-11-27T10:30:00Z", the report's generation time */
static const char *now_text(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* --report FILE.html and/or --findings-csv FILE.csv --from-eve A.json [B.json ...]: every file must be EVE
 * (eve_reader.h says how much else a file may hold); the outputs are written only when all were read. */
static int report_from_eve(const struct options *o)
{
	char err[1024], now[32];
	struct outfile out = { 0 }, csv = { 0 };
	if (o->report_path && !outfile_reserve(&out, o->report_path, err, sizeof err)) {
		fprintf(stderr, "cmflow: --report: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (o->csv_path && !outfile_reserve(&csv, o->csv_path, err, sizeof err)) {
		fprintf(stderr, "cmflow: --findings-csv: %s\n", err);
		outfile_abandon(&out);
		return EXIT_BAD_INPUT;
	}
	struct agg *a = agg_new();
	struct eve_reader *rd = a ? eve_reader_new(a) : NULL;
	int status = rd ? 0 : EXIT_BAD_INPUT;
	for (size_t i = 0; rd && i < o->nfrom_eve; i++) {
		struct eve_read_result res;
		const char *path = o->from_eve[i];
		if (!eve_read_file(rd, path, &res, err, sizeof err)) {
			fprintf(stderr, "cmflow: --from-eve: %s\n", err);
			status = EXIT_BAD_INPUT;
		} else if (!res.eve_lines) {
			fprintf(stderr, "cmflow: --from-eve: %s: no EVE line in %llu lines (an EVE line is a JSON object with "
					"event_type and timestamp)\n", path, (unsigned long long)res.lines);
			status = EXIT_BAD_INPUT;
		} else if (res.bad_lines) {
			bool tolerated = eve_read_acceptable(&res);
			fprintf(stderr, "cmflow: --from-eve: %s: %llu of %llu lines are not EVE (the first: line %llu)%s\n", path,
				(unsigned long long)res.bad_lines, (unsigned long long)res.lines,
				(unsigned long long)res.first_bad_line,
				tolerated ? "; left out" : ": not an EVE file, or a damaged one");
			if (!tolerated)
				status = EXIT_BAD_INPUT;
		}
	}
	if (status == 0 && o->report_path) {
		report_write(a, out.fp, now_text(now, sizeof now));
		if (!outfile_commit(&out, err, sizeof err)) {
			fprintf(stderr, "cmflow: --report: %s\n", err);
			status = EXIT_BAD_INPUT;
		}
	}
	if (status == 0 && o->csv_path) {
		agg_write_csv(a, csv.fp);
		if (!outfile_commit(&csv, err, sizeof err)) {
			fprintf(stderr, "cmflow: --findings-csv: %s\n", err);
			status = EXIT_BAD_INPUT;
		}
	}
	outfile_abandon(&out);
	outfile_abandon(&csv);
	eve_reader_free(rd);
	agg_free(a);
	return status;
}

/* --list-rules: the rules of each configured site's knowledge set, resolved for it (or 2007's for the default
 * ports); with several sites, or a current branch one, a comment line names the site and its set. */
static void list_rules(const struct knowledge *k)
{
	unsigned n = site_count(k->site);
	if (n == 0) {
		rules_list(k->rules, site_ports_of(k->site, NULL), stdout);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct site *s = site_at(k->site, i);
		const struct ruleset *rs = knowledge_rules_for(k, s);
		if (n > 1 || s->version != SITE_V2007)
			printf("# site %s: %s (version=%s, %s)\n", s->code, rs->title, site_version_name(s->version), rs->path);
		rules_list(rs, &s->ports, stdout);
	}
}

/* --list-rules, --list-detections and --check-config: the knowledge, printed. */
static int knowledge_only(const struct options *o)
{
	char err[1024];
	const char *sigdir = o->sigdir ? o->sigdir : knowledge_default_dir();
	struct knowledge *k = knowledge_load(sigdir, o->check_config ? o->check_config : o->site_path, err, sizeof err);
	if (!k) {
		fprintf(stderr, "cmflow: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (o->check_config)
		site_explain(k->site, k->rules, k->rules_cb, stdout);
	else if (o->list_detections)
		detections_list(k->detections, &k->rules->roles, stdout);
	else
		list_rules(k);
	knowledge_release(k);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("cmflow: standard output");
		return EXIT_BAD_INPUT;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	options_parse(argc, argv, &o);
	int status;
	if (o.nfrom_eve)
		status = report_from_eve(&o);
	else if (o.list_rules || o.check_config || o.list_detections)
		status = knowledge_only(&o);
	else
		status = run_sensor(&o);
	options_free(&o);
	intern_free_all(); /* every flow has ended: no side record points into the shared strings any more */
	return status;
}
