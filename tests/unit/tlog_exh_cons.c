/* tlog_exh_cons — exhaustive consistency-proof self-test (tlog_exh.h). */
#define EXH_WHAT EXH_CONSISTENCY
#include "tlog_exh.h"
