/* Named mutations of the reference client, for the mutation matrix.
 *
 * A mutation breaks one behaviour on purpose so a test can show that the
 * check watching that behaviour fails. They exist only in the test build
 * (compiled with -DMCPOAUTH_MUTATIONS); in the normal build MUTATED() is the
 * constant 0 and the mutated branches are dead code the compiler removes.
 * Selected at run time by MCP_OAUTH_MUTATION=name[,name]. */
#ifndef MCPO_MUTATIONS_INT_H
#define MCPO_MUTATIONS_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"

#ifdef MCPOAUTH_MUTATIONS
/* Is mutation `name` selected? `name` must be in the table (mutations.c);
 * an unknown name aborts, as it is a bug in the caller. */
bool mut_active(const char *name);
/* Validate MCP_OAUTH_MUTATION: every name must be known. */
bool mut_check_env(struct ac_err *err);
/* Print "name  description" for every mutation. */
void mut_list(FILE *out);
#define MUTATED(name) mut_active(name)
#else
#define MUTATED(name) 0
#endif

#endif
