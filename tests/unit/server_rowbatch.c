/* rowbatch: concurrent commits share transactions; every row lands once. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../src/server/rowbatch.h"
#include "../../src/server/store.h"
#include "t.h"

static struct store *st;
static struct rowbatch *rb;
static uint8_t cam[STORE_ID_LEN];
static int bad;

static void *
worker(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int i = 0; i < 50; i++) {
		struct store_object o;

		memset(&o, 0, sizeof(o));
		memcpy(o.camera_id, cam, sizeof(cam));
		o.kind = STORE_KIND_SEGMENT;
		o.seq = (uint64_t)(t * 1000 + i);
		o.size = 10;
		randombytes_buf(o.content_id, sizeof(o.content_id));
		randombytes_buf(o.blob_key, sizeof(o.blob_key));
		if (rowbatch_put(rb, &o, 1000) != STORE_OK)
			__atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
		/* The same (camera, kind, seq) again: refused, not duplicated. */
		if (i == 0 && rowbatch_put(rb, &o, 1000) != STORE_EXISTS)
			__atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

int
main(void)
{
	char dir[96], uri[128], cmd[160];
	struct store_pairing p;
	struct store_camera c;
	pthread_t th[8];
	uint64_t tx, rows;
	uint8_t pk[STORE_PK_LEN] = { 1 }, hash[STORE_HASH_LEN] = { 2 };

	if (sodium_init() < 0 || t_mkdtemp(dir, sizeof(dir), "sealcam-rowbatch") == NULL)
		return 1;
	snprintf(uri, sizeof(uri), "sqlite:%s/db", dir);
	st = store_open(uri, 10);
	rb = rowbatch_new(st, 64);
	memset(&p, 0, sizeof(p));
	randombytes_buf(p.id, sizeof(p.id));
	p.expires_ms = 1 << 30;
	snprintf(p.name, sizeof(p.name), "cam");
	randombytes_buf(cam, sizeof(cam));
	if (st == NULL || rb == NULL || store_pairing_create(st, &p, 10, 0) != 0 ||
	    store_pairing_register(st, p.id, cam, pk, pk, 32, hash, 1) != 0)
		return 1;

	t_case("8 threads x 50 uploads commit through shared transactions");
	for (int t = 0; t < 8; t++)
		pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
	for (int t = 0; t < 8; t++)
		pthread_join(th[t], NULL);
	T_EQ(bad, 0);
	rowbatch_stats(rb, &tx, &rows);
	printf("# %llu rows inserted in %llu transactions\n",
	    (unsigned long long)rows, (unsigned long long)tx);
	T_EQ(rows, 400);
	T_ASSERT(tx <= rows);

	t_case("the camera's totals count each object exactly once");
	T_EQ(store_camera_get(st, cam, &c), STORE_OK);
	T_EQ(c.objects, 400);
	T_EQ(c.bytes, 4000);

	t_case("a row for a camera deleted meanwhile is refused");
	T_EQ(store_camera_delete(st, cam), STORE_OK);
	{
		struct store_object o;
		memset(&o, 0, sizeof(o));
		memcpy(o.camera_id, cam, sizeof(cam));
		o.kind = STORE_KIND_SEGMENT;
		o.seq = 99999;
		T_EQ(rowbatch_put(rb, &o, 1000), STORE_NOTFOUND);
	}

	rowbatch_free(rb);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? t_done() : 1;
}
