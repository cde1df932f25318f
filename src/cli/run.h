/* run.h: one run of the sensor: the inputs (files in order, standard input spooled, or live interfaces with
 * their workers), the engines, the outputs (opened, or reserved, before the first packet), signals (SIGHUP
 * reopens the outputs and reloads the signatures, SIGUSR1 writes stats, SIGINT/SIGTERM end the run cleanly),
 * the first pass that learns roles, and the end of the run: every open flow, drift, stats, evidence, the report,
 * the summary, and the exit status. Every path out of a run goes through one cleanup. */
#ifndef CMFLOW_RUN_H
#define CMFLOW_RUN_H

#include "cli/options.h"

/* The run the options describe (-r or -i). Returns the exit status: 0 done, 1 --fail-on hit, 2 bad input (an
 * input that cannot be read, an output that lost anything when reading files). */
int run_sensor(struct options *o);

#endif
