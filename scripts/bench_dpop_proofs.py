#!/usr/bin/env python3
"""Write N DPoP proofs (RFC 9449 §4.2, ES256, one key, fresh jti, iat now)
for POST URL, one per line, for the wrk DPoP token benchmark.

usage: bench_dpop_proofs.py URL N OUT    (needs python3-cryptography)"""
import base64, json, sys, time, uuid
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    url, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256",
           "x": b64u(pub.x.to_bytes(32, "big")),
           "y": b64u(pub.y.to_bytes(32, "big"))}
    h = b64u(json.dumps({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk},
                        separators=(",", ":")).encode())
    now = int(time.time())
    with open(out, "w") as f:
        for _ in range(n):
            c = b64u(json.dumps({"jti": uuid.uuid4().hex, "htm": "POST",
                                 "htu": url, "iat": now},
                                separators=(",", ":")).encode())
            r, s = utils.decode_dss_signature(
                key.sign((h + "." + c).encode(), ec.ECDSA(hashes.SHA256())))
            sig = b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
            f.write(h + "." + c + "." + sig + "\n")


main()
