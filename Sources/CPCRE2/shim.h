// PCRE2 for 8-bit (UTF-8) text: site line profiles are matched with it, with match and depth
// limits so that no pattern can stall the reading of a port (apt: libpcre2-dev).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
