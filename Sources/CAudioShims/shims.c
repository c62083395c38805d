#include <alsa/asoundlib.h>
#include "CAudioShims.h"

static void quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

void abi_alsa_quiet(void) { snd_lib_error_set_handler(quiet); }
