/* The translation logs: -d in_asm (guest instructions of each new TB) and
 * -d out_asm (the host code the native backend made of it, disassembled
 * with capstone when rewind was built with it). With both, each guest
 * instruction is followed by the host code emitted for it. */
#ifndef REWIND_TRANSLATOR_TB_LOG_H
#define REWIND_TRANSLATOR_TB_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "translator/native.h"
#include "translator/tb_cache.h"

/* One guest instruction, as -d in_asm prints it. */
void tb_log_insn(FILE *out, const Op *op);

/* The out_asm record of a TB just translated. map: where its host code is
 * (NULL: the TB has none and runs on the portable backend, for the reason
 * given in why). with_guest: print each guest instruction (the in_asm
 * lines, held back until now) before its host code. */
void tb_log_out_asm(FILE *out, const TB *tb, const NativeTbMap *map, const char *why,
                    bool with_guest);

/* Was rewind built with a host disassembler (capstone)? */
bool tb_log_can_disassemble_host(void);

#endif
