#!/usr/bin/env python3
"""Generate the fixed inputs of tests/test_reports.c:

  model.json    a results model (docs/RESULTS.md) of two scenarios, built
                from the canned good transcript, with real secrets in it;
  secrets.json  the secrets the run saw (rp_write's `secrets`);
  hostile.json  a model whose every free-text place (titles, check ids and
                messages, spec URL, header names and values, an
                error_description, an SSE tool output, the client's output,
                a server id, a harness error) holds markup, quotes,
                ampersands, Markdown syntax and control characters, for the
                escaping tests of junit.xml, report.md and report.html;
  planted.json  {"secrets": [...], "planted": [...], "results": {...}}: a
                model with a secret planted in a header, a form body, a JSON
                body, a URL query, a Location, an SSE tool output, the
                client's output, a model member and a percent-encoded form
                body value. `planted` lists every value that must never
                appear in any written file; `secrets` is deliberately only
                the ones that cannot be found structurally.

Golden outputs live in golden/ and are refreshed by running test_reports
with AUTHCHECK_UPDATE_GOLDEN=1 (then review the diff).
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, "..", "transcripts", "good.json")

MCP_AUTH = ("https://modelcontextprotocol.io/specification/2026-07-28/"
            "basic/authorization")


def check(id_, level, status, url, summary, message, evidence):
    return {"id": id_, "level": level, "status": status, "spec": "2026-07-28",
            "spec_url": url, "summary": summary, "message": message,
            "evidence": evidence}


def write(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def main():
    good = json.load(open(GOOD))
    transcript = good["transcript"]
    checks_ok = [
        check("prm-fetched", "MUST", "SUCCESS",
              MCP_AUTH + "/authorization-server-discovery"
              "#protected-resource-metadata-discovery-requirements",
              "The client fetched the Protected Resource Metadata.",
              "Protected Resource Metadata fetched with GET, answered 200 "
              "(seq 1)", [1]),
        check("pkce-verifier-matches-challenge", "MUST", "SUCCESS",
              "https://www.rfc-editor.org/rfc/rfc7636.html#section-4.2",
              "S256(code_verifier) equals the code_challenge.",
              "S256(code_verifier) matched", [6, 4]),
        check("state-roundtrip", "SHOULD", "WARNING",
              MCP_AUTH + "/security-considerations#open-redirection",
              "Every authorization request carries a fresh state.",
              "authorization request (seq 4): state is 6 characters, fewer "
              "than 22 (128 bits as base64url)", [4]),
        check("client-exit-status", "MUST", "SUCCESS",
              "https://github.com/modelcontextprotocol/conformance",
              "Every client run exited as expected.",
              "all 1 run(s) exited 0 as expected", []),
    ]
    checks_bad = [
        check("pkce-s256-method-used", "MUST", "FAILURE",
              MCP_AUTH + "/security-considerations"
              "#authorization-code-protection",
              "Every authorization request uses S256.",
              "authorization request (seq 0): code_challenge_method was "
              "\"plain\"", [0]),
        check("client-registered", "MUST", "SKIPPED",
              MCP_AUTH + "/client-registration#dynamic-client-registration",
              "The client registered.",
              "no authorization server in this scenario offers dynamic "
              "client registration", []),
    ]
    model = {
        "tool": "authcheck", "version": "0.1.0", "spec": "2026-07-28",
        "client_command": "mcp-oauth conformance",
        "started_at": "2026-11-25T18:00:00Z", "duration_ms": 812,
        "summary": {"scenarios": 2, "passed": 1, "failed": 1, "errors": 0,
                    "checks": {"SUCCESS": 3, "FAILURE": 1, "WARNING": 1,
                               "SKIPPED": 1, "INFO": 0}},
        "scenarios": [
            {"id": "core/dcr-happy-path", "title": "Full flow",
             "family": "core", "spec": ["2025-11-25", "2026-07-28"],
             "status": "passed", "error": None, "duration_ms": 120,
             "runs": [{"exit_code": 0, "signal": 0, "timed_out": False,
                       "duration_ms": 95,
                       "output": "connected; token at-2YotnFZFEjr1zCsicMWpAA"
                                 "\ncalled echo: hello\n"}],
             "checks": checks_ok, "transcript": transcript},
            {"id": "authorization/pkce-plain", "title": "plain PKCE",
             "family": "authorization", "spec": ["2026-07-28"],
             "status": "failed", "error": None, "duration_ms": 60,
             "runs": [{"exit_code": 0, "signal": 0, "timed_out": False,
                       "duration_ms": 40, "output": ""}],
             "checks": checks_bad,
             "transcript": [dict(copy.deepcopy(transcript[4]), seq=0)]},
        ],
    }
    write("model.json", model)
    write("secrets.json", good["secrets"])
    write("hostile.json", hostile(model))

    planted = copy.deepcopy(model)
    sc = planted["scenarios"][0]
    t = sc["transcript"]
    # A header (no secret list needed: Authorization is redacted by name).
    t[7]["request"]["headers"].append(
        ["Authorization", "Bearer PLANTED-HEADER-TOKEN-0001"])
    # A form body: secret parameters by name, and a known secret with
    # reserved characters under an innocent name, percent-encoded.
    t[6]["request"]["body"] = (
        "grant_type=authorization_code&code=PLANTED-FORM-CODE-0002"
        "&code_verifier=PLANTED-FORM-VERIFIER-0003"
        "&client_secret=PLANTED-FORM-CLIENT-SECRET-0004"
        "&note=PLANTED%2FPCT%2BSECRET-0005")
    # A JSON body: secret members by name.
    t[6]["response"]["body"] = json.dumps({
        "access_token": "PLANTED-JSON-ACCESS-0006",
        "refresh_token": "PLANTED-JSON-REFRESH-0007",
        "token_type": "Bearer"})
    # A URL query and the raw query member, and a Location redirect.
    t[4]["url"] = ("http://127.0.0.1:41001/authorize?response_type=code"
                   "&code=PLANTED-URL-CODE-0008")
    t[4]["query"] = "response_type=code&code=PLANTED-URL-CODE-0008"
    t[4]["response"]["headers"] = [
        ["Location",
         "http://127.0.0.1:41002/callback?code=PLANTED-LOCATION-CODE-0009"
         "&state=x"]]
    # A tool output (SSE body) and the client's output: known secrets only.
    t[10]["response"]["headers"] = [["Content-Type", "text/event-stream"]]
    t[10]["response"]["body"] = (
        "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
        "{\"content\":[{\"type\":\"text\",\"text\":\"the key is "
        "PLANTED-TOOL-OUTPUT-0010\"}]}}\n\n")
    sc["runs"][0]["output"] = "echo said PLANTED-TOOL-OUTPUT-0010\n"
    # A secret member of the model itself (ac_redact_json).
    sc["context"] = {"client_secret": "PLANTED-MODEL-MEMBER-0011"}
    # A check message that (wrongly) quotes a known secret.
    sc["checks"][0]["message"] = "saw PLANTED-TOOL-OUTPUT-0010 somewhere"
    planted_values = [
        "PLANTED-HEADER-TOKEN-0001", "PLANTED-FORM-CODE-0002",
        "PLANTED-FORM-VERIFIER-0003", "PLANTED-FORM-CLIENT-SECRET-0004",
        "PLANTED/PCT+SECRET-0005", "PLANTED%2FPCT%2BSECRET-0005",
        "PLANTED-JSON-ACCESS-0006", "PLANTED-JSON-REFRESH-0007",
        "PLANTED-URL-CODE-0008", "PLANTED-LOCATION-CODE-0009",
        "PLANTED-TOOL-OUTPUT-0010", "PLANTED-MODEL-MEMBER-0011",
    ] + good["secrets"]
    write("planted.json", {
        "secrets": ["PLANTED/PCT+SECRET-0005", "PLANTED-TOOL-OUTPUT-0010"]
        + good["secrets"],
        "planted": planted_values,
        "results": planted,
    })


# Markup, quotes, Markdown, CDATA and comment ends, and characters XML 1.0
# forbids (C0 controls, DEL) or discourages (C1, U+FFFE).
EVIL = ("<script>alert(1)</script> \"q\" 'a' & | ` * _ ~ "
        "[x](javascript:alert(1)) \x01\x07\x1b[31m\x7f\u0085\ufffe ]]> "
        "--> <!-- \r\nline2")


def hostile(model):
    h = copy.deepcopy(model)
    good = h["scenarios"][0]
    tr = good["transcript"]
    evil_sc = {
        "id": "hostile/markup", "title": "title " + EVIL, "family": "hostile",
        "spec": ["2026-07-28"], "status": "failed", "error": None,
        "duration_ms": 5,
        "runs": [{"exit_code": 3, "signal": 0, "timed_out": True,
                  "duration_ms": 5, "output": "stderr: " + EVIL + "\n"}],
        "checks": [
            check("evil-failure", "MUST", "FAILURE",
                  "javascript:alert(document.cookie)", "summary " + EVIL,
                  "error_description was " + EVIL, [0, 1, 2]),
            check("evil<id>&\"'", "SHOULD", "WARNING",
                  "https://example.com/x?a=1&b=\"<>|()", EVIL, EVIL, [1]),
            check("evil-skipped", "MUST", "SKIPPED", MCP_AUTH, EVIL, EVIL, []),
            check("evil-info", "MAY", "INFO", MCP_AUTH, EVIL, EVIL, [2]),
        ],
        "transcript": [
            dict(copy.deepcopy(tr[6]), seq=0),
            dict(copy.deepcopy(tr[10]), seq=1),
            dict(copy.deepcopy(tr[0]), seq=2),
        ],
    }
    t0, t1, t2 = evil_sc["transcript"]
    t0["server"] = "as\"><svg onload=alert(1)>"
    t0["response"]["status"] = 400
    t0["response"]["headers"] = [["Content-Type", "application/json"],
                                 ["X-<b>Evil</b>", EVIL]]
    t0["response"]["body"] = json.dumps(
        {"error": "invalid_grant", "error_description": EVIL})
    t1["response"]["headers"] = [["Content-Type", "text/event-stream"]]
    t1["response"]["body"] = (
        "event: message\ndata: " + json.dumps(
            {"jsonrpc": "2.0", "id": 3, "result": {"content": [
                {"type": "text", "text": "tool said " + EVIL}]}}) + "\n\n")
    t2["path"] = "/mcp<img src=x onerror=alert(1)>"
    t2["response"]["status"] = 0
    t2["error"] = "connection dropped " + EVIL
    err_sc = {
        "id": "hostile/harness-error", "title": EVIL, "family": "hostile",
        "spec": ["2026-07-28"], "status": "error",
        "error": "client could not be spawned: " + EVIL, "duration_ms": 1,
        "runs": [], "checks": [], "transcript": [],
    }
    h["client_command"] = "evil-client " + EVIL
    h["scenarios"] = [good, evil_sc, err_sc]
    h["summary"]["scenarios"] = 3
    return h


if __name__ == "__main__":
    main()
