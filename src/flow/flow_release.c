/* flow_release.c: a flow's records freed in one place, above the modules that keep them, so that the side record
 * (flow_ext.c) that they hang on depends on none of them. */
#include <stddef.h>

#include "flow/auth.h"
#include "flow/boot.h"
#include "flow/flow_ext.h"
#include "flow/flow_release.h"
#include "flow/http_requests.h"
#include "flow/smbrpc.h"

void flow_release(struct flow *f)
{
	struct flow_ext *x = f->ext;
	if (x) {
		smbrpc_free(x->smbrpc);
		x->smbrpc = NULL;
		if (x->more) {
			flow_auth_free(x->more->auth);
			flow_http_free(x->more->http);
			flow_boot_free(x->more->boot);
			x->more->auth = NULL;
			x->more->http = NULL;
			x->more->boot = NULL;
		}
	}
	flow_ext_free(f);
}
