/* x509.h: the issuer and subject of an X.509 certificate (RFC 5280 section 4.1), read by cmflow's own small DER
 * reader (ITU-T X.690 sections 8 and 10), as the text Suricata writes in tls.subject and tls.issuerdn.
 *
 * Only the start of tbsCertificate is read: version, serialNumber, signature, issuer, validity, subject. A Name
 * is written RDN by RDN in the order of the DER, "TYPE=value" joined by ", ", the attributes of a multi-valued
 * RDN joined by " + " (Suricata's x509-parser form: "C=US, O=Contoso, OU=Servers + OU=ConfigMgr, CN=dp01"). Types
 * are Suricata's abbreviations (CN, C, L, ST, O, OU, DC, Email) or OID-registry short names (serialNumber,
 * givenName ...), else the dotted OID. Character strings are kept as UTF-8 (BMPString and UniversalString are
 * converted to it, as tshark shows them); bytes that are not valid UTF-8 and control characters become '?';
 * a value of another type is written as upper-case hex of its content. */
#ifndef CMFLOW_X509_H
#define CMFLOW_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for one name with its NUL; a longer name is cut at a character boundary and flagged. */
#define X509_NAME_MAX 256

struct x509_names {
	char subject[X509_NAME_MAX];
	char issuer[X509_NAME_MAX];
	bool cut;                  /* a name was longer than X509_NAME_MAX - 1 bytes */
};

/* Reads the names of the DER certificate in der[0 .. len). The certificate may be cut after its subject (the
 * outer SEQUENCE lengths may run past len). Returns true when both names were read (a Name with no RDN gives "");
 * false when the bytes are not a certificate as far as its subject, with both names "". Reads nothing outside
 * der[0 .. len). */
bool x509_read_names(const uint8_t *der, size_t len, struct x509_names *out);

/* Writes the Name whose DER contents (inside its SEQUENCE) are name[0 .. len) into out (outlen > 0 bytes, always
 * NUL-terminated). Returns false when the Name is malformed (out then holds ""); *cut tells a name that did not
 * fit. */
bool x509_name_format(const uint8_t *name, size_t len, char *out, size_t outlen, bool *cut);

#endif
