/* smb.h: the share an SMB2/3 client connects to (TREE_CONNECT request), from one TCP segment.
 *
 * Client push shows as SMB to ADMIN$ from the site server; the share name is evidence for role inference and
 * is shown in configmgr.smb_share. SMB 1 is not parsed (ConfigMgr 2007 clients on Vista and later speak SMB 2). */
#ifndef CMFLOW_SMB_H
#define CMFLOW_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Finds a TREE_CONNECT request among the SMB2 messages of a segment (NetBIOS session framing, compounded
 * requests followed) and writes its share, the path's last component ("ADMIN$"), as printable ASCII (other
 * characters become '?'). False when the segment holds none. */
bool smb2_tree_connect_share(const uint8_t *p, size_t len, char *share, size_t sharelen);

/* True when a client's segment starts an SMB message: NetBIOS session framing (type 0) around an SMB 1
 * (0xFF 'SMB'), SMB 2/3 (0xFE 'SMB') or SMB 3 transform (0xFD 'SMB') header. */
bool smb_looks_like(const uint8_t *p, size_t len);

#endif
