/* The client process itself: its exit status against what the scenario
 * expects (success, refusal, or refusal by waiting until stopped). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "harness/checks_int.h"

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGABRT:
        return "SIGABRT";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGINT:
        return "SIGINT";
    case SIGKILL:
        return "SIGKILL";
    case SIGPIPE:
        return "SIGPIPE";
    case SIGSEGV:
        return "SIGSEGV";
    case SIGTERM:
        return "SIGTERM";
    default:
        return "signal";
    }
}

void hc_check_client_exit_status(const struct hc_input *in,
                                 struct hc_result *out)
{
    bool refuse = hc_expects_refusal(in);
    const char *e = ac_json_str(hc_scenario_client(in), "expect");
    bool may_wait = e != NULL && strcmp(e, "refuse-or-wait") == 0;

    if (in->nruns == 0 || in->runs == NULL) {
        hc_verdict(out, HC_FAILURE, "no client run was recorded");
        return;
    }
    for (size_t i = 0; i < in->nruns; i++) {
        const struct hc_run *r = &in->runs[i];
        if (r->timed_out && may_wait) {
            continue; /* still waiting for a valid callback: no harm */
        }
        if (r->timed_out) {
            hc_verdict(out, HC_FAILURE,
                       "run %zu of %zu timed out and was killed by the harness",
                       i + 1, in->nruns);
            return;
        }
        if (r->signal != 0) {
            hc_verdict(out, HC_FAILURE,
                       "run %zu of %zu was terminated by %s (%d)", i + 1,
                       in->nruns, signal_name(r->signal), r->signal);
            return;
        }
        if (refuse ? r->exit_code == 0 : r->exit_code != 0) {
            hc_verdict(out, HC_FAILURE,
                       "run %zu of %zu exited %d; the scenario expects %s",
                       i + 1, in->nruns, r->exit_code,
                       refuse ? "a non-zero exit (refusal)"
                              : "exit 0 (success)");
            return;
        }
    }
    hc_verdict(out, HC_SUCCESS, "all %zu run(s) %s as expected", in->nruns,
               may_wait ? "exited non-zero or were stopped while waiting"
               : refuse ? "exited non-zero"
                        : "exited 0");
}
