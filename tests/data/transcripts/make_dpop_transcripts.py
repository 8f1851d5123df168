# Generates tests/data/transcripts/dpop-*.json: canned DPoP transcripts
# with real ES256 proofs (the checks read them unverified).
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives import hashes

OUT = sys.argv[1]
AS = "http://127.0.0.1:41000"
MCP = "http://127.0.0.1:41002/mcp"
key = ec.derive_private_key(0x1234567890ABCDEF1234567890ABCDEF, ec.SECP256R1())
pub = key.public_key().public_numbers()
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
JWK = {"kty": "EC", "crv": "P-256", "x": b64u(pub.x.to_bytes(32, "big")),
       "y": b64u(pub.y.to_bytes(32, "big")), "alg": "ES256"}

key2 = ec.derive_private_key(0xFEDCBA0987654321FEDCBA0987654321, ec.SECP256R1())
pub2 = key2.public_key().public_numbers()
JWK2 = {"kty": "EC", "crv": "P-256", "x": b64u(pub2.x.to_bytes(32, "big")),
        "y": b64u(pub2.y.to_bytes(32, "big")), "alg": "ES256"}


def proof(htm, htu, jti, token=None, body=None, nonce=None, ath=None,
          digest=True, other_key=False):
    h = {"typ": "dpop+jwt", "alg": "ES256", "jwk": JWK2 if other_key else JWK}
    c = {"jti": jti, "htm": htm, "htu": htu, "iat": 1796360000}
    if token is not None:
        c["ath"] = ath or b64u(hashlib.sha256(token.encode()).digest())
    if nonce is not None:
        c["nonce"] = nonce
    if body is not None and digest:
        c["content_digest"] = "sha-256=:%s:" % base64.b64encode(
            hashlib.sha256(body.encode()).digest()).decode()
    si = b64u(json.dumps(h, separators=(",", ":")).encode()) + "." + \
        b64u(json.dumps(c, separators=(",", ":")).encode())
    der = (key2 if other_key else key).sign(si.encode(),
                                            ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return si + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

SCEN = {
    "id": "auth/dpop", "title": "DPoP", "spec": ["2025-11-25"],
    "authorization_servers": [{"id": "as", "issuer_path": "",
        "discovery": ["oauth"], "registration": ["dcr"],
        "scopes_supported": ["mcp:tools"], "dpop": {"algs": ["ES256"]}}],
    "mcp_server": {"path": "/mcp", "wire": "2025-11-25", "prm": "path",
        "tools": [{"name": "echo", "scope": "mcp:tools"}],
        "dpop": {"required": True}},
    "rules": [],
    "client": {"runs": 1, "timeout_ms": 15000, "expect": "success",
               "tool": "echo", "arguments": {"text": "hello"}}}
AT, RT = "at-dpop-5kLmN0pQrStUvWxYz1", "rt-dpop-Hj8kL2mN4pQ6rS8tU0"
FORM = ("grant_type=authorization_code&code=code-dpop-Qx9vKd0aZ3mPp7&"
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A40019%2Fcallback&client_id=c1&"
        "code_verifier=verifier-dpop-0123456789-abcdefghijklmnopqrstu&"
        "resource=http%3A%2F%2F127.0.0.1%3A41002%2Fmcp")

def token_ex(p, status=200, ttype="DPoP", nonce_err=None, nonce_hdr=None):
    hdrs = [["Content-Type", "application/x-www-form-urlencoded"]]
    if p: hdrs.append(["DPoP", p])
    if nonce_err:
        body = json.dumps({"error": "use_dpop_nonce",
                           "error_description": "nonce"})
        status = 400
    else:
        body = json.dumps({"access_token": AT, "token_type": ttype,
                           "expires_in": 3600, "refresh_token": RT})
    rh = [["Content-Type", "application/json"]]
    if nonce_hdr: rh.append(["DPoP-Nonce", nonce_hdr])
    return {"server": "as", "endpoint": "token", "method": "POST",
            "url": AS + "/token", "path": "/token", "query": None,
            "request": {"headers": hdrs, "body": FORM},
            "response": {"status": status, "headers": rh, "body": body}}

def mcp_ex(body, scheme="DPoP", p=None, status=200, nonce_demand=None,
           nonce_hdr=None):
    hdrs = [["Content-Type", "application/json"],
            ["Accept", "application/json, text/event-stream"],
            ["Authorization", "%s %s" % (scheme, AT)]]
    if p: hdrs.append(["DPoP", p])
    rh = [["Content-Type", "application/json"]]
    rb = '{"jsonrpc":"2.0","id":1,"result":{}}'
    if nonce_demand:
        status = 401
        rh.append(["WWW-Authenticate",
                   'DPoP error="use_dpop_nonce", algs="ES256"'])
        rb = '{"error":"use_dpop_nonce"}'
    if nonce_hdr: rh.append(["DPoP-Nonce", nonce_hdr])
    return {"server": "mcp", "endpoint": "mcp", "method": "POST",
            "url": MCP, "path": "/mcp", "query": None,
            "request": {"headers": hdrs, "body": body},
            "response": {"status": status, "headers": rh, "body": rb}}

INIT = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'
CALL = ('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":'
        '{"name":"echo","arguments":{"text":"hello"}}}')
TOK = AS + "/token"

def case(name, desc, exs):
    for i, e in enumerate(exs):
        e["seq"] = i
        e["t_ns"] = 1000 + i
    doc = {"description": desc, "scenario": SCEN,
           "runs": [{"exit_code": 0, "signal": 0, "timed_out": False}],
           "secrets": [AT, RT, "code-dpop-Qx9vKd0aZ3mPp7",
                       "verifier-dpop-0123456789-abcdefghijklmnopqrstu"],
           "transcript": exs}
    with open("%s/%s.json" % (OUT, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

case("dpop-good", "DPoP done right: proof on the token request, DPoP "
     "scheme with a fresh proof (ath, content_digest) per MCP request.",
     [token_ex(proof("POST", TOK, "j-tok-1")),
      mcp_ex(INIT, p=proof("POST", MCP, "j-mcp-1", AT, INIT)),
      mcp_ex(CALL, p=proof("POST", MCP, "j-mcp-2", AT, CALL))])
case("dpop-nonce-good", "Both servers demand a nonce; the client retries "
     "with it and follows the rotated one.",
     [token_ex(proof("POST", TOK, "j-tok-1"), nonce_err=True,
               nonce_hdr="n-as-1"),
      token_ex(proof("POST", TOK, "j-tok-2", nonce="n-as-1"),
               nonce_hdr="n-as-1"),
      mcp_ex(INIT, p=proof("POST", MCP, "j-mcp-1", AT, INIT),
             nonce_demand=True, nonce_hdr="n-rs-1"),
      mcp_ex(INIT, p=proof("POST", MCP, "j-mcp-2", AT, INIT, "n-rs-1"),
             nonce_hdr="n-rs-2"),
      mcp_ex(CALL, p=proof("POST", MCP, "j-mcp-3", AT, CALL, "n-rs-2"))])
case("dpop-no-token-proof", "The token request carries no DPoP proof, so "
     "the token is a Bearer token.",
     [token_ex(None, ttype="Bearer"), mcp_ex(CALL, scheme="Bearer")])
case("dpop-bearer", "A DPoP-bound token presented as Bearer without proof.",
     [token_ex(proof("POST", TOK, "j-tok-1")),
      mcp_ex(CALL, scheme="Bearer")])
case("dpop-reused-jti", "Two MCP requests reuse one proof jti.",
     [token_ex(proof("POST", TOK, "j-tok-1")),
      mcp_ex(INIT, p=proof("POST", MCP, "j-same", AT, INIT)),
      mcp_ex(CALL, p=proof("POST", MCP, "j-same", AT, CALL))])
case("dpop-bad-binding", "The MCP proof has a wrong ath and no "
     "content_digest.",
     [token_ex(proof("POST", TOK, "j-tok-1")),
      mcp_ex(CALL, p=proof("POST", MCP, "j-mcp-1", AT, CALL,
                           ath=b64u(b"0" * 32), digest=False))])
case("dpop-nonce-ignored", "The client retries the token request without "
     "the nonce, and never retries the MCP request.",
     [token_ex(proof("POST", TOK, "j-tok-1"), nonce_err=True,
               nonce_hdr="n-as-1"),
      token_ex(proof("POST", TOK, "j-tok-2"), nonce_hdr="n-as-1"),
      mcp_ex(CALL, p=proof("POST", MCP, "j-mcp-1", AT, CALL),
             nonce_demand=True, nonce_hdr="n-rs-1")])
case("dpop-key-changed", "After a restart the client proves the stored "
     "DPoP-bound token with a new key.",
     [token_ex(proof("POST", TOK, "j-tok-1")),
      mcp_ex(INIT, p=proof("POST", MCP, "j-mcp-1", AT, INIT)),
      mcp_ex(CALL, p=proof("POST", MCP, "j-mcp-2", AT, CALL,
                           other_key=True))])
