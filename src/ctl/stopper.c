// SPDX-License-Identifier: GPL-2.0-only
/*
 * A printed stream (panoptesctl events, lifecycle), ended by --count or on
 * SIGINT and SIGTERM.
 * The main thread waits in gRPC for the next message, so a signal handler
 * could not end the wait. The signals are blocked instead, before gRPC
 * starts its threads, and one thread waits for them with sigwait() and
 * cancels the call (or, before there is one, ends the wait for a
 * connection): the wait returns, the status is read, and the process exits
 * 0 with everything freed.
 */
#include "ctl.h"

static void *stopper_main(void *arg)
{
	struct ctl_stopper *st = arg;
	int sig;

	if (sigwait(&st->signals, &sig))
		return NULL;
	/* Cancelled only while in sigwait(), never while holding the lock. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	/* before a call exists, the connection wait looks at this */
	atomic_store(&st->ctl->stop, true);
	pthread_mutex_lock(&st->lock);
	st->stopped = true;
	if (st->stream)
		ctl_stream_cancel(st->stream);
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

int ctl_stopper_start(struct ctl_stopper *st)
{
	sigemptyset(&st->signals);
	sigaddset(&st->signals, SIGINT);
	sigaddset(&st->signals, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &st->signals, NULL) ||
	    pthread_create(&st->thread, NULL, stopper_main, st)) {
		ctl_err("cannot start the signal thread");
		return CTL_EXIT_FAILED;
	}
	st->running = true;
	return 0;
}

bool ctl_stopper_watch(struct ctl_stopper *st, struct ctl_stream *s)
{
	bool stopped;

	pthread_mutex_lock(&st->lock);
	st->stream = s;
	stopped = st->stopped;
	if (s && stopped)
		ctl_stream_cancel(s);
	pthread_mutex_unlock(&st->lock);
	return stopped;
}

void ctl_stopper_stop(struct ctl_stopper *st)
{
	if (st->running) {
		pthread_cancel(st->thread);
		pthread_join(st->thread, NULL);
	}
	st->running = false;
}

/* Reads and prints until the stream ends, `count` is reached or a write fails. */
static int print_loop(struct ctl_stream *s, const ProtobufCMessageDescriptor *desc,
		      int (*print)(const ProtobufCMessage *m, void *arg), void *arg,
		      long long count, bool *done)
{
	ProtobufCMessage *m;
	long long n = 0;
	int err;

	for (;;) {
		err = ctl_stream_next(s, desc, &m);
		if (err || !m)
			return err;
		err = print(m, arg);
		protobuf_c_message_free_unpacked(m, NULL);
		/* Per line: a reader at the other end of a pipe sees each one at once. */
		if (!err)
			err = ctl_flush_stdout();
		if (err)
			return err;
		if (count && ++n == count) {
			*done = true;
			return 0;
		}
	}
}

int ctl_stream_print(struct ctl *ctl, const char *method, const ProtobufCMessage *req,
		     const ProtobufCMessageDescriptor *desc,
		     int (*print)(const ProtobufCMessage *m, void *arg), void *arg, long long count)
{
	struct ctl_stopper st = { .ctl = ctl, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct ctl_stream s = { 0 };
	bool done = false, stopped;
	int err, close_err;

	err = ctl_stopper_start(&st);
	if (err)
		goto out;
	err = ctl_stream_open(ctl, &s, method, req);
	if (!err) {
		ctl_stopper_watch(&st, &s);
		err = print_loop(&s, desc, print, arg, count, &done);
	}
	/* Ours to end: the count reached or a write failed. */
	if (done || err)
		ctl_stream_cancel(&s);
	stopped = ctl_stopper_watch(&st, NULL);
	close_err = ctl_stream_close(&s, done || stopped || err);
	if (!err)
		err = close_err;
out:
	ctl_stopper_stop(&st);
	return err;
}
