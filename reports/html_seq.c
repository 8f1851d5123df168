/* The sequence diagram of report.html: a scenario's transcript as inline
 * SVG, generated here so the report needs no script library.
 *
 * Lifelines, left to right: "client", "browser", every other server of the
 * transcript in order of first appearance (the authorization servers by
 * their scenario id, "control", ...), and "mcp" last. Each exchange is a
 * request arrow from its requester to the lifeline in its `server` member
 * and a dashed return arrow labelled with the status. The transcript does
 * not record who sent a request, so it is inferred:
 *   - server "browser" (a hop of the headless user agent): from "browser"
 *     to the lifeline whose URLs share the hop's origin, else to "client"
 *     (the client's loopback callback);
 *   - endpoint "authorize": from "browser" when the transcript has browser
 *     hops (the client opened $BROWSER), else from "client" (it fetched
 *     the URL itself, as the official suite's clients do);
 *   - anything else: from "client".
 * A browser hop that the target mock recorded too (same method and URL)
 * is drawn once, as the mock's exchange; it stays in the exchange list. */
#include "reports/reports_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"

#define LANE 170
#define MARGIN 16
#define TOP 48
#define ROW 40

/* Length of the "scheme://authority" prefix of a URL, 0 if none. */
static size_t origin_len(const char *url)
{
    const char *p = url != NULL ? strstr(url, "://") : NULL;

    if (p == NULL) {
        return 0;
    }
    p += 3;
    return (size_t)(p - url) + strcspn(p, "/?#");
}

static bool is_browser(const json_t *ex)
{
    const char *s = ac_json_str(ex, "server");
    return s != NULL && strcmp(s, "browser") == 0;
}

/* A mock-served exchange (not a browser hop) with this method and URL. */
static const json_t *mock_twin(const json_t *sc, const json_t *hop)
{
    const char *m = ac_json_str(hop, "method"), *u = ac_json_str(hop, "url");
    const json_t *ex;
    size_t i;

    json_array_foreach(json_object_get(sc, "transcript"), i, ex)
    {
        if (!is_browser(ex) && m != NULL && u != NULL &&
            ac_json_str(ex, "method") != NULL &&
            ac_json_str(ex, "url") != NULL &&
            strcmp(ac_json_str(ex, "method"), m) == 0 &&
            strcmp(ac_json_str(ex, "url"), u) == 0) {
            return ex;
        }
    }
    return NULL;
}

const char *rp_exchange_to(const json_t *sc, const json_t *ex)
{
    const char *url = ac_json_str(ex, "url");
    size_t n = origin_len(url), i;
    const json_t *other;

    if (!is_browser(ex)) {
        return ac_json_str(ex, "server") != NULL ? ac_json_str(ex, "server")
                                                 : "unknown";
    }
    json_array_foreach(json_object_get(sc, "transcript"), i, other)
    {
        const char *ou = ac_json_str(other, "url");
        if (n > 0 && !is_browser(other) && ou != NULL && origin_len(ou) == n &&
            strncmp(ou, url, n) == 0 && ac_json_str(other, "server") != NULL) {
            return ac_json_str(other, "server");
        }
    }
    return "client";
}

const char *rp_exchange_from(const json_t *sc, const json_t *ex)
{
    const char *ep = ac_json_str(ex, "endpoint");
    const json_t *other;
    size_t i;

    if (is_browser(ex)) {
        return "browser";
    }
    if (ep != NULL && strcmp(ep, "authorize") == 0) {
        json_array_foreach(json_object_get(sc, "transcript"), i, other)
        {
            if (is_browser(other)) {
                return "browser";
            }
        }
    }
    return "client";
}

/* --- lifelines ---------------------------------------------------------- */

struct lanes {
    const char **name; /* borrowed */
    size_t n;
};

static void lane_add(struct lanes *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->name[i], name) == 0) {
            return;
        }
    }
    l->name[l->n++] = name;
}

static size_t lane_of(const struct lanes *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->name[i], name) == 0) {
            return i;
        }
    }
    return 0;
}

static bool lanes_build(struct lanes *l, const json_t *sc)
{
    const json_t *tr = json_object_get(sc, "transcript"), *ex;
    size_t i;

    l->n = 0;
    l->name = calloc(json_array_size(tr) + 4, sizeof *l->name);
    if (l->name == NULL) {
        return false;
    }
    lane_add(l, "client");
    lane_add(l, "browser");
    json_array_foreach(tr, i, ex)
    {
        const char *s = rp_exchange_to(sc, ex);
        if (strcmp(s, "mcp") != 0) {
            lane_add(l, s);
        }
    }
    lane_add(l, "mcp");
    return true;
}

static int lane_x(size_t i)
{
    return MARGIN + LANE / 2 + (int)i * LANE;
}

/* --- drawing ------------------------------------------------------------ */

static void put_heads(struct rp_out *o, const struct lanes *l, int height)
{
    for (size_t i = 0; i < l->n; i++) {
        int x = lane_x(i);
        rp_printf(o,
                  "<g class=\"lifeline\" data-lifeline=\"%zu\">"
                  "<line x1=\"%d\" y1=\"36\" x2=\"%d\" y2=\"%d\"/>"
                  "<rect x=\"%d\" y=\"8\" width=\"%d\" height=\"28\" rx=\"4\"/>"
                  "<text x=\"%d\" y=\"27\" text-anchor=\"middle\">",
                  i, x, x, height - 8, x - LANE / 2 + 10, LANE - 20, x);
        rp_put_esc_cut(o, l->name[i], 20, RP_ESC_HTML);
        rp_puts(o, "</text></g>\n");
    }
}

/* One horizontal arrow from x1 to x2 at y, dashed for a return. */
static void put_arrow(struct rp_out *o, int x1, int x2, int y, bool ret)
{
    int dir = x2 >= x1 ? 1 : -1;

    if (x1 == x2) { /* a lifeline calling itself: a small loop */
        rp_printf(o,
                  "<path class=\"%s\" d=\"M%d %d h30 v8 h-30\" fill=\"none\"/>",
                  ret ? "ret" : "req", x1, y - 4);
        return;
    }
    rp_printf(o,
              "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
              "<polygon class=\"head\" points=\"%d,%d %d,%d %d,%d\"/>",
              ret ? "ret" : "req", x1, y, x2 - dir * 2, y, x2, y, x2 - dir * 8,
              y - 4, x2 - dir * 8, y + 4);
}

static void put_exchange_arrows(struct rp_out *o, const struct lanes *l,
                                const json_t *sc, const json_t *ex, int y,
                                const char *prefix)
{
    int x1 = lane_x(lane_of(l, rp_exchange_from(sc, ex)));
    int x2 = lane_x(lane_of(l, rp_exchange_to(sc, ex)));
    json_int_t status = rp_int(json_object_get(ex, "response"), "status");
    json_int_t seq = rp_int(ex, "seq");
    int lx = x1 == x2 ? x1 + 36 : (x1 + x2) / 2;
    size_t room = (size_t)(abs(x2 - x1) / 7);
    const char *anchor = x1 == x2 ? "start" : "middle";

    rp_printf(o,
              "<a href=\"#%s-ex-%lld\"><g class=\"msg%s\" data-seq=\"%lld\">"
              "<title>",
              prefix, (long long)seq,
              status == 0 || status >= 400 ? " bad" : "", (long long)seq);
    rp_put_esc_cut(o, ac_json_str(ex, "url"), 300, RP_ESC_HTML);
    rp_puts(o, "</title>");
    put_arrow(o, x1, x2, y, false);
    rp_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">#%lld ", lx, y - 5,
              anchor, (long long)seq);
    rp_put_esc(o, ac_json_str(ex, "method"), RP_ESC_HTML);
    rp_puts(o, " ");
    rp_put_esc_cut(o, ac_json_str(ex, "path"), room < 16 ? 16 : room - 8,
                   RP_ESC_HTML);
    rp_puts(o, "</text>");
    put_arrow(o, x2, x1, y + 18, true);
    rp_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">%lld%s</text>", lx,
              y + 13, anchor, (long long)status,
              status == 0 ? " (no response)" : "");
    rp_puts(o, "</g></a>\n");
}

void rp_html_sequence(struct rp_out *o, const json_t *sc, const char *prefix)
{
    const json_t *tr = json_object_get(sc, "transcript"), *ex;
    struct lanes l = {0};
    size_t i, rows = 0;
    int width, height, y = TOP + 20;

    if (json_array_size(tr) == 0) {
        return;
    }
    if (!lanes_build(&l, sc)) {
        AC_ERR(&o->err, AC_ERR_NOMEM, "out of memory");
        o->failed = true;
        return;
    }
    json_array_foreach(tr, i, ex)
    {
        rows += !(is_browser(ex) && mock_twin(sc, ex) != NULL);
    }
    width = 2 * MARGIN + (int)l.n * LANE;
    height = TOP + 20 + (int)rows * ROW;
    rp_printf(o,
              "<div class=\"seq-wrap\"><svg class=\"seq\" "
              "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
              "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
              "aria-label=\"Sequence of the %zu HTTP exchanges\">\n",
              width, height, width, height, json_array_size(tr));
    put_heads(o, &l, height);
    json_array_foreach(tr, i, ex)
    {
        if (is_browser(ex) && mock_twin(sc, ex) != NULL) {
            continue;
        }
        put_exchange_arrows(o, &l, sc, ex, y, prefix);
        y += ROW;
    }
    rp_puts(o, "</svg></div>\n");
    free(l.name);
}
