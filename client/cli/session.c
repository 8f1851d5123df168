/* `mcp-oauth login | token | logout | status`: the commands that manage
 * the stored authorization of MCP servers rather than calling them. None
 * of them prints a secret except `token`, whose purpose is to print the
 * access token on stdout (for scripts: curl -H "Authorization: Bearer
 * $(mcp-oauth token URL)"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client/cli/cli_int.h"

static void print_expiry(long long at)
{
    time_t now = time(NULL);
    if (at == 0) {
        fputs("expiry unknown", stdout);
    } else if (at <= now) {
        printf("expired %lld s ago", (long long)(now - at));
    } else {
        printf("expires in %lld s", (long long)(at - now));
    }
}

static int login(struct mcpo_client *c)
{
    struct mcpo_err err;
    if (!mcpo_connect(c, &err)) {
        cli_fail(&err);
        return EXIT_FAIL;
    }
    const char *scope = mcpo_client_granted_scope(c);
    printf("logged in to %s", mcpo_client_mcp_url(c));
    if (mcpo_client_issuer(c) != NULL) {
        printf(" via %s", mcpo_client_issuer(c));
    }
    printf(" (scope \"%s\", ", scope != NULL ? scope : "");
    print_expiry(mcpo_client_expires_at(c));
    puts(")");
    return EXIT_OK;
}

static int token(struct mcpo_client *c)
{
    struct mcpo_err err;
    char *t = NULL;
    if (!mcpo_get_token(c, &t, &err)) {
        cli_fail(&err);
        return EXIT_FAIL;
    }
    puts(t);
    mcpo_free(t);
    return EXIT_OK;
}

static int logout(struct mcpo_client *c)
{
    struct mcpo_err err;
    if (!mcpo_logout(c, &err)) {
        cli_fail(&err);
        return EXIT_FAIL;
    }
    printf("logged out of %s\n", mcpo_client_mcp_url(c));
    return EXIT_OK;
}

/* One line per stored server; never a secret. */
static int status(const struct cli_opts *o)
{
    struct mcpo_err err;
    char *text = NULL;
    json_t *all;
    size_t i;
    const json_t *r;

    if (!mcpo_store_list(o->store, &text, &err)) {
        cli_fail(&err);
        return EXIT_FAIL;
    }
    all = json_loads(text, 0, NULL);
    if (json_array_size(all) == 0) {
        puts("no stored servers");
    }
    json_array_foreach(all, i, r)
    {
        const char *scope = json_string_value(json_object_get(r, "scope"));
        printf("%s\n  issuer %s\n  client %s\n  scope \"%s\", ",
               json_string_value(json_object_get(r, "mcp_url")),
               json_string_value(json_object_get(r, "issuer")),
               json_is_string(json_object_get(r, "client_id"))
                   ? json_string_value(json_object_get(r, "client_id"))
                   : "(none)",
               scope != NULL ? scope : "");
        if (json_is_true(json_object_get(r, "has_access_token"))) {
            print_expiry(json_integer_value(json_object_get(r, "expires_at")));
        } else {
            fputs("no token", stdout);
        }
        printf("%s\n", json_is_true(json_object_get(r, "has_refresh_token"))
                           ? ", refreshable"
                           : "");
    }
    json_decref(all);
    mcpo_free(text);
    return EXIT_OK;
}

int cli_session(const char *cmd, char **args, int nargs,
                const struct cli_opts *o)
{
    struct mcpo_client *c = NULL;
    struct mcpo_err err;
    int rc = EXIT_USAGE;

    if (strcmp(cmd, "status") == 0) {
        return nargs == 0 ? status(o) : EXIT_USAGE;
    }
    if (nargs != 1) {
        fprintf(stderr, "usage: mcp-oauth [options] %s URL\n", cmd);
        return EXIT_USAGE;
    }
    if (!mcpo_client_new(args[0], &c, &err) || !cli_configure(c, o, &err)) {
        cli_fail(&err);
        goto out;
    }
    rc = strcmp(cmd, "login") == 0   ? login(c)
         : strcmp(cmd, "token") == 0 ? token(c)
                                     : logout(c);
out:
    mcpo_client_free(c);
    return rc;
}
