/* List the tools of an OAuth-protected MCP server with libmcpoauth.
 *
 *   cc list_tools.c $(pkg-config --cflags --libs mcpoauth)
 *   ./a.out https://mcp.example.com/mcp
 *
 * On a 401 the library discovers the authorization server, registers,
 * opens the browser ($BROWSER or xdg-open) and waits for the callback. */
#include <stdio.h>

#include <mcpoauth.h>

int main(int argc, char **argv)
{
    struct mcpo_client *c = NULL;
    struct mcpo_err err;
    char *tools = NULL;
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: %s MCP-URL\n", argv[0]);
        return 2;
    }
    if (!mcpo_global_init(&err)) {
        fprintf(stderr, "init: %s\n", err.msg);
        return 1;
    }
    if (!mcpo_client_new(argv[1], &c, &err) ||
        !mcpo_list_tools(c, &tools, &err)) {
        fprintf(stderr, "%s: %s\n", mcpo_err_code_name(err.code), err.msg);
        goto out;
    }
    printf("authorized by %s\n%s\n",
           mcpo_client_issuer(c) != NULL ? mcpo_client_issuer(c) : "(none)",
           tools);
    rc = 0;
out:
    mcpo_free(tools);
    mcpo_client_free(c);
    mcpo_global_cleanup();
    return rc;
}
