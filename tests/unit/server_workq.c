/* workq: every job runs once, stopping drains the queue, later submits fail. */
#include <stdatomic.h>
#include <unistd.h>

#include "../../src/server/workq.h"
#include "t.h"

static atomic_int ran;

static void
job(void *arg)
{
	(void)arg;
	usleep(100);
	atomic_fetch_add(&ran, 1);
}

int
main(void)
{
	struct workq *q;

	t_case("1000 jobs on 4 threads all run exactly once by the time it stops");
	q = workq_new(4);
	T_ASSERT(q != NULL);
	for (int i = 0; i < 1000; i++)
		T_EQ(workq_submit(q, job, NULL), 0);
	workq_stop(q);
	T_EQ(atomic_load(&ran), 1000);
	T_EQ(workq_pending(q), 0);

	t_case("after stop, submitting fails so the caller runs the job itself");
	T_EQ(workq_submit(q, job, NULL), -1);
	workq_stop(q);            /* idempotent */
	workq_free(q);
	workq_free(NULL);
	return t_done();
}
