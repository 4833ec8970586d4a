#include <ldap.h>
#include <lber.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

/*
 * A watch on a handle's socket. libldap's TLS handshake may block without a timeout on a server
 * that accepts connections and never answers; the watch records the socket when libldap opens
 * it, so that another thread can shut it down and the blocked call returns.
 */
typedef struct {
    struct ldap_conncb callback;
    int fd;
    int connected;
} echo_ldap_watch;

static int echo_ldap_watch_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr, struct ldap_conncb *ctx) {
    echo_ldap_watch *watch = (echo_ldap_watch *)ctx->lc_arg;
    ber_socket_t fd = -1;
    (void)ld; (void)srv; (void)addr;
    ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd);
    __atomic_store_n(&watch->fd, (int)fd, __ATOMIC_SEQ_CST);
    __atomic_store_n(&watch->connected, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static void echo_ldap_watch_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx) {
    echo_ldap_watch *watch = (echo_ldap_watch *)ctx->lc_arg;
    (void)ld; (void)sb;
    __atomic_store_n(&watch->fd, -1, __ATOMIC_SEQ_CST);
}

/* Installs a watch on a handle before it connects. Free it with free() after ldap_unbind_ext_s. */
static inline echo_ldap_watch *echo_ldap_watch_install(LDAP *ld) {
    echo_ldap_watch *watch = calloc(1, sizeof *watch);
    if (watch == NULL) return NULL;
    watch->fd = -1;
    watch->callback.lc_add = echo_ldap_watch_add;
    watch->callback.lc_del = echo_ldap_watch_del;
    watch->callback.lc_arg = watch;
    if (ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &watch->callback) != LDAP_OPT_SUCCESS) {
        free(watch);
        return NULL;
    }
    return watch;
}

/* Whether the TCP connection was made (so a later failure is in TLS or LDAP, not in reaching the host). */
static inline int echo_ldap_watch_connected(echo_ldap_watch *watch) {
    return __atomic_load_n(&watch->connected, __ATOMIC_SEQ_CST);
}

/* Shuts the watched socket down, waking a thread blocked on it. */
static inline void echo_ldap_watch_interrupt(echo_ldap_watch *watch) {
    int fd = __atomic_load_n(&watch->fd, __ATOMIC_SEQ_CST);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
}

/* A timeval of `milliseconds`. */
static inline struct timeval echo_ldap_timeval(int milliseconds) {
    struct timeval tv;
    tv.tv_sec = milliseconds / 1000;
    tv.tv_usec = (milliseconds % 1000) * 1000;
    return tv;
}
