#!/usr/bin/env python3
"""Generate the canned transcripts for tests/test_checks.c.

Each output file is one self-contained case:
  {"description": ..., "scenario": {...}, "runs": [...],
   "secrets": [...], "transcript": [...]}
`secrets` lists every secret value in the transcript; the test asserts that
no check message quotes any of them.

The base is a correct dcr-happy-path flow (401, PRM, AS metadata, DCR,
authorize + browser hop, token, initialize, tools/list, tools/call); each
variant breaks one behaviour. Values are fixed, so the files are stable.
Re-run after editing: python3 make_transcripts.py  (writes next to itself;
it also runs make_transcripts_more.py, the cases of the check families).
"""
import base64
import copy
import hashlib
import json
import os
import sys
from urllib.parse import urlencode

MCP = "http://127.0.0.1:41000"
AS = "http://127.0.0.1:41001"
CB = "http://127.0.0.1:41002/callback"
RESOURCE = MCP + "/mcp"
PRM_URL = MCP + "/.well-known/oauth-protected-resource/mcp"

CLIENT_ID = "client-7f3a9c"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk0aQ"
STATE = "af0ifjsldkjW9Dx3sQ8bLmPq"  # 24 chars
CODE = "SplxlOBeZQQYbYS6WxSbIA-code"
ACCESS = "at-2YotnFZFEjr1zCsicMWpAA"
REFRESH = "rt-tGzv3JOkF0XG5Qx2TlKWIA"
# Values of the cases made by make_transcripts_more.py.
CODE2 = "Qx9vKd0aZ3mPp7LrTt2WbN-code2"
ACCESS2 = "at-9kLmN0pQrStUvWxYz12345"
ACCESS3 = "at-3pQrStUvWxYz12345AbCdE"
REFRESH2 = "rt-Hj8kL2mN4pQ6rS8tU0vW2x"
REFRESH3 = "rt-Zz1yX2wV3uT4sR5qP6oN7m"
STATE2 = "Bq7nWz2cLk9pRt4sXv8mYd3F"
SECRET = "cs-5ecret-F00dBabe-1234567"
EXTRA_SECRETS = [CODE2, ACCESS2, ACCESS3, REFRESH2, REFRESH3, STATE2, SECRET]


def s256(v):
    d = hashlib.sha256(v.encode()).digest()
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()


SCENARIO = {
    "id": "core/dcr-happy-path",
    "title": "Full authorization flow",
    "spec": ["2025-06-18", "2025-11-25", "2026-07-28"],
    "authorization_servers": [
        {"id": "as", "issuer_path": "", "discovery": ["oauth"],
         "registration": ["dcr"], "scopes_supported": ["mcp:tools"]}
    ],
    "mcp_server": {"path": "/mcp", "wire": "2025-11-25", "prm": "path",
                   "tools": [{"name": "echo", "scope": "mcp:tools"}]},
    "rules": [],
    "client": {"runs": 1, "timeout_ms": 15000, "expect": "success",
               "tool": "echo", "arguments": {"text": "hello"}},
}

JSON_CT = ["Content-Type", "application/json"]
ACCEPT = ["Accept", "application/json, text/event-stream"]
REG_BODY = {"redirect_uris": [CB], "client_name": "t",
            "application_type": "native",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none"}
FORM_CT = ["Content-Type", "application/x-www-form-urlencoded"]


def ex(server, endpoint, method, url, req_headers=None, req_body=None,
       status=200, resp_headers=None, resp_body=None):
    path_q = url.split("://", 1)[1].split("/", 1)[1]
    path = "/" + path_q.split("?", 1)[0]
    query = path_q.split("?", 1)[1] if "?" in path_q else None
    return {
        "server": server, "endpoint": endpoint, "method": method,
        "url": url, "path": path, "query": query,
        "request": {"headers": req_headers or [], "body": req_body},
        "response": {"status": status, "headers": resp_headers or [],
                     "body": resp_body},
    }


def rpc(id_, method, params=None):
    m = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        m["id"] = id_
    if params is not None:
        m["params"] = params
    return json.dumps(m, separators=(",", ":"))


SESS = [["Mcp-Session-Id", "s-1"], ["MCP-Protocol-Version", "2025-11-25"]]


def bearer(tok=ACCESS):
    return ["Authorization", "Bearer " + tok]


def authz_query(params):
    return AS + "/authorize?" + urlencode(params)


def base_authz_params():
    return {
        "response_type": "code", "client_id": CLIENT_ID,
        "redirect_uri": CB, "scope": "mcp:tools", "state": STATE,
        "code_challenge": s256(VERIFIER), "code_challenge_method": "S256",
        "resource": RESOURCE,
    }


def base_token_params():
    return {
        "grant_type": "authorization_code", "code": CODE,
        "redirect_uri": CB, "client_id": CLIENT_ID,
        "code_verifier": VERIFIER, "resource": RESOURCE,
    }


def flow(authz=None, token=None, location_state=STATE, mcp_auth=None,
         mcp_url=MCP + "/mcp", call_resp=None, call_ct="application/json"):
    """A whole transcript; the keyword arguments are the knobs variants
    turn."""
    authz = base_authz_params() if authz is None else authz
    token = base_token_params() if token is None else token
    mcp_auth = [bearer()] if mcp_auth is None else mcp_auth
    loc = {"code": CODE}
    if location_state is not None:
        loc["state"] = location_state
    loc["iss"] = AS
    if call_resp is None:
        call_resp = json.dumps({"jsonrpc": "2.0", "id": 3, "result": {
            "content": [{"type": "text", "text": "hello"}]}})
    t = [
        ex("mcp", "mcp", "POST", MCP + "/mcp", [JSON_CT, ACCEPT],
           rpc(1, "initialize", {"protocolVersion": "2025-11-25"}), 401,
           [["WWW-Authenticate",
             'Bearer resource_metadata="%s", scope="mcp:tools"' % PRM_URL]],
           None),
        ex("mcp", "prm", "GET", PRM_URL, [], None, 200, [JSON_CT],
           json.dumps({"resource": RESOURCE, "authorization_servers": [AS],
                       "scopes_supported": ["mcp:tools"]})),
        ex("as", "metadata", "GET",
           AS + "/.well-known/oauth-authorization-server", [], None, 200,
           [JSON_CT], json.dumps({
               "issuer": AS, "authorization_endpoint": AS + "/authorize",
               "token_endpoint": AS + "/token",
               "registration_endpoint": AS + "/register",
               "code_challenge_methods_supported": ["S256"],
               "scopes_supported": ["mcp:tools"],
               "grant_types_supported": ["authorization_code",
                                         "refresh_token"],
               "token_endpoint_auth_methods_supported": [
                   "none", "client_secret_basic", "client_secret_post"],
               "authorization_response_iss_parameter_supported": True})),
        ex("as", "register", "POST", AS + "/register", [JSON_CT],
           json.dumps(REG_BODY), 201,
           [JSON_CT], json.dumps({"client_id": CLIENT_ID,
                                  "redirect_uris": [CB],
                                  "token_endpoint_auth_method": "none"})),
        ex("as", "authorize", "GET", authz_query(authz), [], None, 302,
           [["Location", CB + "?" + urlencode(loc)]], None),
        ex("browser", "hop", "GET", CB + "?" + urlencode(loc), [], None, 200,
           [["Content-Type", "text/html"]], "<p>done</p>"),
        ex("as", "token", "POST", AS + "/token", [FORM_CT], urlencode(token),
           200, [JSON_CT, ["Cache-Control", "no-store"]], json.dumps({
               "access_token": ACCESS, "token_type": "Bearer",
               "expires_in": 3600, "refresh_token": REFRESH,
               "scope": "mcp:tools"})),
        ex("mcp", "mcp", "POST", mcp_url, [JSON_CT, ACCEPT] + mcp_auth,
           rpc(1, "initialize", {"protocolVersion": "2025-11-25"}), 200,
           [JSON_CT, ["Mcp-Session-Id", "s-1"]],
           json.dumps({"jsonrpc": "2.0", "id": 1, "result": {
               "protocolVersion": "2025-11-25", "capabilities": {}}})),
        ex("mcp", "mcp", "POST", mcp_url, [JSON_CT, ACCEPT] + SESS + mcp_auth,
           rpc(None, "notifications/initialized"), 202, [], None),
        ex("mcp", "mcp", "POST", mcp_url, [JSON_CT, ACCEPT] + SESS + mcp_auth,
           rpc(2, "tools/list"), 200, [JSON_CT],
           json.dumps({"jsonrpc": "2.0", "id": 2,
                       "result": {"tools": [{"name": "echo"}]}})),
        ex("mcp", "mcp", "POST", mcp_url, [JSON_CT, ACCEPT] + SESS + mcp_auth,
           rpc(3, "tools/call", {"name": "echo",
                                 "arguments": {"text": "hello"}}),
           200, [["Content-Type", call_ct]], call_resp),
    ]
    return t


def number(t):
    for i, e in enumerate(t):
        e["seq"] = i
        e["t_ns"] = 1000000 + i * 1000
    return t


def case(name, description, transcript, scenario=None, runs=None):
    doc = {
        "description": description,
        "scenario": scenario or SCENARIO,
        "runs": runs or [{"exit_code": 0, "signal": 0, "timed_out": False}],
        "secrets": [VERIFIER, CODE, ACCESS, REFRESH, STATE,
                    "verifier-that-does-not-match-0123456789-abcdef",
                    "at-never-issued-by-the-as-000000"] + EXTRA_SECRETS,
        "transcript": number(transcript),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        name + ".json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def without(d, *keys):
    d = dict(d)
    for k in keys:
        d.pop(k, None)
    return d


def main():
    case("good", "A correct flow: every check passes.", flow())

    sse = "event: message\ndata: " + json.dumps(
        {"jsonrpc": "2.0", "id": 3,
         "result": {"content": [{"type": "text", "text": "hello"}]}}) + "\n\n"
    case("good-sse", "Correct flow; tools/call answered as an SSE stream.",
         flow(call_resp=sse, call_ct="text/event-stream"))

    case("no-pkce", "No code_challenge, no method, no code_verifier.",
         flow(authz=without(base_authz_params(), "code_challenge",
                            "code_challenge_method"),
              token=without(base_token_params(), "code_verifier")))

    a = base_authz_params()
    a["code_challenge"] = VERIFIER
    a["code_challenge_method"] = "plain"
    case("pkce-plain", "PKCE with method plain (challenge = verifier).",
         flow(authz=a))

    tk = base_token_params()
    tk["code_verifier"] = "verifier-that-does-not-match-0123456789-abcdef"
    case("verifier-mismatch", "The token request's verifier does not hash "
         "to the challenge.", flow(token=tk))

    tk = base_token_params()
    tk["code_verifier"] = "short"
    case("short-verifier", "A code_verifier below RFC 7636's 43 characters.",
         flow(token=tk))

    case("no-state", "No state in the authorization request.",
         flow(authz=without(base_authz_params(), "state"),
              location_state=None))

    a = base_authz_params()
    a["state"] = "abc123"
    case("short-state", "A 6-character state.", flow(authz=a,
                                                      location_state="abc123"))

    case("state-not-echoed", "The authorization response dropped state.",
         flow(location_state=None))

    case("no-resource", "No resource parameter anywhere.",
         flow(authz=without(base_authz_params(), "resource"),
              token=without(base_token_params(), "resource")))

    a = base_authz_params()
    a["resource"] = RESOURCE + "/"
    tk = base_token_params()
    tk["resource"] = RESOURCE + "/"
    case("wrong-resource", "resource with a trailing slash, unlike the PRM.",
         flow(authz=a, token=tk))

    case("token-in-query", "MCP requests carry access_token in the query "
         "instead of the Authorization header.",
         flow(mcp_auth=[], mcp_url=MCP + "/mcp?access_token=" + ACCESS))

    case("unknown-bearer", "MCP requests carry a token the AS never issued.",
         flow(mcp_auth=[bearer("at-never-issued-by-the-as-000000")]))

    case("no-bearer", "MCP requests after the token carry no Authorization.",
         flow(mcp_auth=[]))

    err = json.dumps({"jsonrpc": "2.0", "id": 3,
                      "error": {"code": -32602, "message": "bad arguments"}})
    case("failed-call", "tools/call answered with a JSON-RPC error.",
         flow(call_resp=err))

    t = flow()[:4]
    t[1]["response"] = {"status": 404, "headers": [], "body": None}
    t[2]["response"] = {"status": 404, "headers": [], "body": None}
    t[3]["response"]["status"] = 400
    t[3]["response"]["body"] = json.dumps(
        {"error": "invalid_client_metadata"})
    case("discovery-failed", "PRM and metadata 404, registration 400; the "
         "client gave up (exit 1).", t,
         runs=[{"exit_code": 1, "signal": 0, "timed_out": False}])

    refuse = copy.deepcopy(SCENARIO)
    refuse["id"] = "authorization/pkce-unsupported"
    refuse["client"]["expect"] = "refuse"
    case("refuse", "The client is expected to refuse and does so after "
         "discovery.", flow()[:3], scenario=refuse,
         runs=[{"exit_code": 1, "signal": 0, "timed_out": False}])

    pre = copy.deepcopy(SCENARIO)
    pre["id"] = "registration/pre-registered"
    pre["authorization_servers"][0]["registration"] = ["pre-registration"]
    t = flow()
    del t[3]
    case("preregistered", "A pre-registered client: no DCR expected.", t,
         scenario=pre)


if __name__ == "__main__":
    main()
    sys.dont_write_bytecode = True
    import make_transcripts_more
    make_transcripts_more.main()
    import make_tls_transcripts
    make_tls_transcripts.main()
