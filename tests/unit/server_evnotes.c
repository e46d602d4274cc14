/* evnotes: the server's ring of event notifications for watchers. */
#include <string.h>

#include "../../src/server/evnotes.h"
#include "t.h"

static uint8_t cam_a[STORE_ID_LEN] = { 1 }, cam_b[STORE_ID_LEN] = { 2 };

static int
want_a(void *cookie, const uint8_t cam[STORE_ID_LEN])
{
	(void)cookie;
	return memcmp(cam, cam_a, STORE_ID_LEN) == 0;
}

static int
want_all(void *cookie, const uint8_t cam[STORE_ID_LEN])
{
	(void)cookie;
	(void)cam;
	return 1;
}

static int64_t
add(struct evnotes *en, const uint8_t *cam, int type, uint64_t seq)
{
	struct evnote n = { 0 };
	int64_t id;

	memcpy(n.camera_id, cam, STORE_ID_LEN);
	n.type = type;
	n.seq = seq;
	n.start_ms = (int64_t)seq * 1000;
	evnotes_add(en, &n, &id);
	return id;
}

int
main(void)
{
	struct evnote out[EVNOTES_CAP];
	struct evnotes *en;
	int64_t start, next, id1, id2, old;
	size_t n;
	int gap;

	t_case("a watcher sees only the cameras it may, oldest first, with a cursor");
	en = evnotes_new(1000);
	start = evnotes_last(en);
	id1 = add(en, cam_a, EVNOTE_MOTION, 1);
	add(en, cam_b, EVNOTE_RING, 1);
	id2 = add(en, cam_a, EVNOTE_RECORD, 1);
	T_ASSERT(id1 > start && id2 > id1);
	n = evnotes_since(en, start, want_a, NULL, out, 10, &next, &gap);
	T_EQ(n, 2);
	T_EQ(out[0].id, id1);
	T_EQ(out[0].type, EVNOTE_MOTION);
	T_EQ(out[1].type, EVNOTE_RECORD);
	T_EQ(out[1].start_ms, 1000);
	T_EQ(next, id2);
	T_EQ(gap, 0);
	n = evnotes_since(en, next, want_a, NULL, out, 10, &next, &gap);
	T_EQ(n, 0);
	T_EQ(next, id2);

	t_case("a camera's retry of the same notification is one note");
	T_EQ(add(en, cam_a, EVNOTE_MOTION, 1), id1);
	n = evnotes_since(en, start, want_all, NULL, out, 10, &next, &gap);
	T_EQ(n, 3);

	t_case("ids keep increasing across a restart; an old cursor is told of the gap");
	old = evnotes_last(en);
	evnotes_free(en);
	en = evnotes_new(2000);
	T_ASSERT(evnotes_last(en) >= old);
	id1 = add(en, cam_a, EVNOTE_RING, 7);
	T_ASSERT(id1 > old);
	n = evnotes_since(en, old, want_all, NULL, out, 10, &next, &gap);
	T_EQ(n, 1);
	T_EQ(gap, 1);

	t_case("a full ring drops the oldest; a watcher behind it gets the rest and gap");
	start = evnotes_last(en);
	for (uint64_t s = 1; s <= EVNOTES_CAP + 10; s++)
		add(en, cam_b, EVNOTE_MOTION, 100 + s);
	n = evnotes_since(en, start, want_all, NULL, out, EVNOTES_CAP, &next, &gap);
	T_EQ(gap, 1);
	T_EQ(n, EVNOTES_CAP);
	T_EQ(out[0].seq, 100 + 11);
	T_EQ(next, evnotes_last(en));

	t_case("a batch limit leaves the cursor at the last note returned");
	n = evnotes_since(en, evnotes_last(en) - 5, want_all, NULL, out, 2, &next,
	    &gap);
	T_EQ(n, 2);
	T_EQ(next, evnotes_last(en) - 3);
	T_EQ(gap, 0);

	t_case("a cursor from the future resyncs to the newest id");
	n = evnotes_since(en, evnotes_last(en) + 1000, want_all, NULL, out, 2,
	    &next, &gap);
	T_EQ(n, 0);
	T_EQ(next, evnotes_last(en));
	evnotes_free(en);
	return t_done();
}
