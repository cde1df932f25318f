#!/usr/bin/env python3
"""make-auth-ref.py PCAP_DIR OUT_DIR: tshark's reading of the NTLMSSP / SPNEGO tokens and of the DHCP messages
in the captures that tests/unit/test_ntlmssp.c and test_dhcp.c check cmflow's parsers against.

Writes OUT_DIR/ntlmssp.tsv and OUT_DIR/dhcp.tsv, one line per frame (tshark -T json, first occurrence of each
field). Secrets are never written: of the NT/LM responses only their lengths, of option 243 only its first byte
and its length. Run again when a capture changes and review the diff:
    python3 tests/unit/make-auth-ref.py pcaps tests/unit/ref
"""
import json
import os
import subprocess
import sys

NTLM_CAPTURES = [
    "cm-attack-relay.pcap", "cm-ntlm-normal.pcap", "cm-smb-signing.pcap", "cm-attack-cred2.pcap",
    "cm-client-reg.pcap", "cm-attack-recon.pcap", "cm-demo.pcap",
    "public/arkime__smb-smb1-ascii.pcap", "public/arkime__smbtorture-ntlmssp.pcap",
    "public/arkime__wireshark-smb-on-windows10.pcap", "public/suricata-verify__dcerpc-auth3-5133__input.pcap",
    "public/suricata-verify__dcerpc-bind-no-frag-flag__input.pcap",
    "public/suricata-verify__dcerpc-ctxids__input.pcap", "public/suricata-verify__krb5-frag.pcap",
    "public/suricata-verify__smb-dce_iface__input.pcap", "public/suricata-verify__smb1_osx.pcap",
    "public/suricata-verify__smb2-delete__input.pcap",
    "public/suricata-verify__smb2-ntlmssp-negotiateflags__input.pcap", "public/zeek__dce_rpc_ntlm.pcapng",
    "public/zeek__aduser1.pcap", "public/zeek__ctu-sme-11-win7ad-1-ldap-tcp-50041.pcap",
    "public/zeek__sasl-ntlm.pcap", "public/zeek__raw_ntlm_in_smb.pcap", "public/zeek__smb3.pcap",
    "public/zeek__smb311.pcap", "public/scapy__dcerpc_privacy_ntlm.pcapng",
    # Kerberos inside SPNEGO: named, not parsed
    "public/zeek__kerberos445_auth.pcapng", "public/zeek__smb2_krb.pcap", "public/zeek__smb_gssapi.pcap",
    "public/zeek__krb5-sign-seal-01.pcap", "public/suricata-verify__20171220_smb_net_user.pcap",
]
DHCP_CAPTURES = [
    "cm-attack-pxe.pcap", "cm-pxe-protected.pcap",
    "public/arkime__wireshark-dhcp.pcap", "public/ndpi__dhcp-fuzz.pcapng", "public/pcapplusplus__Dhcp1.pcap",
    "public/suricata-verify__dhcp-eve-extended-option-60__input.pcap",
    "public/suricata-verify__dhcp-eve-extended__input.pcap",
    "public/suricata-verify__dhcp-option-52-overload__input.pcap", "public/tcpdump__dhcp-rfc3004.pcap",
    "public/tcpdump__dhcp-rfc4388.pcap", "public/zeek__dhcp.pcap",
    "public/zeek__dhcp_discover_param_req_and_client_id.pcap", "public/zeek__dhcp_inform.pcap",
    "public/pcapplusplus__sll.pcap", "public/suricata-verify__smb2-ntlmssp-negotiateflags__input.pcap",
]


def frames(path, display_filter):
    out = subprocess.run(["tshark", "-r", path, "-Y", display_filter, "-T", "json", "--no-duplicate-keys"], check=True,
                         capture_output=True).stdout
    return [f["_source"]["layers"] for f in json.loads(out or b"[]")]


def find(tree, key):
    """The first value of key anywhere under tree (depth first, in order), or None."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key:
                return v[0] if isinstance(v, list) else v
        for k, v in tree.items():
            r = find(v, key)
            if r is not None:
                return r
    elif isinstance(tree, list):
        for v in tree:
            r = find(v, key)
            if r is not None:
                return r
    return None


def find_all(tree, key, acc):
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key:
                acc.extend(v if isinstance(v, list) else [v])
            else:
                find_all(v, key, acc)
    elif isinstance(tree, list):
        for v in tree:
            find_all(v, key, acc)
    return acc


def text(v):
    """A tshark string as the reference keeps it: tshark's "NULL" for an empty name is ""."""
    if v is None or v == "NULL":
        return ""
    return str(v).replace("\t", " ")


def blob_len(ntlm, key):
    """A response's length from its descriptor (tshark shows an empty one as the descriptor's own bytes)."""
    tree = find(ntlm, key + "_tree")
    return int(tree.get("ntlmssp.blob.length", "0")) if isinstance(tree, dict) else 0


def ntlm_row(capture, layers):
    frame = find(layers, "frame.number")
    spnego = find(layers, "spnego")
    ntlm = find(layers, "ntlmssp")
    kind = "-"
    if spnego is not None:
        kind = "init" if find(spnego, "spnego.negTokenInit_element") is not None else \
            "resp" if find(spnego, "spnego.negTokenTarg_element") is not None else "-"
    mechs = ",".join(find_all(spnego, "spnego.MechType", [])) if spnego is not None else ""
    row = [capture, frame, kind, text(find(spnego, "spnego.negResult") if spnego else None),
           mechs, text(find(spnego, "spnego.supportedMech") if spnego else None),
           text(find(spnego, "kerberos.msg_type") if spnego else None)]
    if ntlm is None:
        return row + [""] * 16
    mtype = int(find(ntlm, "ntlmssp.messagetype"), 16)
    flags = find(ntlm, "ntlmssp.negotiateflags")
    chal = find(ntlm, "ntlmssp.ntlmserverchallenge")
    ver = ""
    if find(ntlm, "ntlmssp.version.major") is not None:
        ver = "%s.%s.%s" % (find(ntlm, "ntlmssp.version.major"), find(ntlm, "ntlmssp.version.minor"),
                            find(ntlm, "ntlmssp.version.build_number"))
    v2flags = find(ntlm, "ntlmssp.ntlmv2_response.flags")
    mic = "1" if v2flags is not None and int(v2flags, 16) & 2 else "0"
    if mtype == 1:
        domain, host = find(ntlm, "ntlmssp.negotiate.domain"), find(ntlm, "ntlmssp.negotiate.callingworkstation")
    else:
        domain, host = find(ntlm, "ntlmssp.auth.domain"), find(ntlm, "ntlmssp.auth.hostname")
    return row + [
        str(mtype), text(flags), (chal or "").replace(":", ""),
        text(find(ntlm, "ntlmssp.challenge.target_name")),
        text(find(ntlm, "ntlmssp.challenge.target_info.nb_computer_name")),
        text(find(ntlm, "ntlmssp.challenge.target_info.dns_computer_name")),
        text(domain), text(find(ntlm, "ntlmssp.auth.username")), text(host),
        text(find(ntlm, "ntlmssp.ntlmv2_response.target_name")),
        str(blob_len(ntlm, "ntlmssp.auth.ntresponse")), str(blob_len(ntlm, "ntlmssp.auth.lmresponse")),
        ver, mic if mtype == 3 else ""]


def dhcp_row(capture, layers):
    d = find(layers, "dhcp")
    opts, o243 = [], ""
    # every option's type and length; option 243's first byte only, read from its value (never kept whole).
    # tshark lists the options' types and their trees side by side (options in an overloaded file or sname
    # field come as further lists of their own)
    def walk(tree):
        types, trees = tree.get("dhcp.option.type"), tree.get("dhcp.option.type_tree")
        if types is None:
            return
        if not isinstance(types, list):
            types, trees = [types], [trees]
        for t, sub in zip(types, trees):
            t = int(t)
            if t in (0, 255) or not isinstance(sub, dict):
                continue
            n = int(sub.get("dhcp.option.length", "0"))
            opts.append("%d:%d" % (t, n))
            if t == 243:
                value = sub.get("dhcp.option.value", "")
                o243.append("%d/%d" % (int(value.split(":")[0], 16) if value else 0, n))
            nested(sub)

    def nested(tree):
        for v in tree.values():
            if isinstance(v, dict):
                walk(v) if "dhcp.option.type" in v else nested(v)

    opts, o243 = [], []
    walk(d)
    o243 = o243[0] if o243 else ""
    arch = ",".join(find_all(d, "dhcp.option.client_system_architecture", []))
    return [capture, find(layers, "frame.number"), text(find(d, "dhcp.type")), text(find(d, "dhcp.hw.mac_addr")),
            text(find(d, "dhcp.option.dhcp")), text(find(d, "dhcp.option.vendor_class_id")), arch,
            text(find(d, "dhcp.client_id.uuid")), text(find(d, "dhcp.option.option_overload")),
            text(find(d, "dhcp.file")), text(find(d, "dhcp.server")), text(find(d, "dhcp.option.bootfile_name")),
            text(find(d, "dhcp.option.tftp_server_name")), text(find(d, "dhcp.option.private_proxy_autodiscovery")),
            o243, " ".join(opts)]


def main():
    pcaps, out = sys.argv[1:3]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "ntlmssp.tsv"), "w") as f:
        f.write("# capture\tframe\tspnego\tnegResult\tmechTypes\tsupportedMech\tkrb_msg\tntlm_type\tflags\t"
                "challenge\ttarget\tnb_computer\tdns_computer\tdomain\tuser\thost\tclient_spn\tnt_len\tlm_len\t"
                "version\tmic\n")
        for c in NTLM_CAPTURES:
            for layers in frames(os.path.join(pcaps, c), "ntlmssp or spnego"):
                f.write("\t".join(ntlm_row(c, layers)) + "\n")
    with open(os.path.join(out, "dhcp.tsv"), "w") as f:
        f.write("# capture\tframe\top\tmac\tmsg_type\tvendor_class\tarch\tuuid\toverload\tfile\tsname\tbootfile\t"
                "tftp_server\topt252\topt243(first/len)\toptions(type:len)\n")
        for c in DHCP_CAPTURES:
            for layers in frames(os.path.join(pcaps, c), "dhcp"):
                f.write("\t".join(dhcp_row(c, layers)) + "\n")


if __name__ == "__main__":
    main()
