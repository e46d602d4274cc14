/* upbuf: whole-object buffers are bounded and reused; everything else (and
 * the overflow) streams; every buffer is aligned for O_DIRECT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/upbuf.h"
#include "t.h"

int
main(void)
{
	uint8_t *a, *b, *c, *d, *e;
	size_t ca, cb, cc, cd, ce;

	t_case("init refuses more whole buffers than its maximum");
	T_ASSERT(upbuf_init(UPBUF_WHOLE_MAX + 1) != 0);

	t_case("an object that fits gets a whole buffer, aligned, until they run out");
	T_EQ(upbuf_init(2), 0);
	a = upbuf_get(2u << 20, &ca);
	b = upbuf_get(UPBUF_WHOLE_BYTES, &cb);
	T_ASSERT(a != NULL && b != NULL && a != b);
	T_EQ(ca, (size_t)UPBUF_WHOLE_BYTES);
	T_EQ(cb, (size_t)UPBUF_WHOLE_BYTES);
	T_EQ(upbuf_whole_in_use(), 2u);
	T_ASSERT((uintptr_t)a % UPBUF_ALIGN == 0 && (uintptr_t)b % UPBUF_ALIGN == 0);
	memset(a, 0xa5, ca);                          /* all of it is usable */
	c = upbuf_get(2u << 20, &cc);                 /* none left: streams */
	T_ASSERT(c != NULL);
	T_EQ(cc, (size_t)UPBUF_STREAM_BYTES);
	T_ASSERT((uintptr_t)c % UPBUF_ALIGN == 0);

	t_case("a larger object or one of unknown size streams");
	upbuf_put(a, ca);
	d = upbuf_get(UPBUF_WHOLE_BYTES + 1, &cd);
	e = upbuf_get(0, &ce);
	T_ASSERT(d != NULL && e != NULL);
	T_EQ(cd, (size_t)UPBUF_STREAM_BYTES);
	T_EQ(ce, (size_t)UPBUF_STREAM_BYTES);
	T_EQ(upbuf_whole_in_use(), 1u);

	t_case("a whole buffer given back is handed out again");
	upbuf_put(c, cc);
	c = upbuf_get(3u << 20, &cc);
	T_ASSERT(c == a);
	T_EQ(cc, (size_t)UPBUF_WHOLE_BYTES);
	T_EQ(upbuf_whole_in_use(), 2u);

	t_case("with no whole buffers configured every upload streams");
	upbuf_put(b, cb);
	upbuf_put(c, cc);
	upbuf_put(d, cd);
	upbuf_put(e, ce);
	upbuf_put(NULL, 0);                           /* no-op */
	upbuf_cleanup();
	T_EQ(upbuf_whole_in_use(), 0u);
	a = upbuf_get(2u << 20, &ca);
	T_ASSERT(a != NULL);
	T_EQ(ca, (size_t)UPBUF_STREAM_BYTES);
	upbuf_put(a, ca);
	upbuf_cleanup();
	return t_done();
}
