/*
 * C11 threads on top of POSIX threads, linked into ThreadSanitizer builds only.
 *
 * Debian's librdkafka creates its threads and takes its locks with C11 <threads.h>
 * (thrd_create, mtx_lock, cnd_wait), which GCC 12's ThreadSanitizer does not
 * intercept: it never learns of librdkafka's threads and crashes in the first
 * allocation one of them makes, and it cannot see librdkafka's locks. Defining these
 * functions in the executable makes librdkafka's calls land here (the executable comes
 * first in symbol lookup), and here they become the pthread calls TSan does intercept.
 * glibc's C11 types are the pthread types under other names, so no state is converted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

static int from_errno(int err) {
  switch (err) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case EBUSY:
      return thrd_busy;
    case ETIMEDOUT:
      return thrd_timedout;
    default:
      return thrd_error;
  }
}

struct start {
  thrd_start_t func;
  void *arg;
};

static void *run(void *opaque) {
  struct start start = *(struct start *)opaque;
  free(opaque);
  return (void *)(intptr_t)start.func(start.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg) {
  struct start *start = malloc(sizeof *start);
  if (start == NULL) return thrd_nomem;
  start->func = func;
  start->arg = arg;
  int err = pthread_create((pthread_t *)thr, NULL, run, start);
  if (err != 0) free(start);
  return from_errno(err);
}

int thrd_join(thrd_t thr, int *res) {
  void *value = NULL;
  int err = pthread_join((pthread_t)thr, &value);
  if (err == 0 && res != NULL) *res = (int)(intptr_t)value;
  return from_errno(err);
}

int thrd_detach(thrd_t thr) { return from_errno(pthread_detach((pthread_t)thr)); }

int mtx_init(mtx_t *mtx, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  if (type & mtx_recursive) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  int err = pthread_mutex_init((pthread_mutex_t *)mtx, &attr);
  pthread_mutexattr_destroy(&attr);
  return from_errno(err);
}

int mtx_lock(mtx_t *mtx) { return from_errno(pthread_mutex_lock((pthread_mutex_t *)mtx)); }
int mtx_trylock(mtx_t *mtx) { return from_errno(pthread_mutex_trylock((pthread_mutex_t *)mtx)); }
int mtx_timedlock(mtx_t *restrict mtx, const struct timespec *restrict until) {
  return from_errno(pthread_mutex_timedlock((pthread_mutex_t *)mtx, until));
}
int mtx_unlock(mtx_t *mtx) { return from_errno(pthread_mutex_unlock((pthread_mutex_t *)mtx)); }
void mtx_destroy(mtx_t *mtx) { pthread_mutex_destroy((pthread_mutex_t *)mtx); }

int cnd_init(cnd_t *cond) { return from_errno(pthread_cond_init((pthread_cond_t *)cond, NULL)); }
int cnd_signal(cnd_t *cond) { return from_errno(pthread_cond_signal((pthread_cond_t *)cond)); }
int cnd_broadcast(cnd_t *cond) { return from_errno(pthread_cond_broadcast((pthread_cond_t *)cond)); }
int cnd_wait(cnd_t *cond, mtx_t *mtx) {
  return from_errno(pthread_cond_wait((pthread_cond_t *)cond, (pthread_mutex_t *)mtx));
}
int cnd_timedwait(cnd_t *restrict cond, mtx_t *restrict mtx, const struct timespec *restrict until) {
  return from_errno(pthread_cond_timedwait((pthread_cond_t *)cond, (pthread_mutex_t *)mtx, until));
}
void cnd_destroy(cnd_t *cond) { pthread_cond_destroy((pthread_cond_t *)cond); }
