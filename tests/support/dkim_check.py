"""DKIM keys and an independent verifier for the tests (Debian's python3-dkim, i.e. dkimpy, with
python3-nacl for Ed25519, and python3-cryptography).

    dkim_check.py keygen rsa BITS pkcs1|pkcs8 OUT   write a fresh RSA private key (PEM)
    dkim_check.py keygen ed25519 OUT                write a fresh Ed25519 private key (PKCS#8 PEM)
    dkim_check.py verify KEY DOMAIN SELECTOR FILE... verify each stored mail's DKIM signature

`verify` builds the TXT record `<SELECTOR>._domainkey.<DOMAIN>` from the private key's public half
(no DNS is asked: dkimpy's dnsfunc answers only that name) and prints one line per file,
`ok FILE` or `FAIL FILE: why`; it exits 1 when any fails. Keys are made per test run and never
kept.
"""

import base64
import logging
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


def keygen(args):
    kind = args[0]
    if kind == "rsa":
        bits, form, out = int(args[1]), args[2], args[3]
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        fmt = {
            "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
            "pkcs8": serialization.PrivateFormat.PKCS8,
        }[form]
    elif kind == "ed25519":
        out = args[1]
        key = ed25519.Ed25519PrivateKey.generate()
        fmt = serialization.PrivateFormat.PKCS8
    else:
        raise SystemExit("unknown key kind " + kind)
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    with open(out, "wb") as f:
        f.write(pem)


def txt_record(key_path):
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    public = key.public_key()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return b"v=DKIM1; k=ed25519; p=" + base64.b64encode(raw)
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def verify(args):
    import dkim

    key_path, domain, selector, files = args[0], args[1], args[2], args[3:]
    record = txt_record(key_path)
    wanted = ("%s._domainkey.%s." % (selector, domain)).encode()

    def dnsfunc(name, timeout=5):
        name = name if isinstance(name, bytes) else name.encode()
        return record if name.lower() == wanted.lower() else None

    log = logging.getLogger("dkim")
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR)
    failed = 0
    for path in files:
        with open(path, "rb") as f:
            message = f.read()
        try:
            good = dkim.verify(message, logger=log, dnsfunc=dnsfunc)
            why = "signature does not verify"
        except Exception as e:  # noqa: BLE001 - report every failure the same way
            good, why = False, repr(e)
        if good:
            print("ok " + path)
        else:
            failed += 1
            print("FAIL %s: %s" % (path, why))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    {"keygen": keygen, "verify": verify}[command](rest)
