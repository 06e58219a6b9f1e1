/*
 * loop.c: owns the event loop: the one poll() in the project, the fd
 * watchers, the timer heap and the self-pipe that turns signals into
 * ordinary callbacks run from the loop.
 */
#include "loop.h"
#include "compat.h"
#include "log.h"
#include "xmem.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Signal numbers travel through the self-pipe as one byte each. */
#define LOOP_SIGNAL_LIMIT 256
/* Self-pipe bytes drained per read(). */
#define LOOP_SIGNAL_READ_BYTES 64
/* First allocation for the watcher, timer and heap arrays (entries). */
#define LOOP_INITIAL_ENTRIES 16
/*
 * A timer id is (reuse count << 32) | (slot index + 1): cancel finds the
 * slot without a search, and a stale id never matches a reused slot.
 */
#define TIMER_GEN_SHIFT 32
#define TIMER_SLOT_MASK UINT64_C(0xffffffff)
#define NO_SLOT SIZE_MAX
/* A timer slot's pos while it waits for the end of the turn, not in the heap. */
#define TURN_END_POS (SIZE_MAX - 1)
/* Rounds of end-of-turn timers added by end-of-turn timers before the rest waits for the next turn. */
#define TURN_END_ROUNDS 4
/*
 * poll() costs in proportion to the descriptors it is handed (at 10,000
 * connections about 2-4 ms a turn on a 2-core VM), so a loop that asked
 * for it (loop_gather) and watches this many follows a turn that found
 * little ready with its next poll() no sooner than its gather time later:
 * what arrives meanwhile (a ping round's replies) is handled in one turn
 * instead of in one turn each. Busy turns (at least 1/LOOP_COALESCE_SHARE
 * of the descriptors ready) and due timers never wait.
 */
#define LOOP_COALESCE_FDS 1024
#define LOOP_COALESCE_SHARE 16
#define NS_PER_MS 1000000L

struct watcher {
	loop_fd_fn fn;
	void *arg;
	uint64_t serial;   /* tells a reused fd number from the one poll() saw */
	int fd;
	int events;
};

/* What poll() reported, copied out so callbacks may reshape the watcher array. */
struct ready {
	uint64_t serial;
	int fd;
	short revents;
};

struct timer {
	loop_timer_fn fn;
	void *arg;
	int64_t deadline;
	uint64_t seq;      /* equal deadlines fire in the order they were added */
	uint64_t id;       /* 0 while the slot is free */
	size_t pos;        /* index in the heap; next free slot while free */
	uint32_t gen;
};

struct sigreg {
	loop_signal_fn fn;
	void *arg;
	struct sigaction old;   /* the disposition to put back in loop_free */
	int signo;
	int owned;              /* our handler writes this signal into our pipe */
	int pending;
};

struct loop {
	struct watcher *w;
	struct pollfd *pfd;      /* parallel to w, handed to poll() as is */
	size_t nw, capw;
	size_t *fdmap;           /* fd -> index + 1 in w, 0 when not watched */
	size_t nfdmap;
	struct ready *ready;
	size_t capready;
	uint64_t next_serial;

	struct timer *slots;
	size_t nslots, capslots, free_slot;
	size_t *heap;            /* slot indices, min-heap by (deadline, seq) */
	size_t nheap, capheap;
	uint64_t next_seq;
	uint64_t *turn_end;      /* LOOP_TURN_END timers' ids, in the order they were added */
	size_t nturn_end, capturn_end;
	uint64_t *turn_run;      /* the round of them being run */
	size_t capturn_run;

	struct sigreg *sigs;
	size_t nsigs, capsigs;
	int sigpipe[2];

	int64_t now;
	int64_t polled;          /* when the last poll() returned */
	int light;               /* ...having found few descriptors ready */
	int64_t gather_ms;       /* loop_gather: 0, every turn at once */
	int stop;
};

/*
 * Per process, not per loop: a handler cannot know which loop it serves.
 * sig_wfd holds the write end + 1 (0 = drop the signal) so that the zero
 * initialisation is safe.
 */
static volatile sig_atomic_t sig_wfd[LOOP_SIGNAL_LIMIT];
static struct loop *sig_owner[LOOP_SIGNAL_LIMIT];

static void
on_signal(int signo)
{
	int saved = errno;
	unsigned char byte = (unsigned char)signo;
	int fd = -1;
	ssize_t r;

	if (signo > 0 && signo < LOOP_SIGNAL_LIMIT)
		fd = (int)sig_wfd[signo] - 1;
	/* A full pipe already holds a wake-up; losing this byte loses nothing. */
	if (fd >= 0) {
		r = write(fd, &byte, 1);
		(void)r;
	}
	errno = saved;
}

static void *
array_grow(void *p, size_t *cap, size_t need, size_t elsize)
{
	size_t n = *cap ? *cap : LOOP_INITIAL_ENTRIES;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	*cap = n;
	return xreallocarray(p, n, elsize);
}

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	struct sigaction sa;

	l->w = array_grow(NULL, &l->capw, LOOP_INITIAL_ENTRIES, sizeof(*l->w));
	l->pfd = xreallocarray(NULL, l->capw, sizeof(*l->pfd));
	l->free_slot = NO_SLOT;
	l->next_seq = 1;
	l->sigpipe[0] = l->sigpipe[1] = -1;
	l->now = compat_monotonic_ms();

	/* A peer that goes away must cost us an EPIPE, not the process. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	return l;
}

void
loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nsigs; i++) {
		struct sigreg *r = &l->sigs[i];

		if (!r->owned || sig_owner[r->signo] != l)
			continue;
		sig_wfd[r->signo] = 0;
		sig_owner[r->signo] = NULL;
		sigaction(r->signo, &r->old, NULL);
	}
	/* In a forked child these are the child's copies: the parent keeps its pipe. */
	if (l->sigpipe[0] >= 0)
		close(l->sigpipe[0]);
	if (l->sigpipe[1] >= 0)
		close(l->sigpipe[1]);
	free(l->w);
	free(l->pfd);
	free(l->fdmap);
	free(l->ready);
	free(l->slots);
	free(l->heap);
	free(l->turn_end);
	free(l->turn_run);
	free(l->sigs);
	free(l);
}

/* Index + 1 of fd's watcher, 0 when fd is not watched. */
static size_t
watch_slot(const struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nfdmap)
		return 0;
	return l->fdmap[fd];
}

static void
apply_events(struct loop *l, size_t i, int events)
{
	short pe = 0;

	events &= LOOP_READ | LOOP_WRITE | LOOP_HANGUP;
	if (events & LOOP_READ)
		pe |= POLLIN;
	if (events & LOOP_WRITE)
		pe |= POLLOUT;
	l->w[i].events = events;
	/* An idle watcher stays out of poll(): a hung-up peer would wake us forever. */
	l->pfd[i].fd = events ? l->w[i].fd : -1;
	l->pfd[i].events = pe;
	l->pfd[i].revents = 0;
}

int
loop_watch(struct loop *l, int fd, int events, loop_fd_fn fn, void *arg)
{
	size_t i;

	if (fd < 0 || fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	i = watch_slot(l, fd);
	if (i == 0) {
		if ((size_t)fd >= l->nfdmap) {
			size_t old = l->nfdmap;
			size_t n = old ? old : LOOP_INITIAL_ENTRIES;

			while (n <= (size_t)fd)
				n *= 2;
			l->fdmap = xreallocarray(l->fdmap, n, sizeof(*l->fdmap));
			memset(l->fdmap + old, 0, (n - old) * sizeof(*l->fdmap));
			l->nfdmap = n;
		}
		if (l->nw == l->capw) {
			size_t cap = l->capw;

			l->w = array_grow(l->w, &cap, l->nw + 1, sizeof(*l->w));
			l->pfd = xreallocarray(l->pfd, cap, sizeof(*l->pfd));
			l->capw = cap;
		}
		i = l->nw++;
		l->w[i].fd = fd;
		l->w[i].serial = ++l->next_serial;
		l->fdmap[fd] = i + 1;
	} else {
		i--;
	}
	l->w[i].fn = fn;
	l->w[i].arg = arg;
	apply_events(l, i, events);
	return 0;
}

void
loop_set_events(struct loop *l, int fd, int events)
{
	size_t i = watch_slot(l, fd);

	if (i != 0)
		apply_events(l, i - 1, events);
}

void
loop_unwatch(struct loop *l, int fd)
{
	size_t i = watch_slot(l, fd);
	size_t last;

	if (i == 0)
		return;
	i--;
	last = l->nw - 1;
	if (i != last) {
		l->w[i] = l->w[last];
		l->pfd[i] = l->pfd[last];
		l->fdmap[l->w[i].fd] = i + 1;
	}
	l->nw--;
	l->fdmap[fd] = 0;
}

static int
timer_before(const struct loop *l, size_t a, size_t b)
{
	const struct timer *x = &l->slots[a];
	const struct timer *y = &l->slots[b];

	if (x->deadline != y->deadline)
		return x->deadline < y->deadline;
	return x->seq < y->seq;
}

static void
heap_put(struct loop *l, size_t pos, size_t slot)
{
	l->heap[pos] = slot;
	l->slots[slot].pos = pos;
}

static void
sift_up(struct loop *l, size_t pos)
{
	size_t slot = l->heap[pos];

	while (pos > 0) {
		size_t parent = (pos - 1) / 2;

		if (!timer_before(l, slot, l->heap[parent]))
			break;
		heap_put(l, pos, l->heap[parent]);
		pos = parent;
	}
	heap_put(l, pos, slot);
}

static void
sift_down(struct loop *l, size_t pos)
{
	size_t slot = l->heap[pos];

	for (;;) {
		size_t child = 2 * pos + 1;

		if (child >= l->nheap)
			break;
		if (child + 1 < l->nheap && timer_before(l, l->heap[child + 1], l->heap[child]))
			child++;
		if (!timer_before(l, l->heap[child], slot))
			break;
		heap_put(l, pos, l->heap[child]);
		pos = child;
	}
	heap_put(l, pos, slot);
}

static void
heap_remove(struct loop *l, size_t pos)
{
	size_t last = --l->nheap;

	if (pos == last)
		return;
	heap_put(l, pos, l->heap[last]);
	sift_down(l, pos);
	sift_up(l, pos);
}

static void
slot_release(struct loop *l, size_t s)
{
	l->slots[s].id = 0;
	l->slots[s].fn = NULL;
	l->slots[s].arg = NULL;
	l->slots[s].pos = l->free_slot;
	l->free_slot = s;
}

uint64_t
loop_timer_add(struct loop *l, int64_t after_ms, loop_timer_fn fn, void *arg)
{
	struct timer *t;
	size_t s;

	if (after_ms < 0 && after_ms != LOOP_TURN_END)
		after_ms = 0;
	if (l->free_slot != NO_SLOT) {
		s = l->free_slot;
		l->free_slot = l->slots[s].pos;
	} else {
		l->slots = array_grow(l->slots, &l->capslots, l->nslots + 1, sizeof(*l->slots));
		s = l->nslots++;
		l->slots[s].gen = 0;
	}
	t = &l->slots[s];
	t->fn = fn;
	t->arg = arg;
	t->seq = l->next_seq++;
	t->gen++;
	t->id = ((uint64_t)t->gen << TIMER_GEN_SHIFT) | (((uint64_t)s + 1) & TIMER_SLOT_MASK);
	if (after_ms == LOOP_TURN_END) {
		t->deadline = l->now;
		t->pos = TURN_END_POS;
		l->turn_end = array_grow(l->turn_end, &l->capturn_end, l->nturn_end + 1, sizeof(*l->turn_end));
		l->turn_end[l->nturn_end++] = t->id;
		return t->id;
	}
	t->deadline = after_ms > INT64_MAX - l->now ? INT64_MAX : l->now + after_ms;

	l->heap = array_grow(l->heap, &l->capheap, l->nheap + 1, sizeof(*l->heap));
	heap_put(l, l->nheap++, s);
	sift_up(l, l->nheap - 1);
	return t->id;
}

void
loop_timer_cancel(struct loop *l, uint64_t id)
{
	uint64_t low = id & TIMER_SLOT_MASK;
	size_t s;

	if (low == 0 || low > l->nslots)
		return;
	s = (size_t)(low - 1);
	if (l->slots[s].id != id)
		return;
	/* An end-of-turn one stays listed by id; a released slot's id no longer matches. */
	if (l->slots[s].pos != TURN_END_POS)
		heap_remove(l, l->slots[s].pos);
	slot_release(l, s);
}

/*
 * Fire due timers. Timers added while firing wait for the next iteration,
 * so a callback re-arming itself at 0 ms cannot starve descriptors.
 */
static void
run_timers(struct loop *l)
{
	uint64_t horizon = l->next_seq;

	while (l->nheap > 0) {
		size_t s = l->heap[0];
		struct timer *t = &l->slots[s];
		loop_timer_fn fn;
		void *arg;

		if (t->deadline > l->now || t->seq >= horizon)
			break;
		fn = t->fn;
		arg = t->arg;
		heap_remove(l, 0);
		slot_release(l, s);
		fn(l, arg);
	}
}

/*
 * The end-of-turn timers, those they add included, up to TURN_END_ROUNDS
 * rounds: one re-adding itself for ever cannot keep the loop from poll().
 */
static void
run_turn_end(struct loop *l)
{
	for (int round = 0; round < TURN_END_ROUNDS && l->nturn_end > 0; round++) {
		uint64_t *ids = l->turn_end;
		size_t n = l->nturn_end, cap = l->capturn_end;

		/* This round's list is run while the next one fills. */
		l->turn_end = l->turn_run;
		l->capturn_end = l->capturn_run;
		l->nturn_end = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t low = ids[i] & TIMER_SLOT_MASK;
			size_t s = (size_t)(low - 1);
			loop_timer_fn fn;
			void *arg;

			if (l->slots[s].id != ids[i])
				continue;   /* cancelled */
			fn = l->slots[s].fn;
			arg = l->slots[s].arg;
			slot_release(l, s);
			fn(l, arg);
		}
		l->turn_run = ids;
		l->capturn_run = cap;
	}
}

static void
drain_signals(struct loop *l, int fd, int events, void *arg)
{
	unsigned char bytes[LOOP_SIGNAL_READ_BYTES];
	ssize_t n;
	size_t i, k;

	(void)events;
	(void)arg;
	for (;;) {
		n = read(fd, bytes, sizeof(bytes));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < (size_t)n; i++)
			for (k = 0; k < l->nsigs; k++)
				if (l->sigs[k].signo == bytes[i])
					l->sigs[k].pending = 1;
	}
	/* Signals coalesce anyway; one callback per signal per wake-up. */
	for (k = 0; k < l->nsigs; k++) {
		if (!l->sigs[k].pending)
			continue;
		l->sigs[k].pending = 0;
		l->sigs[k].fn(l, l->sigs[k].signo, l->sigs[k].arg);
	}
}

static struct sigreg *
find_sig(struct loop *l, int signo)
{
	size_t i;

	for (i = 0; i < l->nsigs; i++)
		if (l->sigs[i].signo == signo)
			return &l->sigs[i];
	return NULL;
}

int
loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg)
{
	struct sigaction sa, old;
	struct sigreg *r;
	struct loop *prev;
	sig_atomic_t prev_wfd;
	int added = 0;

	if (signo <= 0 || signo >= LOOP_SIGNAL_LIMIT || fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (l->sigpipe[0] < 0) {
		if (compat_pipe(l->sigpipe) == -1) {
			l->sigpipe[0] = l->sigpipe[1] = -1;
			return -1;
		}
		loop_watch(l, l->sigpipe[0], LOOP_READ, drain_signals, NULL);
	}
	r = find_sig(l, signo);
	if (r == NULL) {
		l->sigs = array_grow(l->sigs, &l->capsigs, l->nsigs + 1, sizeof(*l->sigs));
		r = &l->sigs[l->nsigs++];
		memset(r, 0, sizeof(*r));
		r->signo = signo;
		added = 1;
	}
	r->fn = fn;
	r->arg = arg;
	if (r->owned && sig_owner[signo] == l)
		return 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
	prev = sig_owner[signo];
	prev_wfd = sig_wfd[signo];
	sig_wfd[signo] = l->sigpipe[1] + 1;
	if (sigaction(signo, &sa, &old) == -1) {
		int saved = errno;

		sig_wfd[signo] = prev_wfd;
		if (added)
			l->nsigs--;
		errno = saved;
		return -1;
	}
	/*
	 * Taking a signal over from another loop (say, the parent's loop in a
	 * forked child): what that loop would have restored is what we restore.
	 */
	if (prev != NULL && prev != l) {
		struct sigreg *pr = find_sig(prev, signo);

		if (pr != NULL && pr->owned) {
			r->old = pr->old;
			pr->owned = 0;
		} else {
			r->old = old;
		}
	} else {
		r->old = old;
	}
	r->owned = 1;
	sig_owner[signo] = l;
	return 0;
}

int64_t
loop_now(struct loop *l)
{
	return l->now;
}

static void
dispatch_fds(struct loop *l)
{
	size_t i, n = 0;

	l->ready = array_grow(l->ready, &l->capready, l->nw, sizeof(*l->ready));
	for (i = 0; i < l->nw; i++) {
		if (l->pfd[i].revents == 0 || l->pfd[i].fd < 0)
			continue;
		l->ready[n].fd = l->w[i].fd;
		l->ready[n].serial = l->w[i].serial;
		l->ready[n].revents = l->pfd[i].revents;
		n++;
	}
	for (i = 0; i < n; i++) {
		size_t k = watch_slot(l, l->ready[i].fd);
		struct watcher *w;
		short re = l->ready[i].revents;
		int ev = 0;

		if (k == 0)
			continue;
		w = &l->w[k - 1];
		/* Unwatched and re-watched (or idled) since poll(): not this event's owner. */
		if (w->serial != l->ready[i].serial || w->events == 0)
			continue;
		if ((re & POLLIN) && (w->events & LOOP_READ))
			ev |= LOOP_READ;
		if ((re & POLLOUT) && (w->events & LOOP_WRITE))
			ev |= LOOP_WRITE;
		if (re & (POLLERR | POLLHUP | POLLNVAL))
			ev |= LOOP_ERROR;
		if (ev != 0)
			w->fn(l, w->fd, ev, w->arg);
	}
}

void
loop_gather(struct loop *l, int64_t ms)
{
	l->gather_ms = ms > 0 ? ms : 0;
}

/*
 * Sleep out the rest of the gather time since the last poll() (never past
 * wait_ms, the next timer's due time); returns what is left of wait_ms.
 * A signal cuts the sleep short: its byte is in the self-pipe for poll().
 */
static int64_t
coalesce(struct loop *l, int64_t wait_ms)
{
	int64_t gap = l->polled + l->gather_ms - l->now;
	int64_t before = l->now;
	struct timespec ts;

	if (gap <= 0)
		return wait_ms;
	if (wait_ms >= 0 && gap > wait_ms)
		gap = wait_ms;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)gap * NS_PER_MS;
	nanosleep(&ts, NULL);
	l->now = compat_monotonic_ms();
	if (wait_ms < 0)
		return -1;
	return wait_ms > l->now - before ? wait_ms - (l->now - before) : 0;
}

int
loop_run_once(struct loop *l, int64_t max_wait_ms)
{
	int64_t wait = max_wait_ms < 0 ? -1 : max_wait_ms;
	int64_t log_due;
	int n, saved = 0;

	l->now = compat_monotonic_ms();
	if (l->nturn_end > 0)
		wait = 0;   /* left over from the last turn's rounds */
	if (l->nheap > 0) {
		int64_t d = l->slots[l->heap[0]].deadline - l->now;

		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	/* A folded log line's count is shown within a second even if the daemon goes quiet. */
	log_due = log_repeats_due_ms();
	if (log_due >= 0 && (wait < 0 || log_due < wait))
		wait = log_due;
	if (wait != 0 && l->gather_ms > 0 && l->light && l->nw >= LOOP_COALESCE_FDS)
		wait = coalesce(l, wait);
	if (wait > INT_MAX)
		wait = INT_MAX;
	n = poll(l->pfd, (nfds_t)l->nw, (int)wait);
	if (n < 0)
		saved = errno;
	l->now = compat_monotonic_ms();
	l->polled = l->now;
	l->light = n >= 0 && (size_t)n * LOOP_COALESCE_SHARE < l->nw;
	if (n > 0)
		dispatch_fds(l);
	run_timers(l);
	run_turn_end(l);
	log_flush_repeats();
	if (n < 0 && saved != EINTR) {
		errno = saved;
		return -1;
	}
	return 0;
}

int
loop_run(struct loop *l)
{
	while (!l->stop)
		loop_run_once(l, -1);
	/* Cleared on the way out so the loop can be run again. */
	l->stop = 0;
	return 0;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}
