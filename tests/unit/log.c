#include "log.h"
#include "t.h"

int
main(void)
{
	enum log_level l;

	t_case("log levels parse");
	T_ASSERT(log_parse_level("warn", &l) == 0 && l == LOG_WARN);
	T_ASSERT(log_parse_level("error", &l) == 0 && l == LOG_ERR);
	T_ASSERT(log_parse_level("loud", &l) == -1);
	t_case("long log line is truncated, not overflowed");
	{
		char big[5000];
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		log_info("test", "v=%s", big);
	}
	return t_done();
}
