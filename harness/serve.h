/* `authcheck serve --scenario ID [--interactive]`: run one scenario's mock
 * world until SIGINT or SIGTERM. The first line on stdout is one JSON
 * object with the URLs (docs/MOCKS.md "authcheck serve"). */
#ifndef HSERVE_H
#define HSERVE_H

/* argv[0] is the command name ("serve"). Returns the exit status: 0 after
 * a signal, 2 on a usage or start error. */
int hserve_main(int argc, char **argv);

#endif
