/* Builds the instruction table from the .def files. */
#include "translator/insn_table.h"

const InsnDesc insn_table[] = {
#define INSN(id, nm, mk, mt, ft, fl) \
    { .name = nm, .mask = mk, .match = mt, .fmt = ft, .flags = fl, .fn = op_##id },
#define INSN_X(id, nm, mk, mt, ft, fl, ex) \
    { .name = nm, .mask = mk, .match = mt, .fmt = ft, .flags = fl, .fn = op_##id, \
      .ext = (uint8_t)((ex) + 1) },
#include "translator/insns_int.def"
#include "translator/insns_atomic.def"
#include "translator/insns_fp.def"
#include "translator/insns_sys.def"
#include "translator/insns_bitmanip.def"
#include "translator/insns_zfh.def"
#undef INSN
#undef INSN_X
};

const unsigned insn_table_len = sizeof(insn_table) / sizeof(insn_table[0]);
