// What Swift cannot do with ALSA directly: its error handler is a variadic C function.
#pragma once

/// ALSA's library prints its own errors on standard error ("ALSA lib pcm.c: … Unknown PCM");
/// abi reports each failure itself, naming the device, so ALSA's lines are silenced.
void abi_alsa_quiet(void);
