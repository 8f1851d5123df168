#!/usr/bin/env python3
"""More canned cases for tests/test_checks.c: one passing and one failing
case per check family idea (discovery order, issuer and S256 refusal,
registration, token endpoint auth, iss, state, scopes, refresh, restart,
MCP lifecycle, the 2026-07-28 wire). Built from small segments so each
case reads as a story. Called by make_transcripts.py; values are fixed so
the files are stable."""
import base64
import copy
import json

import make_transcripts as m
from make_transcripts import (AS, CB, CLIENT_ID, CODE, CODE2, ACCESS,
                              ACCESS2, ACCESS3, REFRESH, REFRESH2, REFRESH3,
                              MCP, PRM_URL, RESOURCE, STATE, STATE2, SECRET,
                              VERIFIER, JSON_CT, FORM_CT, ACCEPT, SESS,
                              REG_BODY, SCENARIO, ex, rpc, s256, urlencode)

AS2 = "http://127.0.0.1:41003"
CLIENT_ID2 = "client-as2-44aa01"
CIMD_ID = "https://client.example.com/mcp-client.json"
WK_OAUTH = "/.well-known/oauth-authorization-server"
WK_OIDC = "/.well-known/openid-configuration"
WK_PRM = "/.well-known/oauth-protected-resource"
EXIT1 = [{"exit_code": 1, "signal": 0, "timed_out": False}]


def scenario(**over):
    sc = copy.deepcopy(SCENARIO)
    for k, v in over.items():
        if k == "expect":
            sc["client"]["expect"] = v
        elif k == "runs":
            sc["client"]["runs"] = v
        elif k == "wire":
            sc["mcp_server"]["wire"] = v
        else:
            sc[k] = v
    return sc


def challenge(scope="mcp:tools", rm=True, status=401, error=None):
    parts = []
    if error:
        parts.append('error="%s"' % error)
    if rm:
        parts.append('resource_metadata="%s"' % PRM_URL)
    if scope:
        parts.append('scope="%s"' % scope)
    return "Bearer " + ", ".join(parts) if parts else "Bearer"


def seg_401(scope="mcp:tools", rm=True):
    return [ex("mcp", "mcp", "POST", MCP + "/mcp", [JSON_CT, ACCEPT],
               rpc(1, "initialize", {"protocolVersion": "2025-11-25"}), 401,
               [["WWW-Authenticate", challenge(scope, rm)]], None)]


def prm_doc(scopes=("mcp:tools",), resource=RESOURCE, ases=(AS,)):
    d = {"resource": resource, "authorization_servers": list(ases)}
    if scopes is not None:
        d["scopes_supported"] = list(scopes)
    return d


def seg_prm(url=PRM_URL, status=200, doc=None):
    body = json.dumps(doc if doc is not None else prm_doc()) \
        if status == 200 else None
    return [ex("mcp", "prm" if status == 200 else "unknown", "GET", url, [],
               None, status, [JSON_CT], body)]


def meta_doc(issuer=AS, base=AS, **over):
    d = {"issuer": issuer, "authorization_endpoint": base + "/authorize",
         "token_endpoint": base + "/token",
         "registration_endpoint": base + "/register",
         "revocation_endpoint": base + "/revoke",
         "response_types_supported": ["code"],
         "grant_types_supported": ["authorization_code", "refresh_token"],
         "token_endpoint_auth_methods_supported": [
             "none", "client_secret_basic", "client_secret_post"],
         "code_challenge_methods_supported": ["S256"],
         "scopes_supported": ["mcp:tools"],
         "authorization_response_iss_parameter_supported": True}
    for k, v in over.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def seg_meta(doc=None, url=None, endpoint="metadata", status=200,
             server="as", base=AS):
    url = url or base + WK_OAUTH
    body = json.dumps(doc if doc is not None else meta_doc(base, base)) \
        if status == 200 else ("{not json" if status == 299 else None)
    return [ex(server, endpoint, "GET", url, [], None,
               200 if status == 299 else status, [JSON_CT], body)]


def seg_register(body=None, resp=None, server="as", base=AS,
                 client_id=CLIENT_ID, status=201):
    body = body if body is not None else REG_BODY
    r = {"client_id": client_id, "redirect_uris": [CB],
         "token_endpoint_auth_method": body.get(
             "token_endpoint_auth_method", "client_secret_basic")}
    if r["token_endpoint_auth_method"] != "none":
        r["client_secret"] = SECRET
    if resp:
        r.update(resp)
    return [ex(server, "register", "POST", base + "/register", [JSON_CT],
               json.dumps(body), status, [JSON_CT],
               json.dumps(r) if status == 201 else
               json.dumps({"error": "invalid_client_metadata"}))]


def authz_params(**over):
    p = m.base_authz_params()
    for k, v in over.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return p


def seg_authorize(params=None, loc=None, server="as", base=AS, code=CODE,
                  hop=True, status=302):
    params = params if params is not None else authz_params()
    if loc is None:
        loc = {"code": code}
        if "state" in params:
            loc["state"] = params["state"]
        loc["iss"] = base
    cb = params.get("redirect_uri", CB)
    locurl = cb + "?" + urlencode(loc)
    out = [ex(server, "authorize", "GET",
              base + "/authorize?" + urlencode(params), [], None, status,
              [["Location", locurl]] if status == 302 else
              [["Content-Type", "text/html"]],
              None if status == 302 else "<p>unknown client</p>")]
    if hop and status == 302:
        out.append(ex("browser", "hop", "GET", locurl, [], None, 200,
                      [["Content-Type", "text/html"]], "<p>done</p>"))
    return out


def code_body(**over):
    p = m.base_token_params()
    for k, v in over.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return p


def refresh_body(rt=REFRESH, **over):
    p = {"grant_type": "refresh_token", "refresh_token": rt,
         "client_id": CLIENT_ID, "resource": RESOURCE}
    for k, v in over.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return p


def tok_resp(at=ACCESS, rt=REFRESH, scope="mcp:tools"):
    r = {"access_token": at, "token_type": "Bearer", "expires_in": 3600}
    if rt:
        r["refresh_token"] = rt
    if scope:
        r["scope"] = scope
    return r


def seg_token(body, resp=None, status=200, headers=None, server="as",
              base=AS):
    if resp is None and status == 200:
        resp = tok_resp()
    return [ex(server, "token", "POST", base + "/token",
               [FORM_CT] + (headers or []), urlencode(body), status,
               [JSON_CT, ["Cache-Control", "no-store"]],
               json.dumps(resp) if resp is not None else None)]


def mcp_req(msg, at=ACCESS, status=200, resp=None, headers=None,
            www=None, url=MCP + "/mcp"):
    h = [JSON_CT, ACCEPT] + (headers if headers is not None else SESS)
    if at:
        h = h + [["Authorization", "Bearer " + at]]
    rh = [JSON_CT]
    if www:
        rh.append(["WWW-Authenticate", www])
    return ex("mcp", "mcp", "POST", url, h, msg, status, rh,
              json.dumps(resp) if resp is not None else None)


def seg_session(at=ACCESS, note=True, sess=True, version=True,
                init=True):
    hdr = []
    if sess:
        hdr.append(["Mcp-Session-Id", "s-1"])
    if version:
        hdr.append(["MCP-Protocol-Version", "2025-11-25"])
    out = []
    if init:
        out.append(ex("mcp", "mcp", "POST", MCP + "/mcp",
                      [JSON_CT, ACCEPT, ["Authorization", "Bearer " + at]],
                      rpc(1, "initialize", {"protocolVersion": "2025-11-25"}),
                      200, [JSON_CT, ["Mcp-Session-Id", "s-1"]],
                      json.dumps({"jsonrpc": "2.0", "id": 1, "result": {
                          "protocolVersion": "2025-11-25",
                          "capabilities": {}}})))
    if note:
        out.append(mcp_req(rpc(None, "notifications/initialized"), at, 202,
                           headers=hdr))
    out.append(mcp_req(rpc(2, "tools/list"), at, 200,
                       {"jsonrpc": "2.0", "id": 2,
                        "result": {"tools": [{"name": "echo"}]}},
                       headers=hdr))
    out.append(seg_call(at, headers=hdr)[0])
    return out


def seg_call(at=ACCESS, id_=3, status=200, www=None, headers=None):
    resp = {"jsonrpc": "2.0", "id": id_, "result": {
        "content": [{"type": "text", "text": "hello"}]}} \
        if status == 200 else {"error": "invalid_token"}
    return [mcp_req(rpc(id_, "tools/call", {"name": "echo",
                                            "arguments": {"text": "hello"}}),
                    at, status, resp, headers=headers, www=www)]


def discovery(scope="mcp:tools", rm=True, prm=None, meta=None):
    return (seg_401(scope, rm) + (prm if prm is not None else seg_prm()) +
            (meta if meta is not None else seg_meta()))


def full(prefix=None, reg=None, authz=None, token=None, session=None):
    return ((prefix if prefix is not None else discovery()) +
            (reg if reg is not None else seg_register()) +
            (authz if authz is not None else seg_authorize()) +
            (token if token is not None else seg_token(code_body())) +
            (session if session is not None else seg_session()))


def case(name, desc, t, sc=None, runs=None):
    m.case(name, desc, t, scenario=sc or SCENARIO, runs=runs)


def invalid_token_401(at=ACCESS, id_=4):
    return seg_call(at, id_, 401,
                    www=challenge("mcp:tools", True, error="invalid_token"))


def jwt(header, payload):
    def enc(d):
        return base64.urlsafe_b64encode(
            json.dumps(d).encode()).rstrip(b"=").decode()
    return enc(header) + "." + enc(payload) + ".c2lnbmF0dXJl"


def discovery_cases():
    wrong_prm = seg_prm(MCP + WK_PRM)
    case("prm-wrong-url", "The challenge names the path PRM URL; the client "
         "fetched the root one.", full(discovery(prm=wrong_prm)))
    case("prm-path-first", "No resource_metadata: path-inserted PRM first.",
         full(discovery(rm=False)))
    case("prm-root-first", "No resource_metadata: the root PRM URL first.",
         full(discovery(rm=False, prm=seg_prm(MCP + WK_PRM, 404) +
                        seg_prm())))
    case("metadata-oidc-first", "OpenID configuration tried before RFC 8414.",
         full(discovery(meta=seg_meta(url=AS + WK_OIDC, endpoint="oidc"))))
    case("metadata-fallback", "RFC 8414 metadata answers 500; the client "
         "falls back to OpenID discovery.",
         full(discovery(meta=seg_meta(status=500) +
                        seg_meta(url=AS + WK_OIDC, endpoint="oidc"))))
    case("metadata-500-gave-up", "RFC 8414 metadata answers 500; the client "
         "gave up.", discovery(meta=seg_meta(status=500)), runs=EXIT1)
    evil = meta_doc(issuer="https://evil.example.com")
    case("issuer-mismatch-proceeded", "Metadata issuer mismatch; the client "
         "went on.", full(discovery(meta=seg_meta(doc=evil))))
    case("issuer-mismatch-refused", "Metadata issuer mismatch; the client "
         "stopped.", discovery(meta=seg_meta(doc=evil)),
         sc=scenario(expect="refuse"), runs=EXIT1)
    nos = meta_doc(code_challenge_methods_supported=None)
    case("no-s256-proceeded", "No code_challenge_methods_supported; the "
         "client authorized anyway.", full(discovery(meta=seg_meta(doc=nos))))
    case("no-s256-refused", "No code_challenge_methods_supported; the "
         "client refused.", discovery(meta=seg_meta(doc=nos)),
         sc=scenario(expect="refuse"), runs=EXIT1)
    other = seg_prm(doc=prm_doc(resource="http://127.0.0.1:49999/other"))
    case("prm-resource-mismatch-proceeded", "The PRM names another resource; "
         "the client authorized.", full(discovery(prm=other)))
    case("prm-resource-mismatch-refused", "The PRM names another resource; "
         "the client stopped.", discovery(prm=other),
         sc=scenario(expect="refuse"), runs=EXIT1)
    legacy = scenario(spec=["2025-03-26"])
    no_prm = seg_prm(status=404) + seg_prm(MCP + WK_PRM, 404)
    lmeta = seg_meta(doc=meta_doc(MCP, MCP), url=MCP + WK_OAUTH, server="as")
    case("legacy-root-metadata", "2025-03-26: no PRM; metadata at the MCP "
         "origin.", full(discovery(prm=no_prm, meta=lmeta),
                         reg=seg_register(base=MCP),
                         authz=seg_authorize(base=MCP),
                         token=seg_token(code_body(), base=MCP)), sc=legacy)
    case("legacy-no-root-metadata", "2025-03-26: no PRM; the client gave up.",
         seg_401() + no_prm, sc=legacy, runs=EXIT1)
    nometa = seg_meta(url=MCP + WK_OAUTH, status=404, endpoint="unknown",
                      server="mcp")
    case("legacy-default-endpoints", "2025-03-26: no metadata; default "
         "endpoints at the MCP origin.",
         full(discovery(prm=no_prm, meta=nometa), reg=seg_register(base=MCP),
              authz=seg_authorize(base=MCP),
              token=seg_token(code_body(), base=MCP)), sc=legacy)
    case("legacy-wrong-endpoints", "2025-03-26: no metadata; the client "
         "invented an /oauth/authorize endpoint.",
         full(discovery(prm=no_prm, meta=nometa), reg=seg_register(base=MCP),
              authz=seg_authorize(base=MCP + "/oauth"),
              token=seg_token(code_body(), base=MCP)), sc=legacy)


def speaking(t, rev):
    """The same exchanges from a client that initializes with `rev`."""
    t = copy.deepcopy(t)
    for e in t:
        body = e["request"]["body"]
        if body is not None and '"protocolVersion"' in body:
            e["request"]["body"] = body.replace(
                '"protocolVersion":"2025-11-25"',
                '"protocolVersion":"%s"' % rev)
    return t


def registration_cases():
    b = dict(REG_BODY)
    b.pop("application_type")
    # application_type is a 2026-07-28 rule: the same registration from a
    # 2025-11-25 client is not judged (dcr-application-type SKIPPED).
    case("dcr-no-application-type", "DCR without application_type, from a "
         "client speaking 2026-07-28.",
         speaking(full(reg=seg_register(b)), "2026-07-28"))
    case("dcr-no-application-type-2025", "DCR without application_type, "
         "from a client speaking 2025-11-25.", full(reg=seg_register(b)))
    case("good-2026", "The good flow from a client speaking 2026-07-28.",
         speaking(full(), "2026-07-28"))
    b = dict(REG_BODY, redirect_uris=["http://example.com/cb"])
    case("dcr-bad-redirect", "DCR with a non-loopback http redirect URI.",
         full(reg=seg_register(b)))
    b = dict(REG_BODY, grant_types=["authorization_code"])
    case("dcr-no-refresh-grant", "DCR grant_types without refresh_token.",
         full(reg=seg_register(b)))
    b = dict(REG_BODY, token_endpoint_auth_method="private_key_jwt")
    case("dcr-unsupported-auth-method", "DCR asks for private_key_jwt, "
         "which the server does not list.", full(reg=seg_register(b)))
    case("dcr-auth-method-replaced", "DCR asks for private_key_jwt, which "
         "the server does not list; the server registers the client with "
         "client_secret_basic instead (RFC 7591 §3.2.1).",
         full(reg=seg_register(b, resp={
             "token_endpoint_auth_method": "client_secret_basic",
             "client_secret": SECRET})))
    cimd = meta_doc(client_id_metadata_document_supported=True)
    case("dcr-despite-cimd", "The server supports CIMD; the client used DCR.",
         full(discovery(meta=seg_meta(doc=cimd))))
    case("cimd-used", "The server supports CIMD; the client_id is a URL.",
         full(discovery(meta=seg_meta(doc=cimd)), reg=[],
              authz=seg_authorize(authz_params(client_id=CIMD_ID)),
              token=seg_token(code_body(client_id=CIMD_ID))))
    case("cimd-gave-up", "The server supports CIMD and offers no DCR; the "
         "client, wanting DCR, never authorized.",
         discovery(meta=seg_meta(doc=meta_doc(
             client_id_metadata_document_supported=True,
             registration_endpoint=None))), runs=EXIT1)
    case("cimd-not-used", "The server supports CIMD; the client authorized "
         "with a plain client_id it did not register here.",
         full(discovery(meta=seg_meta(doc=cimd)), reg=[]))
    basic = dict(REG_BODY, token_endpoint_auth_method="client_secret_basic")
    cred = base64.b64encode(
        (CLIENT_ID + ":" + SECRET).encode()).decode()
    case("auth-basic", "client_secret_basic registered and used.",
         full(reg=seg_register(basic),
              token=seg_token(code_body(client_id=None),
                              headers=[["Authorization", "Basic " + cred]])))
    case("auth-basic-sent-post", "client_secret_basic registered; the client "
         "sent client_secret in the body.",
         full(reg=seg_register(basic),
              token=seg_token(code_body(client_secret=SECRET))))
    cc = meta_doc(grant_types_supported=["client_credentials"],
                  token_endpoint_auth_methods_supported=["private_key_jwt"],
                  registration_endpoint=None)
    now = 1767225600
    good = jwt({"alg": "ES256", "typ": "JWT"},
               {"iss": "cc-client", "sub": "cc-client", "aud": AS,
                "iat": now, "exp": now + 300, "jti": "j-1"})
    body = {"grant_type": "client_credentials", "client_id": "cc-client",
            "client_assertion_type":
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": good, "resource": RESOURCE}
    cc_sc = scenario(client=dict(SCENARIO["client"]))
    case("pkjwt-good", "client_credentials with a well-formed private_key_jwt "
         "assertion.", discovery(meta=seg_meta(doc=cc)) +
         seg_token(body, tok_resp(rt=None)) + seg_session(), sc=cc_sc)
    bad = jwt({"alg": "ES256"}, {"iss": "cc-client", "sub": "someone-else",
                                 "aud": AS, "exp": now + 300, "jti": "j-2"})
    case("pkjwt-bad-claims", "private_key_jwt assertion with sub != iss.",
         discovery(meta=seg_meta(doc=cc)) +
         seg_token(dict(body, client_assertion=bad), tok_resp(rt=None)) +
         seg_session(), sc=cc_sc)
    case("cc-used-authorize", "A client_credentials-only server; the client "
         "ran the authorization code flow.",
         full(discovery(meta=seg_meta(doc=cc)), reg=[]), sc=cc_sc)
    two = seg_prm(doc=prm_doc(ases=(AS2,)))
    mig = (full() + invalid_token_401() + two +
           seg_meta(doc=meta_doc(AS2, AS2), server="as2", base=AS2))
    case("migration-good", "The PRM moved to as2; the client registered "
         "there.", mig + seg_register(server="as2", base=AS2,
                                      client_id=CLIENT_ID2) +
         seg_authorize(authz_params(client_id=CLIENT_ID2, state=STATE2),
                       server="as2", base=AS2, code=CODE2) +
         seg_token(code_body(client_id=CLIENT_ID2, code=CODE2),
                   tok_resp(ACCESS2, REFRESH2), server="as2", base=AS2) +
         seg_call(ACCESS2, 5))
    case("migration-reuse", "The PRM moved to as2; the client reused its as "
         "client_id there.", mig +
         seg_authorize(authz_params(state=STATE2), server="as2", base=AS2,
                       code=CODE2) +
         seg_token(code_body(code=CODE2), tok_resp(ACCESS2, REFRESH2),
                   server="as2", base=AS2) + seg_call(ACCESS2, 5))
    stale = seg_token(code_body(), {"error": "invalid_client"}, 401)
    case("stale-client-good", "The AS forgot the client; it registered "
         "again.", full(token=stale + seg_register(client_id=CLIENT_ID2) +
                        seg_authorize(authz_params(client_id=CLIENT_ID2,
                                                   state=STATE2),
                                      code=CODE2) +
                        seg_token(code_body(client_id=CLIENT_ID2,
                                            code=CODE2))))
    case("stale-client-ignored", "The AS forgot the client; it authorized "
         "again with the stale client_id.",
         full(token=stale + seg_authorize(authz_params(state=STATE2),
                                          code=CODE2) +
              seg_token(code_body(code=CODE2),
                        {"error": "invalid_client"}, 401), session=[]),
         runs=EXIT1)
    page = seg_authorize(status=400)
    case("stale-client-error-page", "The AS forgot the client and showed an "
         "error page; the client fetched the same URL again to read it, "
         "then registered again.",
         full(authz=page + page + seg_register(client_id=CLIENT_ID2) +
              seg_authorize(authz_params(client_id=CLIENT_ID2, state=STATE2),
                            code=CODE2),
              token=seg_token(code_body(client_id=CLIENT_ID2, code=CODE2))))
    run2 = seg_401() + seg_session()
    case("restart-good", "Two runs: the second reused the stored token.",
         full() + run2, sc=scenario(runs=2),
         runs=[{"exit_code": 0, "signal": 0, "timed_out": False}] * 2)
    case("restart-no-store", "Two runs: the second registered and authorized "
         "again.", full() + seg_401() + seg_prm() + seg_meta() +
         seg_register(client_id=CLIENT_ID2) +
         seg_authorize(authz_params(client_id=CLIENT_ID2, state=STATE2),
                       code=CODE2) +
         seg_token(code_body(client_id=CLIENT_ID2, code=CODE2),
                   tok_resp(ACCESS2, REFRESH2)) + seg_session(ACCESS2),
         sc=scenario(runs=2),
         runs=[{"exit_code": 0, "signal": 0, "timed_out": False}] * 2)


def authz_cases():
    refuse = scenario(expect="refuse")
    evil = {"code": CODE, "state": STATE, "iss": "https://evil.example.com"}
    case("iss-wrong-redeemed", "iss mismatch; the code was redeemed.",
         full(authz=seg_authorize(loc=evil)))
    case("iss-wrong-refused", "iss mismatch; the client stopped.",
         discovery() + seg_register() + seg_authorize(loc=evil), sc=refuse,
         runs=EXIT1)
    noiss = {"code": CODE, "state": STATE}
    case("iss-missing-redeemed", "iss advertised but missing; the code was "
         "redeemed.", full(authz=seg_authorize(loc=noiss)))
    case("iss-missing-refused", "iss advertised but missing; the client "
         "stopped.", discovery() + seg_register() + seg_authorize(loc=noiss),
         sc=refuse, runs=EXIT1)
    unadv = seg_meta(doc=meta_doc(
        authorization_response_iss_parameter_supported=None))
    case("iss-unadvertised-redeemed", "iss not advertised but sent wrong; "
         "the code was redeemed.",
         full(discovery(meta=unadv), authz=seg_authorize(loc=evil)))
    case("iss-unadvertised-refused", "iss not advertised but sent wrong; the "
         "client stopped.", discovery(meta=unadv) + seg_register() +
         seg_authorize(loc=evil), sc=refuse, runs=EXIT1)
    case("iss-not-advertised", "iss neither advertised nor sent; the client "
         "proceeded.", full(discovery(meta=unadv),
                            authz=seg_authorize(loc=noiss)))
    case("iss-not-advertised-refused", "iss neither advertised nor sent; the "
         "client wrongly stopped.", discovery(meta=unadv) + seg_register() +
         seg_authorize(loc=noiss), runs=EXIT1)
    slash = {"code": CODE, "state": STATE, "iss": AS + "/"}
    case("iss-normalized-redeemed", "iss is the issuer plus a trailing "
         "slash (equal only after normalization); the code was redeemed.",
         full(authz=seg_authorize(loc=slash)))
    case("iss-normalized-refused", "iss is the issuer plus a trailing "
         "slash; the client stopped.", discovery() + seg_register() +
         seg_authorize(loc=slash), sc=refuse, runs=EXIT1)
    upper = {"code": CODE, "state": STATE, "iss": AS.replace("http:", "HTTP:")}
    case("iss-case-redeemed", "iss is the issuer with an upper-case scheme "
         "(equal only after case normalization); the code was redeemed.",
         full(authz=seg_authorize(loc=upper)))
    forged = {"code": CODE, "state": "forged-state-0000000000000", "iss": AS}
    case("state-forged-redeemed", "The callback's state was not the one "
         "sent; the code was redeemed.", full(authz=seg_authorize(loc=forged)))
    case("state-forged-refused", "The callback's state was not the one "
         "sent; the client stopped.", discovery() + seg_register() +
         seg_authorize(loc=forged), sc=refuse, runs=EXIT1)
    case("redirect-uri-changed", "The token request's redirect_uri differs.",
         full(token=seg_token(code_body(
             redirect_uri="http://127.0.0.1:41009/callback"))))
    case("redirect-uri-unregistered", "The client authorized with a "
         "redirect_uri its registration does not list.",
         full(authz=seg_authorize(authz_params(
             redirect_uri="http://127.0.0.1:41077/callback")),
             token=seg_token(code_body(
                 redirect_uri="http://127.0.0.1:41077/callback"))))
    lh = "http://localhost:41002/callback"
    case("redirect-localhost", "The redirect URI uses localhost.",
         full(authz=seg_authorize(authz_params(redirect_uri=lh)),
              token=seg_token(code_body(redirect_uri=lh))))
    case("code-retried-after-dpop-nonce", "The first redemption was "
         "answered use_dpop_nonce (RFC 9449 §8: the code is not used); the "
         "client redeemed it again with the nonce.",
         full(token=seg_token(code_body(), {"error": "use_dpop_nonce"}, 400) +
              seg_token(code_body())))
    # RFC 9728 §3.3: a root PRM describes the origin, the identifier its
    # URL was built from; the client then asks for that resource.
    root_prm = seg_prm(status=404) + seg_prm(MCP + WK_PRM,
                                             doc=prm_doc(resource=MCP))
    case("prm-root-origin", "No resource_metadata; the root PRM names the "
         "origin and the client asks for it.",
         full(discovery(rm=False, prm=root_prm),
              authz=seg_authorize(authz_params(resource=MCP)),
              token=seg_token(code_body(resource=MCP))))
    other = seg_prm(status=404) + seg_prm(
        MCP + WK_PRM, doc=prm_doc(resource="http://127.0.0.1:49999"))
    case("prm-root-other-origin", "No resource_metadata; the root PRM names "
         "another origin and the client authorizes anyway.",
         full(discovery(rm=False, prm=other),
              authz=seg_authorize(authz_params(resource=MCP)),
              token=seg_token(code_body(resource=MCP))))
    legacy = scenario(spec=["2025-03-26"])
    legacy["authorization_servers"][0]["resource_required"] = False
    case("legacy-no-resource", "A 2025-03-26 world (resource not "
         "required): no resource parameter anywhere.",
         full(authz=seg_authorize(authz_params(resource=None)),
              token=seg_token(code_body(resource=None))), sc=legacy)
    case("code-reused", "The same code was redeemed twice.",
         full(token=seg_token(code_body()) +
              seg_token(code_body(), {"error": "invalid_grant"}, 400)))


def scope_cases():
    case("scope-ignored-challenge", "The challenge named a scope; the client "
         "sent none.", full(authz=seg_authorize(authz_params(scope=None))))
    case("scope-wider-than-challenge", "The challenge named mcp:tools; the "
         "client asked for more.", full(authz=seg_authorize(authz_params(
             scope="mcp:tools mcp:admin"))))
    prm2 = seg_prm(doc=prm_doc(scopes=("mcp:tools", "mcp:read")))
    case("scope-from-prm", "No challenge scope: all of scopes_supported.",
         full(discovery(scope=None, prm=prm2),
              authz=seg_authorize(authz_params(scope="mcp:tools mcp:read"))))
    case("scope-prm-partial", "No challenge scope: only part of "
         "scopes_supported.", full(discovery(scope=None, prm=prm2)))
    prm0 = seg_prm(doc=prm_doc(scopes=None))
    case("scope-omitted", "No scope defined anywhere: scope omitted.",
         full(discovery(scope=None, prm=prm0),
              authz=seg_authorize(authz_params(scope=None))))
    case("scope-invented", "No scope defined anywhere: the client invented "
         "one.", full(discovery(scope=None, prm=prm0)))
    up = seg_call(ACCESS, 4, 403, www='Bearer error="insufficient_scope", '
                  'scope="mcp:write", resource_metadata="%s"' % PRM_URL)

    def step(scope, code, st, at):
        return (seg_authorize(authz_params(scope=scope, state=st), code=code) +
                seg_token(code_body(code=code), tok_resp(at, None, scope)))
    case("step-up-good", "403 insufficient_scope; the union was requested.",
         full() + up + step("mcp:tools mcp:write", CODE2, STATE2, ACCESS2) +
         seg_call(ACCESS2, 5))
    case("step-up-no-union", "403 insufficient_scope; only the new scope was "
         "requested.", full() + up + step("mcp:write", CODE2, STATE2,
                                          ACCESS2) + seg_call(ACCESS2, 5))
    case("step-up-ignored", "403 insufficient_scope on the tool call; the "
         "client gave up without authorizing again.", full() + up,
         runs=EXIT1)
    other = [mcp_req(rpc(4, "tools/call", {"name": "lookup",
                                           "arguments": {}}),
                     ACCESS, 403, {"error": "insufficient_scope"},
                     www='Bearer error="insufficient_scope", '
                     'scope="mcp:write"')]
    case("step-up-other-tool", "403 insufficient_scope on a tool the "
         "scenario does not name; the union was requested.",
         full() + other + step("mcp:tools mcp:write", CODE2, STATE2,
                               ACCESS2) + seg_call(ACCESS2, 5))
    loop = full() + up
    for k in range(4):
        loop += step("mcp:tools mcp:write", "code-loop-%d" % k,
                     "state-loop-%d-aaaaaaaaaaaaaaaaa" % k, ACCESS2) + \
            seg_call(ACCESS2, 5 + k, 403, www='Bearer error="insufficient_'
                     'scope", scope="mcp:write"')
    case("step-up-loop", "403 forever; the client kept authorizing.", loop,
         runs=EXIT1)
    slow = full() + up
    for k in range(2):
        slow += step("mcp:tools mcp:write", "code-slow-%d" % k,
                     "state-slow-%d-aaaaaaaaaaaaaaaaa" % k, ACCESS2) + \
            seg_call(ACCESS2, 5 + k, 403, www='Bearer error="insufficient_'
                     'scope", scope="mcp:write"')
    slow += seg_authorize(authz_params(scope="mcp:tools mcp:write",
                                       state="state-slow-2-aaaaaaaaaaaaaaaaa"),
                          code="code-slow-2")
    case("step-up-slow-loop", "403 forever; 4 authorizations, the last one "
         "still going when the run ended (see the runs of each row).", slow,
         runs=[{"exit_code": -1, "signal": 15, "timed_out": True}])
    case("offline-unsupported", "offline_access requested though the AS does "
         "not list it.", full(authz=seg_authorize(authz_params(
             scope="mcp:tools offline_access"))))
    off = seg_meta(doc=meta_doc(scopes_supported=["mcp:tools",
                                                  "offline_access"]))
    case("offline-requested", "The AS lists offline_access; the client asked "
         "for it.", full(discovery(meta=off), authz=seg_authorize(
             authz_params(scope="mcp:tools offline_access"))))
    case("offline-not-requested", "The AS lists offline_access; the client "
         "did not ask for it.", full(discovery(meta=off)))


def token_cases():
    expired = invalid_token_401()
    r1 = seg_token(refresh_body(REFRESH), tok_resp(ACCESS2, REFRESH2))
    r2 = seg_token(refresh_body(REFRESH2), tok_resp(ACCESS3, REFRESH3))
    case("refresh-good", "The token expired; the client refreshed twice, "
         "with the rotated token.", full() + expired + r1 +
         seg_call(ACCESS2, 5) + invalid_token_401(ACCESS2, 6) + r2 +
         seg_call(ACCESS3, 7))
    case("refresh-proactive", "expires_in ran out; the client refreshed "
         "before sending the token, no 401.", full() + r1 +
         seg_call(ACCESS2, 5))
    case("refresh-never", "The token expired; the client authorized again "
         "instead of refreshing.", full() + expired +
         seg_authorize(authz_params(state=STATE2), code=CODE2) +
         seg_token(code_body(code=CODE2), tok_resp(ACCESS2, REFRESH2)) +
         seg_call(ACCESS2, 5))
    case("refresh-reuse-old", "After rotation the client sent the old "
         "refresh token.", full() + expired + r1 + seg_call(ACCESS2, 5) +
         invalid_token_401(ACCESS2, 6) +
         seg_token(refresh_body(REFRESH), {"error": "invalid_grant"}, 400),
         runs=EXIT1)
    case("refresh-scope-widened", "The refresh asked for more scope.",
         full() + expired + seg_token(refresh_body(
             scope="mcp:tools mcp:admin"), {"error": "invalid_scope"}, 400),
         runs=EXIT1)
    ig = seg_token(refresh_body(), {"error": "invalid_grant"}, 400)
    case("invalid-grant-good", "Refresh answered invalid_grant; the client "
         "authorized once.", full() + expired + ig +
         seg_authorize(authz_params(state=STATE2), code=CODE2) +
         seg_token(code_body(code=CODE2), tok_resp(ACCESS2, REFRESH2)) +
         seg_call(ACCESS2, 5))
    case("invalid-grant-loop", "Refresh answered invalid_grant; the client "
         "sent the same refresh token again.", full() + expired + ig + ig,
         runs=EXIT1)
    e5 = seg_token(refresh_body(), {"error": "server_error"}, 503)
    case("refresh-5xx-good", "Refresh answered 503; the client retried it.",
         full() + expired + e5 + r1 + seg_call(ACCESS2, 5))
    case("refresh-5xx-restart", "Refresh answered 503; the client registered "
         "and authorized from scratch.", full() + expired + e5 +
         seg_register(client_id=CLIENT_ID2) +
         seg_authorize(authz_params(client_id=CLIENT_ID2, state=STATE2),
                       code=CODE2) +
         seg_token(code_body(client_id=CLIENT_ID2, code=CODE2),
                   tok_resp(ACCESS2, REFRESH2)) + seg_call(ACCESS2, 5))
    case("revoked-reused", "The token was rejected; the client sent it "
         "again.", full() + expired + invalid_token_401(ACCESS, 5),
         runs=EXIT1)
    logout = scenario(id="revocation/logout-revokes")
    rv = [ex("as", "revoke", "POST", AS + "/revoke", [FORM_CT],
             urlencode({"token": REFRESH, "token_type_hint": "refresh_token",
                        "client_id": CLIENT_ID}), 200, [], None)]
    case("logout-good", "Logout revoked the refresh token.", full() + rv,
         sc=logout)
    case("logout-no-revoke", "Logout did not revoke anything.", full(),
         sc=logout)
    other = "http://127.0.0.1:41000/other"
    case("audience-wrong", "A token requested for another resource was sent "
         "to this MCP server.",
         full(token=seg_token(code_body(resource=other))))


MCP2 = "http://127.0.0.1:41004"
RESOURCE2 = MCP2 + "/mcp"


def at_mcp2(segs):
    """The same exchanges at the second MCP server ("mcp2", its own
    origin): MCP and PRM exchanges move there, the rest stays."""
    out = copy.deepcopy(segs)
    for e in out:
        if e["server"] == "mcp":
            e["server"] = "mcp2"
            e["url"] = e["url"].replace(MCP, MCP2)
        if e["response"]["headers"]:
            e["response"]["headers"] = [
                [n, v.replace(MCP, MCP2)] for n, v in e["response"]["headers"]]
        if e["response"]["body"]:
            e["response"]["body"] = e["response"]["body"].replace(
                RESOURCE, RESOURCE2)
    return out


def two_server_cases():
    """Run 1 at "mcp", run 2 at "mcp2" (scenario mcp_servers_extra) with
    the same token store: audience/token-for-other-resource."""
    sc = scenario(id="audience/token-for-other-resource", runs=2)
    sc["mcp_servers_extra"] = [{"id": "mcp2", "path": "/mcp"}]
    sc["client"]["urls"] = ["mcp", "mcp2"]
    runs = [{"exit_code": 0, "signal": 0, "timed_out": False}] * 2
    again = (seg_authorize(authz_params(resource=RESOURCE2, state=STATE2),
                           code=CODE2) +
             seg_token(code_body(resource=RESOURCE2, code=CODE2),
                       tok_resp(ACCESS2, REFRESH2)))
    second = (at_mcp2(discovery()) + again +
              at_mcp2(seg_session(ACCESS2) + seg_call(ACCESS2)))
    case("two-servers-good", "Run 2 at a second MCP server: the client "
         "authorized again for its resource.", full() + second, sc=sc,
         runs=runs)
    reused = at_mcp2(seg_session(ACCESS, init=True, note=False)[0:1])
    reused[0]["response"] = {"status": 401, "headers": [[
        "WWW-Authenticate", challenge(error="invalid_token").replace(
            MCP, MCP2)]], "body": None}
    case("two-servers-token-reused", "Run 2 sent the token issued for the "
         "first MCP server to the second one.", full() + reused + second[1:],
         sc=sc, runs=runs)
    wrong = (seg_authorize(authz_params(state=STATE2), code=CODE2) +
             seg_token(code_body(code=CODE2), tok_resp(ACCESS2, REFRESH2)))
    case("two-servers-wrong-resource", "Run 2 authorized for the first MCP "
         "server's resource while working for the second.",
         full() + at_mcp2(discovery()) + wrong +
         at_mcp2(seg_session(ACCESS2) + seg_call(ACCESS2)), sc=sc, runs=runs)


def mcp_cases():
    first = mcp_req(rpc(2, "tools/list"), ACCESS, 200,
                    {"jsonrpc": "2.0", "id": 2, "result": {"tools": []}},
                    headers=[])
    case("mcp-no-initialize", "After authorization the client skipped "
         "initialize.", full(session=[first] + seg_call(ACCESS, 3, headers=[])))
    case("mcp-no-initialized-note", "No notifications/initialized.",
         full(session=seg_session(note=False)))
    case("mcp-no-session", "The session id was not echoed.",
         full(session=seg_session(sess=False)))
    case("mcp-no-version-header", "No MCP-Protocol-Version header.",
         full(session=seg_session(version=False)))
    t = full()
    for e in t:
        if e["endpoint"] == "mcp":
            e["request"]["headers"] = [h for h in e["request"]["headers"]
                                       if h[0] != "Accept"]
    case("mcp-no-accept", "MCP POSTs without an Accept header.", t)
    sl = scenario(wire="2026-07-28")

    def sreq(id_, method, params, at=ACCESS, mhdr=True, status=200):
        h = [["MCP-Protocol-Version", "2026-07-28"]]
        if mhdr:
            h.append(["Mcp-Method", method])
            if params and "name" in params:
                h.append(["Mcp-Name", params["name"]])
        return mcp_req(rpc(id_, method, params), at, status,
                       {"jsonrpc": "2.0", "id": id_, "result": {
                           "content": [{"type": "text", "text": "hello"}]}},
                       headers=h)
    call = {"name": "echo", "arguments": {"text": "hello"}}

    def first_401(mhdr):
        e = sreq(1, "tools/list", None, None, mhdr, 401)
        e["response"] = {"status": 401, "headers": [
            ["WWW-Authenticate", challenge()]], "body": None}
        return [e]

    def sfull(mhdr):
        return full(discovery()[0:0] + first_401(mhdr) + seg_prm() +
                    seg_meta(), session=[sreq(2, "tools/list", None,
                                              mhdr=mhdr),
                                         sreq(3, "tools/call", call,
                                              mhdr=mhdr)])
    case("stateless-good", "2026-07-28 wire with the request metadata "
         "headers.", sfull(True), sc=sl)
    case("stateless-no-method-header", "2026-07-28 wire without Mcp-Method.",
         sfull(False), sc=sl)

    # Mcp-Param-{Name}: tools/list annotates echo's text argument with
    # x-mcp-header "Text"; the tools/call must mirror it.
    listed = {"jsonrpc": "2.0", "id": 2, "result": {"tools": [{
        "name": "echo", "inputSchema": {"type": "object", "properties": {
            "text": {"type": "string", "x-mcp-header": "Text"}}}}]}}

    def pfull(param):
        lst = sreq(2, "tools/list", None)
        lst["response"]["body"] = json.dumps(listed)
        cl = sreq(3, "tools/call", call)
        if param is not None:
            cl["request"]["headers"].append(["Mcp-Param-Text", param])
        return full(discovery()[0:0] + first_401(True) + seg_prm() +
                    seg_meta(), session=[lst, cl])
    case("stateless-param-good", "2026-07-28 wire: the x-mcp-header "
         "argument mirrored in Mcp-Param-Text (base64 sentinel form).",
         pfull("=?base64?aGVsbG8=?="), sc=sl)
    case("stateless-param-mismatch", "2026-07-28 wire: Mcp-Param-Text "
         "differs from the argument.", pfull("goodbye"), sc=sl)
    case("stateless-param-missing", "2026-07-28 wire: the x-mcp-header "
         "argument without its Mcp-Param-Text header.", pfull(None), sc=sl)


def verdict_cases():
    # mcp-authenticated-request: the issued token is rejected everywhere.
    def rejected(id_, method):
        return mcp_req(rpc(id_, method), ACCESS, 401, {"error": "x"},
                       headers=[], www=challenge("mcp:tools", True,
                                                 error="invalid_token"))
    case("token-rejected-everywhere", "Every MCP request with the issued "
         "access token is answered 401.",
         full(session=[rejected(1, "initialize"), rejected(2, "tools/list")]))
    # authorization-error-handled: an error response reaches the callback.
    markup = '<script>alert("x")</script>'
    err_loc = {"error": "access_denied", "error_description": markup,
               "state": STATE, "iss": AS}
    err_authz = seg_authorize(loc=err_loc)
    refused = discovery() + seg_register() + err_authz
    case("authz-error-refused", "error=access_denied with markup; the "
         "client stops and its page escapes the markup.", refused,
         sc=scenario(expect="refuse"),
         runs=[{"exit_code": 1, "signal": 0, "timed_out": False}])
    case("refuse-or-wait", "error=access_denied; the scenario lets the "
         "client refuse or keep waiting until it is stopped.", refused,
         sc=scenario(expect="refuse-or-wait"),
         runs=[{"exit_code": -1, "signal": 0, "timed_out": True}])
    echoed = copy.deepcopy(err_authz)
    echoed[1]["response"]["body"] = "<p>denied: " + markup + "</p>"
    case("authz-error-echoed", "error=access_denied with markup; the "
         "client's callback page echoes the markup.",
         discovery() + seg_register() + echoed)
    case("authz-error-redeemed", "error=access_denied; the client still "
         "redeems a code.",
         discovery() + seg_register() + err_authz + seg_token(code_body()))


def main():
    verdict_cases()
    discovery_cases()
    registration_cases()
    authz_cases()
    scope_cases()
    token_cases()
    two_server_cases()
    mcp_cases()
