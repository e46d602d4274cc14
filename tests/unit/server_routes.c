/* routes: the table is complete and the matcher only accepts well-formed ids. */
#include <sodium.h>

#include "../../src/server/routes.h"
#include "t.h"

int
main(void)
{
	const struct route *r;
	struct route_params p;
	char allow[64];
	const char *cam = "/v1/cameras/0123456789abcdef0123456789abcdef";
	char path[256];

	if (sodium_init() < 0)
		return 1;

	t_case("every route has an access rule and a handler");
	T_EQ(routes_check(), 0);
	for (size_t i = 0; i < routes_count(); i++)
		T_ASSERT(routes_get(i)->access != ACCESS_UNSET);

	t_case("a camera route captures the camera id");
	T_EQ(routes_match("GET", cam, &r, &p, allow, sizeof(allow)), ROUTE_FOUND);
	T_EQ(r->access, ACCESS_VIEWER);
	T_EQ(p.cam[0], 0x01);
	T_EQ(p.cam[15], 0xef);

	t_case("uppercase, short or non-hex camera ids do not match");
	T_EQ(routes_match("GET", "/v1/cameras/0123456789ABCDEF0123456789abcdef", &r, &p,
	    allow, sizeof(allow)), ROUTE_NOT_FOUND);
	T_EQ(routes_match("GET", "/v1/cameras/0123", &r, &p, allow, sizeof(allow)),
	    ROUTE_NOT_FOUND);
	T_EQ(routes_match("GET", "/v1/cameras/0123456789abcdef0123456789abcdeg", &r, &p,
	    allow, sizeof(allow)), ROUTE_NOT_FOUND);

	t_case("kind and sequence are parsed strictly");
	snprintf(path, sizeof(path), "%s/objects/segment/42", cam);
	T_EQ(routes_match("GET", path, &r, &p, allow, sizeof(allow)), ROUTE_FOUND);
	T_EQ(p.kind, 1);
	T_EQ(p.seq, 42);
	snprintf(path, sizeof(path), "%s/objects/thumbnail/0", cam);
	T_EQ(routes_match("GET", path, &r, &p, allow, sizeof(allow)), ROUTE_FOUND);
	T_EQ(p.kind, 3);
	snprintf(path, sizeof(path), "%s/objects/segment/042", cam);
	T_EQ(routes_match("GET", path, &r, &p, allow, sizeof(allow)), ROUTE_NOT_FOUND);
	snprintf(path, sizeof(path), "%s/objects/segment/-1", cam);
	T_EQ(routes_match("GET", path, &r, &p, allow, sizeof(allow)), ROUTE_NOT_FOUND);
	snprintf(path, sizeof(path), "%s/objects/segment/9223372036854775808", cam);
	T_EQ(routes_match("GET", path, &r, &p, allow, sizeof(allow)), ROUTE_NOT_FOUND);
	snprintf(path, sizeof(path), "%s/objects/movie/1", cam);
	T_EQ(routes_match("GET", path, &r, &p, allow, sizeof(allow)), ROUTE_NOT_FOUND);

	t_case("a known path under another method names the allowed ones");
	T_EQ(routes_match("POST", cam, &r, &p, allow, sizeof(allow)), ROUTE_BAD_METHOD);
	T_ASSERT(strstr(allow, "GET") != NULL && strstr(allow, "DELETE") != NULL);

	t_case("HEAD is GET; trailing slashes and extra segments do not match");
	T_EQ(routes_match("HEAD", "/healthz", &r, &p, allow, sizeof(allow)), ROUTE_FOUND);
	T_EQ(routes_match("GET", "/healthz/", &r, &p, allow, sizeof(allow)), ROUTE_NOT_FOUND);
	T_EQ(routes_match("GET", "/v1/me/x", &r, &p, allow, sizeof(allow)), ROUTE_NOT_FOUND);
	T_EQ(routes_match("GET", "", &r, &p, allow, sizeof(allow)), ROUTE_NOT_FOUND);

	t_case("log tiles: the one C2SP spelling of a tile or bundle path, nothing else");
	{
		static const char *const good[] = { "/v1/log/tile/0/000", "/v1/log/tile/0/x001/234.p/17",
		    "/v1/log/tile/entries/000.p/1", "/v1/log/tile/2/x001/x234/067" };
		static const char *const bad[] = { "/v1/log/tile/", "/v1/log/tile/0/0",
		    "/v1/log/tile/0/000.p/256", "/v1/log/tile/00/000", "/v1/log/tile/0/000/",
		    "/v1/log/tile/0/../000", "/v1/log/tile/entries/000.p/0",
		    "/v1/log/tile/0/x000/001", "/v1/log/tile/0/%30%30%30" };
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			T_EQ(routes_match("GET", good[i], &r, &p, allow, sizeof(allow)), ROUTE_FOUND);
			T_ASSERT(strcmp(p.tile, good[i] + 8) == 0);
		}
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			T_EQ(routes_match("GET", bad[i], &r, &p, allow, sizeof(allow)), ROUTE_NOT_FOUND);
		T_EQ(routes_match("GET", "/v1/log/checkpoint", &r, &p, allow, sizeof(allow)), ROUTE_FOUND);
		T_ASSERT(strcmp(r->path, "/v1/log/checkpoint") == 0);
	}

	return t_done();
}
