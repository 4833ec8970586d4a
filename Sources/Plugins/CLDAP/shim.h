#include <ldap.h>
#include <lber.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

/*
 * A watch on a handle's socket. libldap 2.5's TLS handshake may block without a timeout on a
 * server that accepts connections and never answers; the watch records the socket when libldap
 * opens it, so that another thread can shut it down and the blocked call returns. The mutex
 * orders that shutdown against libldap forgetting the socket (lc_del runs before it is closed),
 * so a descriptor number reused elsewhere is never touched.
 */
typedef struct {
    struct ldap_conncb callback;
    pthread_mutex_t lock;
    int fd;
    int connected;
    int expired;
} echo_ldap_watch;

static int echo_ldap_watch_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr, struct ldap_conncb *ctx) {
    echo_ldap_watch *watch = (echo_ldap_watch *)ctx->lc_arg;
    ber_socket_t fd = -1;
    (void)ld; (void)srv; (void)addr;
    ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd);
    pthread_mutex_lock(&watch->lock);
    if (watch->expired) {
        /* The deadline passed while connecting: refuse the socket rather than start TLS on it. */
        pthread_mutex_unlock(&watch->lock);
        return -1;
    }
    watch->fd = (int)fd;
    watch->connected = 1;
    pthread_mutex_unlock(&watch->lock);
    return 0;
}

static void echo_ldap_watch_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx) {
    echo_ldap_watch *watch = (echo_ldap_watch *)ctx->lc_arg;
    (void)ld; (void)sb;
    pthread_mutex_lock(&watch->lock);
    watch->fd = -1;
    pthread_mutex_unlock(&watch->lock);
}

/* Installs a watch on a handle before it connects. Free it with echo_ldap_watch_free after ldap_unbind_ext_s. */
static inline echo_ldap_watch *echo_ldap_watch_install(LDAP *ld) {
    echo_ldap_watch *watch = calloc(1, sizeof *watch);
    if (watch == NULL) return NULL;
    pthread_mutex_init(&watch->lock, NULL);
    watch->fd = -1;
    watch->callback.lc_add = echo_ldap_watch_add;
    watch->callback.lc_del = echo_ldap_watch_del;
    watch->callback.lc_arg = watch;
    if (ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &watch->callback) != LDAP_OPT_SUCCESS) {
        pthread_mutex_destroy(&watch->lock);
        free(watch);
        return NULL;
    }
    return watch;
}

static inline void echo_ldap_watch_free(echo_ldap_watch *watch) {
    pthread_mutex_destroy(&watch->lock);
    free(watch);
}

/* Whether the TCP connection was made (so a later failure is in TLS or LDAP, not in reaching the host). */
static inline int echo_ldap_watch_connected(echo_ldap_watch *watch) {
    pthread_mutex_lock(&watch->lock);
    int connected = watch->connected;
    pthread_mutex_unlock(&watch->lock);
    return connected;
}

/* Shuts the watched socket down, waking a thread blocked on it; a socket opened later is refused. */
static inline void echo_ldap_watch_interrupt(echo_ldap_watch *watch) {
    pthread_mutex_lock(&watch->lock);
    watch->expired = 1;
    if (watch->fd >= 0) shutdown(watch->fd, SHUT_RDWR);
    pthread_mutex_unlock(&watch->lock);
}

/* A timeval of `milliseconds`. */
static inline struct timeval echo_ldap_timeval(int milliseconds) {
    struct timeval tv;
    tv.tv_sec = milliseconds / 1000;
    tv.tv_usec = (milliseconds % 1000) * 1000;
    return tv;
}
