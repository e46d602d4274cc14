/* tlog_exh_incl — exhaustive inclusion-proof self-test (tlog_exh.h). */
#define EXH_WHAT EXH_INCLUSION
#include "tlog_exh.h"
