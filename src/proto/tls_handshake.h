/* tls_handshake.h: a TLS connection's handshake read as two TCP streams, for the posture of its client
 * authentication (RFC 5246 sections 6.2 and 7.3-7.4; RFC 8446 section 4.1.3 and 4.2.1 for TLS 1.3's ServerHello;
 * RFC 5077 section 3.4 for resumption by ticket; RFC 5746 for renegotiation).
 *
 * Each direction is followed in sequence order: retransmitted bytes are dropped, a segment that arrives ahead of
 * a hole is held (at most TLS_HS_HOLD_SEGMENTS, within the direction's budget) until the hole fills. Records are
 * cut by their headers; the plaintext handshake messages are cut out of them (a record may carry several, a
 * message may span several records), and only the bodies that are read are kept: the ClientHello's session id,
 * the ServerHello, and the first certificate of a Certificate message. What is kept while a message is
 * incomplete, plus the held segments, is bounded by TLS_HS_DIR_MAX bytes per direction; a message beyond it is
 * read from what was kept and the bound is counted (tls_hs_info.bound_hits).
 *
 * What is read: ClientHello (session id), ServerHello (version, supported_versions, session id and whether it
 * echoes the client's: a resumption), the server's Certificate (subject and issuer of its first certificate,
 * proto/x509.h), CertificateRequest, ServerHelloDone, the client's Certificate (its certificate_list length and
 * first certificate's names), ClientKeyExchange and CertificateVerify, ChangeCipherSpec, the first encrypted
 * handshake record (Finished) and application data in each direction, the first plaintext alert, and a handshake
 * record after a direction's Finished (a renegotiation). No signature is checked and nothing encrypted is read.
 *
 * The posture, once the handshake is seen:
 *   mutual             a non-empty client Certificate and a CertificateVerify, and the handshake went on (the
 *                      server's ChangeCipherSpec, then application data in either direction)
 *   server-only        a full handshake without CertificateRequest that went on to application data
 *   requested-refused  a CertificateRequest answered by an empty client Certificate (or by none), whatever
 *                      followed (a server that requires one ends the handshake with an alert)
 *   unprovable         TLS 1.3 (encrypted after the ServerHello), a resumed session (the session id echoed, or
 *                      an abbreviated handshake), a renegotiation, the handshake not seen (midstream, not TLS, a
 *                      hole that could not be bridged), or not finished when the flow ended
 * mutual, server-only and requested-refused stay open to a renegotiation for TLS_HS_WATCH_RECORDS records after
 * they are reached; then, or when unprovable is reached, the posture is final (tls_hs_settled) and the reader
 * has freed its buffers: only struct tls_hs itself remains, to be read and freed by the caller.
 *
 * Memory: struct tls_hs is about 1.5 KiB (four names of X509_NAME_MAX bytes are most of it); while a message is
 * read, its kept body (a ClientHello's first 67 bytes, a ServerHello, one certificate) and held segments add at
 * most TLS_HS_DIR_MAX per direction; between messages and once a posture is reached nothing is added. */
#ifndef CMFLOW_TLS_HANDSHAKE_H
#define CMFLOW_TLS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/x509.h"

#define TLS_HS_DIR_MAX 65536u      /* bytes kept per direction: incomplete message + held segments */
#define TLS_HS_HOLD_SEGMENTS 8     /* segments held ahead of a hole, per direction */
#define TLS_HS_WATCH_RECORDS 32    /* records watched for a renegotiation once the posture is reached */

enum tls_posture {
	TLS_POSTURE_PENDING = 0,   /* not decided yet */
	TLS_POSTURE_MUTUAL,
	TLS_POSTURE_SERVER_ONLY,
	TLS_POSTURE_REQUESTED_REFUSED,
	TLS_POSTURE_UNPROVABLE,
};

/* Why a posture is unprovable. */
enum tls_unprovable {
	TLS_UNPROVABLE_NONE = 0,
	TLS_UNPROVABLE_TLS13,        /* the ServerHello chose TLS 1.3 */
	TLS_UNPROVABLE_RESUMED,      /* session id echoed, or the server's ChangeCipherSpec without its certificate */
	TLS_UNPROVABLE_RENEGOTIATED, /* a handshake record after a direction's Finished */
	TLS_UNPROVABLE_NOT_SEEN,     /* no ServerHello, not TLS records, or a hole in what decides */
	TLS_UNPROVABLE_INCOMPLETE,   /* the flow ended before the handshake went on to application data */
	TLS_UNPROVABLE_NO_VERIFY,    /* a client certificate without CertificateVerify */
};

/* What the handshake showed. Strings are NUL-terminated, untrusted (escape on output), "" when not seen. */
struct tls_hs_info {
	uint8_t posture;             /* enum tls_posture */
	uint8_t why;                 /* enum tls_unprovable, when posture is TLS_POSTURE_UNPROVABLE */
	uint16_t version;            /* the version the ServerHello chose (supported_versions for TLS 1.3); 0 unseen */
	bool client_hello, server_hello;
	bool server_certificate;     /* a Certificate message from the server */
	bool certificate_request;
	bool client_certificate;     /* a Certificate message from the client, empty or not */
	bool certificate_verify;
	bool resumed, renegotiated;
	bool ccs[2];                 /* ChangeCipherSpec seen, [0] from the client, [1] from the server */
	bool app_data[2];            /* an application data record seen */
	uint8_t alert[2][2];         /* the first plaintext alert of each direction: level, description; 0, 0 none */
	uint32_t client_cert_len;    /* the client Certificate's certificate_list length (tshark's
				      * tls.handshake.certificates_length) */
	uint32_t bound_hits;         /* times TLS_HS_DIR_MAX was reached (bytes not kept, a hole not bridged) */
	struct x509_names server;    /* the server's first certificate */
	struct x509_names client;    /* the client's first certificate */
};

struct tls_hs;

/* A reader for one connection, nothing seen; NULL when memory is short. */
struct tls_hs *tls_hs_new(void);

/* Frees what the reader holds and makes it a new reader, nothing seen (for a caller that keeps spare readers:
 * the same as tls_hs_free then tls_hs_new, without the allocation). */
void tls_hs_reset(struct tls_hs *s);

/* Frees the reader and everything it holds (a void * for flow_ext_set_parser). NULL is allowed. */
void tls_hs_free(void *s);

/* Where direction dir's stream starts (the SYN's sequence number + 1), when the caller knows it: a first segment
 * that arrives out of order is then held instead of being taken as the start, and bytes before seq are ignored
 * (what a protocol said before STARTTLS). Without it the first segment fed starts the stream; once a direction
 * has started, a call does nothing. */
void tls_hs_stream_start(struct tls_hs *s, int dir, uint32_t seq);

/* Feeds one TCP segment's payload of direction dir (0 from the client, the connection's initiator; 1 from the
 * server); seq is the TCP sequence number of data[0]. Any order, retransmissions and overlaps included; len 0
 * does nothing. Returns false once the posture is final (tls_hs_settled): the caller may stop feeding. */
bool tls_hs_segment(struct tls_hs *s, int dir, uint32_t seq, const uint8_t *data, size_t len);

/* The connection ended: a posture still open becomes final (pending becomes unprovable: incomplete or not
 * seen). Buffers are freed; the information stays readable. */
void tls_hs_end(struct tls_hs *s);

/* True when the posture can no longer change. */
bool tls_hs_settled(const struct tls_hs *s);

/* What has been read so far (posture TLS_POSTURE_PENDING until decided). Valid until tls_hs_free. */
const struct tls_hs_info *tls_hs_info(const struct tls_hs *s);

/* "mutual", "server-only", "requested-refused", "unprovable", "pending". */
const char *tls_posture_name(enum tls_posture p);

/* "tls1.3", "resumed", "renegotiated", "not-seen", "incomplete", "no-verify"; "" for TLS_UNPROVABLE_NONE. */
const char *tls_unprovable_name(enum tls_unprovable why);

/* Bytes a reader holds now: struct tls_hs and its buffers (for the memory tests and stats). */
size_t tls_hs_memory(const struct tls_hs *s);

/* Whole-reader entry for fuzzing: data is cut into segments of both directions by its own bytes, some delivered
 * out of order or twice; then the names reader on data itself. */
void tls_hs_fuzz_one(const uint8_t *data, size_t len);

#endif
