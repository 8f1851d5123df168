/* The client command line: a shell command the user gives (`--client-cmd`),
 * to which the runner appends the MCP URL as the last argument. */
#ifndef HARNESS_CMDLINE_H
#define HARNESS_CMDLINE_H

/* Single-quote `s` for /bin/sh. A new string (free()), NULL on OOM. */
char *hr_shell_quote(const char *s);

/* When `sh -c 'CMD "$1"' sh LAST` would run exactly the program CMD names
 * with CMD's words and LAST as its arguments, those arguments, so the
 * program can be run without starting a shell first: CMD is words of
 * [A-Za-z0-9_./:=,+@%-] and '...' parts (no other quoting, no expansion,
 * no operator), separated by blanks, and its first word names the program
 * by a path (contains '/', so the shell would not search PATH or run a
 * builtin) and has no '=' (not an assignment). NULL for any other command
 * (run it with the shell) and on OOM. A new NULL-terminated array in one
 * block (free() it), argv[0] the program's path. */
char **hr_plain_argv(const char *cmd, const char *last);

#endif
