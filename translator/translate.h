/* Guest code -> translation block. */
#ifndef REWIND_TRANSLATOR_TRANSLATE_H
#define REWIND_TRANSLATOR_TRANSLATE_H

#include <stdint.h>

#include "translator/tb_cache.h"

struct Machine;

/* Find or build the TB for the hart's current pc and the given flags.
 * On a fetch fault the trap is taken and NULL is returned. */
TB *tb_find(Hart *h, uint32_t flags);

/* The flags of the TB the hart would run now (privilege, FS state). */
uint32_t tb_flags_for(const Hart *h);

#endif
