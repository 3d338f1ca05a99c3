/* The pod sandbox's pid 1 (the "pause" container): holds the pod's namespaces, reaps orphans, and
 * exits on SIGINT or SIGTERM. Built statically by scripts/k8s/cluster.sh, since the upstream image's
 * registry is not reachable from here. */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

static void down(int sig) { _exit(sig == SIGINT || sig == SIGTERM ? 0 : 1); }

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {.sa_handler = down};
  struct sigaction child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  if (getpid() != 1) return 2; /* like upstream: only meaningful as pid 1 */
  if (sigaction(SIGINT, &stop, NULL) || sigaction(SIGTERM, &stop, NULL) || sigaction(SIGCHLD, &child, NULL)) return 1;
  for (;;) pause();
}
