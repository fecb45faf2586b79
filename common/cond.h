/*
 * cond: condition variables whose timed waits run on the monotonic clock.
 *
 * pthread_cond_timedwait() takes an absolute time on the condition
 * variable's clock, CLOCK_REALTIME unless said otherwise; a wall clock that
 * NTP or an operator steps would then cut a wait short or stretch it by
 * hours. Most timed waits are a bounded slice in a loop that checks its
 * own condition, so all they need is "wait on this for at most ms"
 * (cond_wait_ms()); a wait with one deadline across several wake-ups takes
 * it from cond_deadline() and calls pthread_cond_timedwait() itself.
 */
#ifndef SIMPUL_COND_H
#define SIMPUL_COND_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* pthread_cond_init() on CLOCK_MONOTONIC; pthread_cond_destroy() frees. */
void cond_init_mono(pthread_cond_t *c);

/*
 * With m held, waits on c (made by cond_init_mono()) until it is signalled
 * or ms milliseconds have passed; like any condition wait it may also
 * return early for no reason, so the caller checks its condition in a loop.
 */
void cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, int64_t ms);

/* The absolute time ms milliseconds from now, for a cond_init_mono() one. */
void cond_deadline(struct timespec *ts, int64_t ms);

#endif
