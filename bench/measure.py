#!/usr/bin/env python3
"""measure.py RUNS LABEL CMD...: runs CMD RUNS times and prints one tab-separated line: label, median wall
seconds, median CPU seconds (user + system), peak RSS in MiB (the largest of the runs)."""
import os
import resource
import statistics
import subprocess
import sys
import time


def main():
    runs, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    walls, cpus, rss = [], [], 0
    for _ in range(runs):
        pid_start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.execvp(cmd[0], cmd)
        _, status, ru = os.wait4(pid, 0)
        walls.append(time.monotonic() - pid_start)
        cpus.append(ru.ru_utime + ru.ru_stime)
        rss = max(rss, ru.ru_maxrss // 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"measure: {label}: exit {os.waitstatus_to_exitcode(status)}")
    print(f"{label}\t{statistics.median(walls):.2f}\t{statistics.median(cpus):.2f}\t{rss}")


if __name__ == "__main__":
    main()
