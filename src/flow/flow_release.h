/* flow_release.h: everything a flow holds beside its record, freed in one call when the flow ends. */
#ifndef CMFLOW_FLOW_RELEASE_H
#define CMFLOW_FLOW_RELEASE_H

#include "flow/flow.h"

/* Frees the records the flow's modules keep (the SMB/RPC lists, the logins, the later HTTP requests, DHCP/PXE and
 * TFTP), then the side record and the tunnel record (flow_ext_free). f->ext and f->tunnel become NULL; the flow
 * record itself is the flow table's. */
void flow_release(struct flow *f);

#endif
