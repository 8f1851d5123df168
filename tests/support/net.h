/* Sockets for tests that play a raw server or need a closed port. Only
 * libc: every test program links it. */
#ifndef TEST_SUPPORT_NET_H
#define TEST_SUPPORT_NET_H

/* A TCP socket listening on 127.0.0.1 at a kernel-assigned port, which is
 * written to *port. The caller closes it; closed at once, it leaves a port
 * where nothing listens. -1 on failure. */
int ts_listen_loopback(int *port);

#endif
