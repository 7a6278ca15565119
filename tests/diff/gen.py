#!/usr/bin/env python3
"""Random RV64GC instruction streams for differential testing (rewind vs QEMU).

Each case is a function of its seed alone: the same seed gives the same
assembly text wherever the case sits in a batch, and the runtime copies the
case code to a fixed address before running it, so even pc-relative values
(auipc, link registers) are identical between a batch and a one-case rerun.

Standard library only.  Usage:
    gen.py --seed S [--cases M] [--units U] -o out.S
writes one assembly file holding cases with seeds S, S+1, ..., S+M-1.
"""

import argparse
import random
import struct
import sys

# Mirrors layout.h.
SCR_MEM_SIZE = 512
SCR_X = 512
SCR_F = 768
SCR_FCSR = 1024
SCR_RET = 1032
SCR_POOL = 1040
POOL_WORDS = 120
TBL_MEM = 0
TBL_FCSR = 512
TBL_F = 520
TBL_X = 776
TBL_POOL = 1032

# Pool slots: ints, doubles, singles (boxed or not).
POOL_INT = (0, 48)
POOL_D = (48, 84)
POOL_S = (84, 120)

M64 = (1 << 64) - 1
DEFAULT_UNITS = 80

# Integer registers a case may write: everything but x0 and sp (x2 holds the
# scratch base for the whole case).
DEST = [1] + list(range(3, 32))
CREGS = list(range(8, 16))          # x8..x15 / f8..f15, the RVC register set

RMS = ["rne", "rtz", "rdn", "rup", "rmm"]
RM_CODE = {"rne": 0, "rtz": 1, "rdn": 2, "rup": 3, "rmm": 4, "dyn": 7}


def d2b(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f2b(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


INT_EDGES = [
    0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
    0xffff, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000,
    0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000001,
    0xffffffff80000000, 0xffffffff7fffffff, 0xffffffffffffffff,
    0xfffffffffffffffe, 0xffffffff00000000, 0x00000000ffffffff,
    0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 0x0123456789abcdef,
]

DOUBLE_EDGES = [
    0x0000000000000000, 0x8000000000000000,                # +-0
    0x7ff0000000000000, 0xfff0000000000000,                # +-inf
    0x7ff8000000000000, 0xfff8000000000000,                # qNaN
    0x7ff8000000000123, 0x7fffffffffffffff,                # qNaN payloads
    0x7ff0000000000001, 0x7ff4000000000000, 0xfff0000000000001,  # sNaN
    0x0000000000000001, 0x8000000000000001,                # min subnormal
    0x000fffffffffffff, 0x800fffffffffffff,                # max subnormal
    0x0010000000000000, 0x8010000000000000,                # min normal
    0x7fefffffffffffff, 0xffefffffffffffff,                # max normal
    0x3ff0000000000000, 0xbff0000000000000, 0x3fe0000000000000,
    0xbfe0000000000000, 0x3fdfffffffffffff,                # 0.5-ulp
    d2b(1.5), d2b(2.5), d2b(-2.5), d2b(3.5), d2b(-0.5001), d2b(0.9999999),
    d2b(2.0 ** 31), d2b(2.0 ** 31 - 1), d2b(2.0 ** 31 - 0.5),
    d2b(2147483647.5), d2b(2147483648.5), d2b(-2.0 ** 31),
    d2b(-2.0 ** 31 - 1), d2b(-2147483648.5), d2b(-2147483648.75),
    d2b(2.0 ** 32), d2b(2.0 ** 32 - 1), d2b(4294967295.5), d2b(4294967296.5),
    d2b(-1.0), d2b(-0.75),
    0x43e0000000000000, 0x43dfffffffffffff,                # 2^63, below
    0xc3e0000000000000, 0xc3e0000000000001,                # -2^63, below
    0x43f0000000000000, 0x43efffffffffffff,                # 2^64, below
    d2b(1e-300), d2b(1.0 / 3), d2b(3.141592653589793), d2b(1e308),
    0x3ca0000000000000, 0x0020000000000000,                # tiny-ish
]

SINGLE_EDGES = [
    0x00000000, 0x80000000, 0x7f800000, 0xff800000,
    0x7fc00000, 0xffc00000, 0x7fc00123, 0x7fffffff,
    0x7f800001, 0x7fa00000, 0xff800001,
    0x00000001, 0x80000001, 0x007fffff, 0x807fffff,
    0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
    f2b(1.0), f2b(-1.0), f2b(0.5), f2b(-0.5), f2b(1.5), f2b(2.5), f2b(-2.5),
    f2b(3.5), f2b(0.99999994), f2b(1.0 / 3), f2b(16777216.0), f2b(16777215.0),
    0x4f000000, 0x4effffff, 0xcf000000, 0xcf000001,        # +-2^31
    0x4f800000, 0x4f7fffff,                                # 2^32
    0x5f000000, 0x5effffff, 0xdf000000, 0xdf000001,        # +-2^63
    0x5f800000, 0x5f7fffff,                                # 2^64
    0x33800000, 0x0c000000, 0x00400000,
]

RR_OPS = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or",
          "and", "addw", "subw", "sllw", "srlw", "sraw"]
# Zba, Zbb, Zbc, Zbs (QEMU 7.2 has them, on by default, as rewind).
BITMANIP_RR = ["add.uw", "sh1add", "sh2add", "sh3add", "sh1add.uw", "sh2add.uw",
               "sh3add.uw", "andn", "orn", "xnor", "max", "maxu", "min", "minu",
               "rol", "ror", "rolw", "rorw", "clmul", "clmulh", "clmulr", "bclr",
               "bext", "binv", "bset"]
BITMANIP_UNARY = ["clz", "ctz", "cpop", "clzw", "cpopw", "sext.b", "sext.h",
                  "zext.h", "orc.b", "rev8"]
# ctzw is left out: QEMU 7.2 counts into the upper word when the lower one
# is zero (tests/guest/isa/bitmanip.S checks it against the spec instead).
BITMANIP_SHIFT = [("slli.uw", 64), ("rori", 64), ("roriw", 32), ("bclri", 64),
                  ("bexti", 64), ("binvi", 64), ("bseti", 64)]
RI_OPS = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"]
MD_OPS = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
          "mulw", "divw", "divuw", "remw", "remuw"]
LOADS = [("lb", 1), ("lh", 2), ("lw", 4), ("ld", 8), ("lbu", 1), ("lhu", 2),
         ("lwu", 4)]
STORES = [("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)]
AMOS = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax",
        "amominu", "amomaxu"]
AQRL = ["", ".aq", ".rl", ".aqrl"]
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]


class CaseGen:
    """Generates the code and initial state of one case from its seed."""

    def __init__(self, seed, index, units=DEFAULT_UNITS, groups=None):
        """groups: restrict the stream to these group names (see GROUPS)."""
        only = set(groups or ())
        plain = _select(self.PLAIN, only)
        control = _select(self.CONTROL, only)
        if only and not plain:
            plain = [("g_alu_rr", 1)]     # bodies of control-flow skips
        self.plain_cum = self._cum(plain)
        self.all_cum = self._cum(plain + control)
        self.r = random.Random(seed)
        self.seed = seed
        self.index = index
        self.units = units
        self.lines = []
        self.nlabel = 0
        self.pool = self.make_pool()

    # ------------------------------------------------------------ values
    def int_edge(self):
        r = self.r
        k = r.random()
        if k < 0.45:
            v = r.choice(INT_EDGES)
            if r.random() < 0.3:
                v = -v
        elif k < 0.6:
            v = r.randint(-20, 20)
        elif k < 0.72:
            v = (1 << r.randrange(64)) + r.randint(-1, 1)
        elif k < 0.85:
            v = r.randint(-(1 << 31), (1 << 31) - 1)
        else:
            v = r.getrandbits(64)
        return v & M64

    def rand_double(self):
        r = self.r
        k = r.random()
        if k < 0.55:
            return r.choice(DOUBLE_EDGES)
        if k < 0.7:
            return d2b(r.randint(-300, 300) / r.choice([1, 2, 4, 3, 8, 10]))
        sign = r.getrandbits(1) << 63
        exp = r.choice([0, 1, 2, 0x3fe, 0x3ff, 0x400, 0x41e, 0x41f, 0x43e,
                        0x43f, 0x7fe, 0x7ff, r.randrange(0x800),
                        0x3ff + r.randint(-60, 60)])
        return sign | (exp << 52) | r.getrandbits(52)

    def rand_single(self):
        r = self.r
        k = r.random()
        if k < 0.55:
            return r.choice(SINGLE_EDGES)
        if k < 0.7:
            return f2b(r.randint(-300, 300) / r.choice([1, 2, 4, 3, 8, 10]))
        sign = r.getrandbits(1) << 31
        exp = r.choice([0, 1, 2, 0x7e, 0x7f, 0x80, 0x9e, 0x9f, 0xbe, 0xbf,
                        0xfe, 0xff, r.randrange(0x100),
                        0x7f + r.randint(-30, 30)])
        return sign | (exp << 23) | r.getrandbits(23)

    def boxed_single(self):
        """A single in a 64-bit register: mostly NaN-boxed, sometimes not."""
        s = self.rand_single()
        k = self.r.random()
        if k < 0.8:
            return (0xffffffff << 32) | s
        if k < 0.9:
            return s
        return (self.r.choice([0xfffffffe, 0x7fffffff, 0xffff0000,
                               self.r.getrandbits(32)]) << 32) | s

    def fp_value(self):
        k = self.r.random()
        if k < 0.45:
            return self.rand_double()
        if k < 0.9:
            return self.boxed_single()
        return self.int_edge()

    def make_pool(self):
        pool = [self.int_edge() for _ in range(*POOL_INT)]
        pool += [self.rand_double() for _ in range(*POOL_D)]
        pool += [self.boxed_single() for _ in range(*POOL_S)]
        return pool

    def init_state(self):
        r = self.r
        mem = bytearray(r.getrandbits(8) for _ in range(SCR_MEM_SIZE))
        for _ in range(16):
            off = r.randrange(0, SCR_MEM_SIZE, 8)
            v = r.choice([self.int_edge, self.rand_double,
                          self.boxed_single])()
            mem[off:off + 8] = struct.pack("<Q", v)
        fcsr = (r.randrange(5) << 5) | r.getrandbits(5)
        f = [self.fp_value() for _ in range(32)]
        x = [0] * 32
        for i in range(1, 32):
            x[i] = self.int_edge() if r.random() < 0.6 else r.getrandbits(64)
        return mem, fcsr, f, x

    # ------------------------------------------------------------ helpers
    def emit(self, s):
        self.lines.append("    " + s)

    def label(self):
        self.nlabel += 1
        return f".Lc{self.index}_{self.nlabel}"

    def xd(self, avoid=()):
        """A destination register (x0 sometimes: the write is dropped)."""
        while True:
            v = 0 if self.r.random() < 0.04 else self.r.choice(DEST)
            if v not in avoid:
                return v

    def xt(self, avoid=()):
        """A temporary that will hold an address: never x0."""
        while True:
            v = self.r.choice(DEST)
            if v not in avoid:
                return v

    def xs(self):
        k = self.r.random()
        if k < 0.05:
            return 0
        if k < 0.07:
            return 2
        return self.r.choice(DEST)

    def fr(self):
        return self.r.randrange(32)

    def rm(self):
        return "dyn" if self.r.random() < 0.3 else self.r.choice(RMS)

    def inject_x(self, reg, p):
        """Sometimes load an edge value into a source register first."""
        if reg in (0, 2) or self.r.random() >= p:
            return
        if self.r.random() < 0.6:
            k = self.r.randrange(*POOL_INT)
            self.emit(f"ld x{reg}, {SCR_POOL + 8 * k}(sp)")
        else:
            v = self.int_edge()
            if v >> 63:
                v -= 1 << 64
            self.emit(f"li x{reg}, {v}")

    def inject_f(self, reg, fmt, p):
        if self.r.random() >= p:
            return
        k = self.r.random()
        if fmt == "s":
            rng = POOL_S if k < 0.85 else (POOL_D if k < 0.95 else POOL_INT)
        else:
            rng = POOL_D if k < 0.85 else (POOL_S if k < 0.95 else POOL_INT)
        slot = self.r.randrange(*rng)
        self.emit(f"fld f{reg}, {SCR_POOL + 8 * slot}(sp)")

    def rvc(self, s):
        self.lines.append("    .option rvc")
        self.emit(s)
        self.lines.append("    .option norvc")

    def imm12(self):
        r = self.r
        k = r.random()
        if k < 0.3:
            return r.choice([0, 1, -1, 2047, -2048, 2046, -2047, 0x7f, 0x80,
                             0xff, 31, 32, 63, 64, 0x555, -0x556])
        if k < 0.6:
            return r.randint(-16, 16)
        return r.randint(-2048, 2047)

    def shamt(self, bits):
        r = self.r
        if r.random() < 0.4:
            return r.choice([0, 1, bits - 1, bits // 2, bits // 2 - 1])
        return r.randrange(bits)

    def mem_addr(self, size, align_p=0.5, avoid=()):
        """An address operand for a size-byte access inside the buffer.

        Mostly sp-relative; sometimes through a temp base set with addi so
        the offset may be negative.  Returns the operand text."""
        r = self.r
        hi = SCR_MEM_SIZE - size
        off = r.randint(0, hi)
        if r.random() < align_p:
            off -= off % size
        if r.random() < 0.8:
            return f"{off}(sp)"
        t = self.xt(avoid)
        base = r.randint(0, SCR_MEM_SIZE)
        self.emit(f"addi x{t}, sp, {base}")
        return f"{off - base}(x{t})"

    # ------------------------------------------------------------ groups
    def g_alu_rr(self, avoid=()):
        op = self.r.choice(RR_OPS)
        a, b = self.xs(), self.xs()
        self.inject_x(a, 0.3)
        self.inject_x(b, 0.3)
        self.emit(f"{op} x{self.xd(avoid)}, x{a}, x{b}")

    def g_alu_ri(self, avoid=()):
        r = self.r
        k = r.random()
        a = self.xs()
        self.inject_x(a, 0.3)
        rd = self.xd(avoid)
        if k < 0.55:
            self.emit(f"{r.choice(RI_OPS)} x{rd}, x{a}, {self.imm12()}")
        elif k < 0.85:
            op = r.choice(["slli", "srli", "srai"])
            self.emit(f"{op} x{rd}, x{a}, {self.shamt(64)}")
        else:
            op = r.choice(["slliw", "srliw", "sraiw"])
            self.emit(f"{op} x{rd}, x{a}, {self.shamt(32)}")

    def g_bitmanip(self, avoid=()):
        r = self.r
        k = r.random()
        a = self.xs()
        self.inject_x(a, 0.4)
        rd = self.xd(avoid)
        if k < 0.5:
            b = self.xs()
            self.inject_x(b, 0.4)
            self.emit(f"{r.choice(BITMANIP_RR)} x{rd}, x{a}, x{b}")
        elif k < 0.75:
            self.emit(f"{r.choice(BITMANIP_UNARY)} x{rd}, x{a}")
        else:
            op, bits = r.choice(BITMANIP_SHIFT)
            self.emit(f"{op} x{rd}, x{a}, {self.shamt(bits)}")

    # Zfh (off on both emulators by default: then every one of these is an
    # illegal instruction on both; run --zfh-elfs / --cpu rv64,Zfh=on for
    # the arithmetic itself).
    HALF_EDGES = [0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7e01, 0x7c01,
                  0x7d00, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7bff, 0xfbff,
                  0x3c00, 0xbc00, 0x3800, 0x3555, 0x4000, 0x4200, 0x5640,
                  0x57ff, 0x7800, 0x0200]

    def half(self, reg):
        """Load a half into f<reg>: mostly NaN-boxed, sometimes not."""
        r = self.r
        v = r.choice(self.HALF_EDGES) if r.random() < 0.6 else r.getrandbits(16)
        box = 0xffffffffffff0000 if r.random() < 0.9 else \
            r.choice([0, 0xfffffffeffff0000, 0xffffffff00000000])
        v = box | v
        if v >> 63:
            v -= 1 << 64
        t = self.xt()
        self.emit(f"li x{t}, {v}")
        self.emit(f"fmv.d.x f{reg}, x{t}")

    def g_fp_half(self):
        r = self.r
        k = r.randrange(7)
        a, b, c = self.fr(), self.fr(), self.fr()
        for x in (a, b, c):
            if r.random() < 0.7:
                self.half(x)
        d = self.fr()
        if k == 0:
            op = r.choice(["fadd", "fsub", "fmul", "fdiv"])
            self.emit(f"{op}.h f{d}, f{a}, f{b}, {self.rm()}")
        elif k == 1:
            op = r.choice(["fmadd", "fmsub", "fnmsub", "fnmadd"])
            self.emit(f"{op}.h f{d}, f{a}, f{b}, f{c}, {self.rm()}")
        elif k == 2:
            op = r.choice(["fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"])
            self.emit(f"{op}.h f{d}, f{a}, f{b}")
        elif k == 3:
            op = r.choice(["feq", "flt", "fle"])
            self.emit(f"{op}.h x{self.xd()}, f{a}, f{b}")
        elif k == 4:
            it = r.choice(["w", "wu", "l", "lu"])
            if r.random() < 0.5:
                self.emit(f"fcvt.{it}.h x{self.xd()}, f{a}, {self.rm()}")
            else:
                s = self.xs()
                self.inject_x(s, 0.5)
                self.emit(f"fcvt.h.{it} f{d}, x{s}, {self.rm()}")
        elif k == 5:
            op = r.choice(["fcvt.s.h", "fcvt.d.h", "fcvt.h.s", "fcvt.h.d",
                           "fsqrt.h"])
            if op in ("fcvt.h.s", "fcvt.h.d"):
                self.inject_f(a, op[-1], 0.6)
            # widening is exact: the assembler takes no rounding mode
            rm = "" if op in ("fcvt.s.h", "fcvt.d.h") else f", {self.rm()}"
            self.emit(f"{op} f{d}, f{a}{rm}")
        else:
            op = r.choice(["fclass.h", "fmv.x.h", "fmv.h.x", "flh", "fsh"])
            if op == "fmv.h.x":
                self.emit(f"fmv.h.x f{d}, x{self.xs()}")
            elif op == "flh":
                self.emit(f"flh f{d}, {self.mem_addr(2)}")
            elif op == "fsh":
                self.emit(f"fsh f{a}, {self.mem_addr(2)}")
            else:
                self.emit(f"{op} x{self.xd()}, f{a}")

    def g_hint(self):
        """pause (Zihintpause, on by default), the Svinval instructions
        (off by default: illegal on both; on in the --zfh-elfs ELFs), and
        the Zicbop prefetch hints (ori x0: never trap)."""
        r = self.r
        k = r.randrange(4)
        if k == 0:
            self.emit("pause")
        elif k == 1:
            self.emit(f"sinval.vma x{self.xs()}, x{self.xs()}")
        elif k == 2:
            self.emit(r.choice(["sfence.w.inval", "sfence.inval.ir"]))
        else:
            self.emit(f"ori x0, x{self.xs()}, {r.choice([0, 1, 3]) + 32 * r.randrange(-64, 64)}")

    def g_upper(self):
        r = self.r
        imm = r.choice([0, 1, 0x80000, 0x7ffff, 0xfffff, r.getrandbits(20)])
        self.emit(f"{r.choice(['lui', 'auipc'])} x{self.xd()}, {imm}")

    def g_muldiv(self):
        op = self.r.choice(MD_OPS)
        a, b = self.xs(), self.xs()
        self.inject_x(a, 0.6)
        self.inject_x(b, 0.6)
        self.emit(f"{op} x{self.xd()}, x{a}, x{b}")

    def g_load(self):
        op, size = self.r.choice(LOADS)
        addr = self.mem_addr(size)
        self.emit(f"{op} x{self.xd()}, {addr}")

    def g_store(self):
        op, size = self.r.choice(STORES)
        src = self.xs()
        self.inject_x(src, 0.3)
        addr = self.mem_addr(size, avoid=(src,))
        self.emit(f"{op} x{src}, {addr}")

    def g_cmem(self):
        r = self.r
        k = r.randrange(8)
        if k == 0:      # sp-based loads
            op, size, fp = r.choice([("c.lwsp", 4, False), ("c.ldsp", 8, False),
                                     ("c.fldsp", 8, True)])
            lim = 252 if size == 4 else 504
            off = r.randrange(0, lim + 1, size)
            rd = f"f{self.fr()}" if fp else f"x{self.xt()}"
            self.rvc(f"{op} {rd}, {off}(sp)")
        elif k == 1:    # sp-based stores
            op, size, fp = r.choice([("c.swsp", 4, False), ("c.sdsp", 8, False),
                                     ("c.fsdsp", 8, True)])
            lim = 252 if size == 4 else 504
            off = r.randrange(0, lim + 1, size)
            if fp:
                rs = f"f{self.fr()}"
            else:
                x = self.xs()
                self.inject_x(x, 0.3)
                rs = f"x{x}"
            self.rvc(f"{op} {rs}, {off}(sp)")
        elif k in (2, 3, 4, 5):    # x8..x15-based through c.addi4spn
            op, size, fp, store = r.choice([
                ("c.lw", 4, False, False), ("c.ld", 8, False, False),
                ("c.fld", 8, True, False), ("c.sw", 4, False, True),
                ("c.sd", 8, False, True), ("c.fsd", 8, True, True)])
            lim = 124 if size == 4 else 248
            off = r.randrange(0, lim + 1, size)
            base = r.randrange(4, SCR_MEM_SIZE - off - size + 1, 4)
            b = r.choice(CREGS)
            other = r.choice(CREGS)
            if store and not fp:
                self.inject_x(other, 0.3)
            self.rvc(f"c.addi4spn x{b}, sp, {base}")
            reg = f"f{other}" if fp else f"x{other}"
            self.rvc(f"{op} {reg}, {off}(x{b})")
        elif k == 6:    # move sp and back, with an sp-relative access between
            m = r.randint(1, 8)
            self.rvc(f"c.addi16sp sp, {16 * m}")
            op, size = r.choice([("c.ldsp", 8), ("c.lwsp", 4), ("c.sdsp", 8),
                                 ("c.swsp", 4)])
            lim = 252 if size == 4 else 504
            off = r.randrange(0, min(lim, SCR_MEM_SIZE - 16 * m - size) + 1,
                              size)
            x = self.xt() if "l" == op[2] else self.xs()
            self.rvc(f"{op} x{x}, {off}(sp)")
            self.rvc(f"c.addi16sp sp, {-16 * m}")
        else:           # move sp down: a negative c.addi16sp
            m = r.randint(1, 32)
            self.rvc(f"c.addi16sp sp, {-16 * m}")
            self.rvc(f"c.addi16sp sp, {16 * m}" if m < 32 else
                     "c.addi16sp sp, 496")
            if m == 32:
                self.rvc("c.addi16sp sp, 16")

    def g_calu(self):
        r = self.r
        k = r.randrange(14)
        cd = r.choice(CREGS)
        cs = r.choice(CREGS)
        if k in (4, 5, 6, 7, 9):
            self.inject_x(cd, 0.3)
        if k in (7, 9):
            self.inject_x(cs, 0.3)
        if k == 0:
            imm = r.choice([i for i in range(-32, 32) if i])
            x = self.xt()
            self.inject_x(x, 0.3)
            self.rvc(f"c.addi x{x}, {imm}")
        elif k == 1:
            x = self.xt()
            self.inject_x(x, 0.3)
            self.rvc(f"c.addiw x{x}, {r.randint(-32, 31)}")
        elif k == 2:
            self.rvc(f"c.li x{self.xt()}, {r.randint(-32, 31)}")
        elif k == 3:
            # nzimm[17:12] is 6 bits signed: 1..31 or -32..-1 (as 20 bits)
            imm = r.randint(1, 31) if r.random() < 0.5 else \
                0x100000 - r.randint(1, 32)
            self.rvc(f"c.lui x{self.xt()}, {imm}")
        elif k == 4:
            op = r.choice(["c.srli", "c.srai"])
            self.rvc(f"{op} x{cd}, {r.randint(1, 63)}")
        elif k == 5:
            self.rvc(f"c.andi x{cd}, {r.randint(-32, 31)}")
        elif k == 6:
            x = self.xt()
            self.inject_x(x, 0.3)
            self.rvc(f"c.slli x{x}, {r.randint(1, 63)}")
        elif k in (7, 9):
            op = r.choice(["c.sub", "c.xor", "c.or", "c.and", "c.subw",
                           "c.addw"])
            self.rvc(f"{op} x{cd}, x{cs}")
        elif k == 8:
            src = r.choice([1] + list(range(2, 32)))
            self.rvc(f"c.mv x{self.xt()}, x{src}")
        elif k == 10:
            src = r.choice([1] + list(range(2, 32)))
            self.inject_x(src, 0.3)
            self.rvc(f"c.add x{self.xt()}, x{src}")
        elif k == 11:
            self.rvc("c.nop")
        elif k == 12:
            self.rvc(f"c.addi4spn x{cd}, sp, {r.randrange(4, 1021, 4)}")
        else:
            self.rvc(f"c.addiw x{self.xt()}, 0")

    def g_amo(self):
        r = self.r
        w = r.choice(["w", "d"])
        size = 4 if w == "w" else 8
        src = self.xs()
        self.inject_x(src, 0.5)
        t = self.xt()
        off = r.randrange(0, SCR_MEM_SIZE - size + 1, size)
        self.emit(f"addi x{t}, sp, {off}")
        self.emit(f"{r.choice(AMOS)}.{w}{r.choice(AQRL)} x{self.xd()}, "
                  f"x{src}, (x{t})")

    def g_lrsc(self):
        r = self.r
        w = r.choice(["w", "d"])
        size = 4 if w == "w" else 8
        src = self.xs()
        self.inject_x(src, 0.4)
        t = self.xt()
        off = r.randrange(0, SCR_MEM_SIZE - size + 1, size)
        self.emit(f"addi x{t}, sp, {off}")
        self.emit(f"lr.{w}{r.choice(AQRL)} x{self.xd(avoid=(t,))}, (x{t})")
        for _ in range(r.randint(0, 2)):
            # Plain ALU ops only (no injected loads) that leave t alone.
            rd = self.xd(avoid=(t,))
            if r.random() < 0.5:
                self.emit(f"{r.choice(RR_OPS)} x{rd}, x{self.xs()}, "
                          f"x{self.xs()}")
            else:
                self.emit(f"{r.choice(RI_OPS)} x{rd}, x{self.xs()}, "
                          f"{self.imm12()}")
        if src == t:
            src = 0
        rd = self.xd()
        # SC's failure code is any nonzero value: compare only zero/nonzero.
        self.emit(f"sc.{w}{r.choice(AQRL)} x{rd}, x{src}, (x{t})")
        if rd:
            self.emit(f"snez x{rd}, x{rd}")
        if r.random() < 0.3:
            # No reservation any more: this SC must fail and store nothing.
            self.emit(f"addi x{t}, sp, {off}")
            rd = self.xd()
            self.emit(f"sc.{w} x{rd}, x{self.xs()}, (x{t})")
            if rd:
                self.emit(f"snez x{rd}, x{rd}")

    def g_fp_arith(self):
        fmt = self.r.choice("sd")
        op = self.r.choice(["fadd", "fsub", "fmul", "fdiv"])
        a, b = self.fr(), self.fr()
        self.inject_f(a, fmt, 0.5)
        self.inject_f(b, fmt, 0.5)
        self.emit(f"{op}.{fmt} f{self.fr()}, f{a}, f{b}, {self.rm()}")

    def g_fp_sqrt(self):
        fmt = self.r.choice("sd")
        a = self.fr()
        self.inject_f(a, fmt, 0.6)
        self.emit(f"fsqrt.{fmt} f{self.fr()}, f{a}, {self.rm()}")

    def g_fp_fma(self):
        fmt = self.r.choice("sd")
        op = self.r.choice(["fmadd", "fmsub", "fnmsub", "fnmadd"])
        a, b, c = self.fr(), self.fr(), self.fr()
        for x in (a, b, c):
            self.inject_f(x, fmt, 0.5)
        self.emit(f"{op}.{fmt} f{self.fr()}, f{a}, f{b}, f{c}, {self.rm()}")

    def g_fp_sgnj(self):
        fmt = self.r.choice("sd")
        op = self.r.choice(["fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx",
                            "fmin", "fmax"])
        a = self.fr()
        b = a if self.r.random() < 0.2 else self.fr()
        self.inject_f(a, fmt, 0.5)
        self.inject_f(b, fmt, 0.5)
        self.emit(f"{op}.{fmt} f{self.fr()}, f{a}, f{b}")

    def g_fp_cmp(self):
        fmt = self.r.choice("sd")
        a, b = self.fr(), self.fr()
        self.inject_f(a, fmt, 0.5)
        if self.r.random() < 0.3:
            self.emit(f"fclass.{fmt} x{self.xd()}, f{a}")
            return
        self.inject_f(b, fmt, 0.5)
        op = self.r.choice(["feq", "flt", "fle"])
        self.emit(f"{op}.{fmt} x{self.xd()}, f{a}, f{b}")

    def g_fp_cvt(self):
        r = self.r
        k = r.randrange(4)
        fmt = r.choice("sd")
        it = r.choice(["w", "wu", "l", "lu"])
        if k == 0:      # fp -> int
            a = self.fr()
            self.inject_f(a, fmt, 0.6)
            self.emit(f"fcvt.{it}.{fmt} x{self.xd()}, f{a}, {self.rm()}")
        elif k == 1:    # int -> fp
            a = self.xs()
            self.inject_x(a, 0.5)
            rd = self.fr()
            if fmt == "d" and it in ("w", "wu"):
                # Exact: binutils takes no rounding mode; give it one anyway.
                if r.random() < 0.4:
                    rs2 = 0 if it == "w" else 1
                    self.emit(f".insn r 0x53, {RM_CODE[self.rm()]}, 0x69, "
                              f"f{rd}, x{a}, x{rs2}")
                else:
                    self.emit(f"fcvt.d.{it} f{rd}, x{a}")
            else:
                self.emit(f"fcvt.{fmt}.{it} f{rd}, x{a}, {self.rm()}")
        elif k == 2:    # d -> s
            a = self.fr()
            self.inject_f(a, "d", 0.6)
            self.emit(f"fcvt.s.d f{self.fr()}, f{a}, {self.rm()}")
        else:           # s -> d (exact)
            a = self.fr()
            self.inject_f(a, "s", 0.6)
            rd = self.fr()
            if r.random() < 0.4:
                self.emit(f".insn r 0x53, {RM_CODE[self.rm()]}, 0x21, "
                          f"f{rd}, f{a}, x0")
            else:
                self.emit(f"fcvt.d.s f{rd}, f{a}")

    def g_fp_mv(self):
        r = self.r
        k = r.randrange(4)
        if k == 0:
            a = self.fr()
            self.inject_f(a, "s", 0.3)
            self.emit(f"fmv.x.w x{self.xd()}, f{a}")
        elif k == 1:
            a = self.fr()
            self.inject_f(a, "d", 0.3)
            self.emit(f"fmv.x.d x{self.xd()}, f{a}")
        else:
            a = self.xs()
            self.inject_x(a, 0.3)
            self.emit(f"fmv.{'w' if k == 2 else 'd'}.x f{self.fr()}, x{a}")

    def g_fp_mem(self):
        r = self.r
        op, size = r.choice([("flw", 4), ("fld", 8), ("fsw", 4), ("fsd", 8)])
        addr = self.mem_addr(size, align_p=0.7)
        self.emit(f"{op} f{self.fr()}, {addr}")

    def g_fcsr(self):
        r = self.r
        k = r.randrange(12)
        rd = self.xd()
        if k == 0:
            self.emit(f"frcsr x{rd}")
        elif k == 1:
            self.emit(f"frrm x{rd}")
        elif k == 2:
            self.emit(f"frflags x{rd}")
        elif k == 3:
            a = self.xs()
            self.inject_x(a, 0.3)
            self.emit(f"fsflags x{rd}, x{a}")
        elif k == 4:
            self.emit(f"fsflagsi x{rd}, {r.randrange(32)}")
        elif k in (5, 6):
            self.emit(f"fsrmi x{rd}, {r.randrange(5)}")
        elif k == 7:
            # Register writes of frm/fcsr: keep frm valid (0-4); the bits
            # above the field must be ignored.
            t = self.xt()
            hi = r.getrandbits(20) if r.random() < 0.3 else 0
            if r.random() < 0.5:
                self.emit(f"li x{t}, {(hi << 3) | r.randrange(5)}")
                self.emit(f"fsrm x{rd}, x{t}")
            else:
                v = (hi << 8) | (r.randrange(5) << 5) | r.getrandbits(5)
                self.emit(f"li x{t}, {v}")
                self.emit(f"fscsr x{rd}, x{t}")
        elif k == 8:
            a = self.xs()
            self.emit(f"{r.choice(['csrrs', 'csrrc'])} x{rd}, fflags, x{a}")
        elif k == 9:
            self.emit(f"{r.choice(['csrrsi', 'csrrci'])} x{rd}, fflags, "
                      f"{r.randrange(32)}")
        elif k == 10:
            # Clearing bits of a valid frm leaves it valid.
            self.emit(f"csrrci x{rd}, frm, {r.randrange(8)}")
        else:
            self.emit(f"csrrc x{rd}, fcsr, x{self.xs()}")

    def g_fence(self):
        self.emit(self.r.choice(["fence", "fence rw, rw", "fence r, r",
                                 "fence w, w", "fence iorw, iorw",
                                 "fence.i", "nop"]))

    # Encodings that must trap (illegal instruction, breakpoint, ecall).
    # Only ones reserved in RV64GC *and* in QEMU's default CPU (which adds
    # Zb*, so e.g. OP with funct7 0x20 and funct3 7 is andn there).
    def g_trap(self):
        r = self.r
        k = r.randrange(8)
        if k == 0:      # reserved static rounding mode
            f7 = r.choice([0x00, 0x01, 0x04, 0x05, 0x08, 0x09, 0x0c, 0x0d])
            self.emit(f".insn r 0x53, {r.choice([5, 6])}, {f7:#x}, "
                      f"f{self.fr()}, f{self.fr()}, f{self.fr()}")
        elif k == 1:    # invalid frm: dynamic-rm ops trap, the others run
            t = self.xt()
            sv = self.xt(avoid=(t,))
            frm = r.choice([5, 6, 7])
            self.emit(f"li x{t}, {(frm << 5) | r.getrandbits(5)}")
            self.emit(f"fscsr x{sv}, x{t}")
            for _ in range(r.randint(1, 3)):
                fmt = r.choice("sd")
                a, b, c = self.fr(), self.fr(), self.fr()
                j = r.randrange(5)
                if j == 0:
                    self.emit(f"fadd.{fmt} f{a}, f{b}, f{c}, dyn")
                elif j == 1:
                    self.emit(f"fmadd.{fmt} f{a}, f{b}, f{c}, f{a}, dyn")
                elif j == 2:
                    self.emit(f".insn r 0x53, 7, 0x21, f{a}, f{b}, x0")
                elif j == 3:
                    self.emit(f"fmul.{fmt} f{a}, f{b}, f{c}, {r.choice(RMS)}")
                else:
                    self.emit(f"fsgnjx.{fmt} f{a}, f{b}, f{c}")
            self.emit(f"fscsr x{sv}")
        elif k == 2:    # reserved compressed encodings
            cr = r.randrange(8)
            rd = r.choice([1, 3] + list(range(4, 32)))
            imm = r.getrandbits(6)
            enc = r.choice([
                0x0000,                                     # all zero
                0x0000 | (cr << 2) | (1 << 2 if cr == 0 else 0),  # addi4spn 0
                0x6001 | (rd << 7),                         # c.lui nzimm=0
                0x6101,                                     # c.addi16sp 0
                0x4002 | ((imm & 32) << 7) | ((imm & 31) << 2),  # c.lwsp x0
                0x6002 | ((imm & 32) << 7) | ((imm & 31) << 2),  # c.ldsp x0
                0x8002,                                     # c.jr x0
                0x2001 | ((imm & 32) << 7) | ((imm & 31) << 2),  # c.addiw x0
                0x9c41 | (cr << 7) | (r.getrandbits(3) << 2)     # CA, f2=10
                | (r.getrandbits(1) << 5),                  # ... or 11
            ])
            self.emit(f".2byte {enc:#06x}")
        elif k == 3:    # RV64 W shifts with shamt[5] set
            f3, hi = r.choice([(1, 0), (5, 0), (5, 0x400)])
            self.emit(f".insn i 0x1b, {f3}, x{self.xd()}, x{self.xs()}, "
                      f"{hi | 32 | r.randrange(32)}")
        elif k == 4:
            self.emit(r.choice(["ebreak", "ecall", "c.ebreak"])
                      if r.random() < 0.9 else "unimp")
            if self.lines[-1].strip() == "c.ebreak":
                self.lines[-1:] = []
                self.rvc("c.ebreak")
        elif k == 5:    # FP: reserved rs2 / funct3 / quad format
            a, b, c = self.fr(), self.fr(), self.fr()
            j = r.randrange(5)
            if j == 0:  # fcvt int<->fp with rs2 beyond l/lu
                f7 = r.choice([0x60, 0x61, 0x68, 0x69])
                rs2 = r.randrange(4, 32)
                self.emit(f".insn r 0x53, {r.choice(range(5))}, {f7:#x}, "
                          f"f{a}, f{b}, x{rs2}")
            elif j == 1:  # fsqrt with rs2 != 0
                f7 = r.choice([0x2c, 0x2d])
                self.emit(f".insn r 0x53, 0, {f7:#x}, f{a}, f{b}, "
                          f"f{r.randrange(1, 32)}")
            elif j == 2:  # fsgnj funct3 3
                self.emit(f".insn r 0x53, 3, {r.choice([0x10, 0x11]):#x}, "
                          f"f{a}, f{b}, f{c}")
            elif j == 3:  # quad-precision ops (no Q)
                self.emit(f".insn r 0x53, 0, {r.choice([0x03, 0x07]):#x}, "
                          f"f{a}, f{b}, f{c}")
            else:         # fcvt.s.d / fcvt.d.s with a wrong rs2
                self.emit(f".insn r 0x53, 0, {r.choice([0x20, 0x21]):#x}, "
                          f"f{a}, f{b}, f{r.choice([3, 4, 5, 8])}")
        elif k == 6:    # M/W ops that do not exist
            f3 = r.choice([1, 2, 3])
            self.emit(f".insn r 0x3b, {f3}, 0x01, x{self.xd()}, x{self.xs()}, "
                      f"x{self.xs()}")
        else:           # AMO with a reserved funct5
            f5 = r.choice([0x06, 0x07, 0x09, 0x0d, 0x0f, 0x12, 0x1f])
            t = self.xt()
            size = r.choice([4, 8])
            self.emit(f"addi x{t}, sp, {r.randrange(0, 505, 8)}")
            self.emit(f".insn r 0x2f, {2 if size == 4 else 3}, {f5 << 2:#x}, "
                      f"x{self.xd()}, x{t}, x{self.xs()}")

    # Self-modifying code: store a new instruction over a placeholder a few
    # bytes ahead, fence.i, run it.
    SMC_R = [("add", 0, 0, 0x33), ("sub", 0x20, 0, 0x33), ("sll", 0, 1, 0x33),
             ("slt", 0, 2, 0x33), ("sltu", 0, 3, 0x33), ("xor", 0, 4, 0x33),
             ("srl", 0, 5, 0x33), ("sra", 0x20, 5, 0x33), ("or", 0, 6, 0x33),
             ("and", 0, 7, 0x33), ("mul", 1, 0, 0x33), ("mulh", 1, 1, 0x33),
             ("div", 1, 4, 0x33), ("rem", 1, 6, 0x33), ("addw", 0, 0, 0x3b),
             ("subw", 0x20, 0, 0x3b), ("mulw", 1, 0, 0x3b)]

    def g_smc(self):
        r = self.r
        lab = self.label()
        t = self.xt()
        v = self.xt(avoid=(t,))
        rd = self.xd()
        rs1, rs2 = r.randrange(32), r.randrange(32)
        if r.random() < 0.7:
            name, f7, f3, opc = r.choice(self.SMC_R)
            enc = (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | \
                (rd << 7) | opc
            text = f"{name} x{rd}, x{rs1}, x{rs2}"
            store, hole = "sw", "nop"
        else:
            rd = self.xt()
            if r.random() < 0.5:        # c.add rd, rs2 (rs2 != 0)
                rs2 = r.randrange(1, 32)
                enc = 0x9002 | (rd << 7) | (rs2 << 2)
                text = f"c.add x{rd}, x{rs2}"
            else:                       # c.li rd, imm
                imm = r.randint(-32, 31) & 63
                enc = 0x4001 | ((imm & 32) << 7) | (rd << 7) | ((imm & 31) << 2)
                text = f"c.li x{rd}, {imm - 64 if imm & 32 else imm}"
            store, hole = "sh", "c.nop"
        self.emit(f"lla x{t}, {lab}")
        self.emit(f"li x{v}, {enc}")
        self.emit(f"{store} x{v}, 0(x{t})")
        self.emit("fence.i")
        self.lines.append(f"{lab}:    # becomes: {text}")
        if hole == "c.nop":
            self.rvc("c.nop")
        else:
            self.emit("nop")

    # Control flow: forward skips over a short body of plain units.
    def body(self, most=4):
        for _ in range(self.r.randint(1, most)):
            self.plain_unit()

    def g_branch(self):
        r = self.r
        a = self.xs()
        b = a if r.random() < 0.25 else self.xs()
        self.inject_x(a, 0.4)
        if b != a:
            self.inject_x(b, 0.4)
        lab = self.label()
        self.emit(f"{r.choice(BRANCHES)} x{a}, x{b}, {lab}")
        self.body()
        self.lines.append(f"{lab}:")

    def g_jal(self):
        lab = self.label()
        self.emit(f"jal x{self.xd()}, {lab}")
        self.body()
        self.lines.append(f"{lab}:")

    def g_jalr(self):
        r = self.r
        lab = self.label()
        t = self.xt()
        a = r.choice([0, 4, -8, 1, -1, 12])
        b = r.choice([0, 1]) - a      # target lab or lab+1 (bit 0 cleared)
        self.emit(f"lla x{t}, {lab}{a:+d}")
        self.emit(f"jalr x{self.xd()}, {b}(x{t})")
        self.body()
        self.lines.append(f"{lab}:")

    def g_cjump(self):
        r = self.r
        lab = self.label()
        k = r.randrange(5)
        if k == 0:
            self.rvc(f"c.j {lab}")
        elif k in (1, 2):
            c = r.choice(CREGS)
            self.inject_x(c, 0.3)
            if r.random() < 0.3:
                self.emit(f"li x{c}, 0")
            self.rvc(f"{'c.beqz' if k == 1 else 'c.bnez'} x{c}, {lab}")
        else:
            t = self.xt()
            self.emit(f"lla x{t}, {lab}")
            self.rvc(f"{'c.jr' if k == 3 else 'c.jalr'} x{t}")
        self.body(2)        # c.beqz/c.bnez reach only 256 bytes
        self.lines.append(f"{lab}:")

    PLAIN = [
        ("g_alu_rr", 10), ("g_alu_ri", 10), ("g_upper", 2), ("g_muldiv", 8),
        ("g_load", 6), ("g_store", 6), ("g_cmem", 5), ("g_calu", 7),
        ("g_amo", 4), ("g_lrsc", 2), ("g_fp_arith", 8), ("g_fp_sqrt", 3),
        ("g_fp_fma", 6), ("g_fp_sgnj", 6), ("g_fp_cmp", 5), ("g_fp_cvt", 10),
        ("g_fp_mv", 4), ("g_fp_mem", 4), ("g_fcsr", 4), ("g_fence", 1),
        ("g_trap", 1), ("g_smc", 1), ("g_bitmanip", 6), ("g_fp_half", 4),
        ("g_hint", 1),
    ]
    CONTROL = [("g_branch", 5), ("g_jal", 1), ("g_jalr", 1), ("g_cjump", 2)]

    @staticmethod
    def _cum(groups):
        names, cum, tot = [], [], 0
        for n, w in groups:
            tot += w
            names.append(n)
            cum.append(tot)
        return names, cum

    def plain_unit(self):
        names, cum = self.plain_cum
        getattr(self, self.r.choices(names, cum_weights=cum)[0])()

    def unit(self):
        names, cum = self.all_cum
        getattr(self, self.r.choices(names, cum_weights=cum)[0])()

    # ------------------------------------------------------------ output
    def generate(self):
        """Returns (stream lines, mem, fcsr, f, x, pool)."""
        mem, fcsr, f, x = self.init_state()
        for _ in range(self.units):
            self.unit()
        return self.lines, mem, fcsr, f, x, self.pool


GROUPS = [n[2:] for n, _ in CaseGen.PLAIN + CaseGen.CONTROL]


def _select(groups, only):
    if not only:
        return groups
    out = [(n, w) for n, w in groups if n[2:] in only]
    return out


def case_asm(seed, index, units=DEFAULT_UNITS, groups=None):
    """Assembly text (code section part, data section part) of one case."""
    lines, mem, fcsr, f, x, pool = CaseGen(seed, index, units,
                                           groups).generate()
    c = [f"# ==== case {index} seed {seed} begin",
         "    .section .cases.text, \"ax\", @progbits",
         "    .balign 8",
         f"case{index}_code:",
         f"    ld x1, {TBL_FCSR}(x31)",
         "    fscsr x1"]
    c += [f"    fld f{i}, {TBL_F + 8 * i}(x31)" for i in range(32)]
    c += [f"    ld x{i}, {TBL_X + 8 * i}(x31)" for i in range(1, 31) if i != 2]
    c.append(f"    ld x31, {TBL_X + 8 * 31}(x31)")
    c.append("# ---- stream")
    c += lines
    c.append("# ---- end stream")
    c += [f"    sd x{i}, {SCR_X + 8 * i}(sp)" for i in range(1, 32)]
    c += [f"    fsd f{i}, {SCR_F + 8 * i}(sp)" for i in range(32)]
    c += ["    frcsr x1",
          f"    sd x1, {SCR_FCSR}(sp)",
          f"    ld x1, {SCR_RET}(sp)",
          "    jr x1",
          "    .balign 8",
          f"case{index}_end:",
          f"# ==== case {index} seed {seed} end"]
    words = list(struct.unpack(f"<{SCR_MEM_SIZE // 8}Q", bytes(mem)))
    words += [fcsr] + f + x + pool
    d = ["    .section .cases.data, \"a\", @progbits",
         "    .balign 8",
         f"case{index}_tbl:"]
    for i in range(0, len(words), 4):
        d.append("    .dword " + ", ".join(f"0x{w:016x}" for w in words[i:i + 4]))
    return "\n".join(c) + "\n", "\n".join(d) + "\n"


def batch_asm(first_seed, ncases, units=DEFAULT_UNITS, verbose=False,
              groups=None):
    """Assembly source of one ELF: cases with seeds first_seed + i.

    verbose selects the full register/memory dump instead of digests: True
    for every case, an int k for case k only."""
    if verbose is True:
        flag = 1
    elif verbose is False or verbose is None:
        flag = 0
    else:
        flag = 2 + int(verbose)
    out = ["# Generated by tests/diff/gen.py: do not edit.",
           f"# first seed {first_seed}, {ncases} cases, {units} units each",
           "    .option norvc",
           "    .option norelax",
           "    .option arch, +zba, +zbb, +zbc, +zbs, +zfh, +zihintpause, +svinval"]
    data = []
    for i in range(ncases):
        code, tbl = case_asm(first_seed + i, i, units, groups)
        out.append(code)
        data.append(tbl)
    out += data
    out += ["    .section .cases.data, \"a\", @progbits",
            "    .balign 8",
            "    .globl rt_cases",
            "rt_cases:"]
    for i in range(ncases):
        out.append(f"    .dword case{i}_code, case{i}_end, case{i}_tbl, {i}, "
                   f"{first_seed + i}")
    out += ["    .globl rt_ncases",
            "rt_ncases:",
            f"    .dword {ncases}",
            "    .globl rt_verbose",
            "rt_verbose:",
            f"    .dword {flag}", ""]
    return "\n".join(out)


def parse_groups(text):
    """'fp_fma,amo' -> ['fp_fma', 'amo']; None/'' -> None (all groups)."""
    if not text:
        return None
    out = [g.strip() for g in text.split(",") if g.strip()]
    bad = [g for g in out if g not in GROUPS]
    if bad:
        raise SystemExit(f"unknown group(s) {', '.join(bad)}; known: "
                         f"{', '.join(GROUPS)}")
    return out


def case_listing(asm_text, index):
    """The stream part of case `index` in a batch source, for reports."""
    lines = asm_text.splitlines()
    start = f"# ==== case {index} seed "
    out, on = [], False
    for ln in lines:
        if ln.startswith(start) and ln.endswith(" begin"):
            on = True
        elif on and ln == "# ---- end stream":
            break
        elif on and ln == "# ---- stream":
            out = []
        elif on:
            out.append(ln)
    return [ln for ln in out if not ln.strip().startswith(".option")]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--cases", type=int, default=1)
    ap.add_argument("--units", type=int, default=DEFAULT_UNITS)
    ap.add_argument("--verbose", action="store_true",
                    help="full dump instead of digests")
    ap.add_argument("--full-case", type=int, metavar="K",
                    help="full dump for case K only, digests for the rest")
    ap.add_argument("--groups", help="comma-separated subset of: " +
                    ", ".join(GROUPS))
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args(argv)
    verbose = a.full_case if a.full_case is not None else a.verbose
    groups = parse_groups(a.groups)
    text = batch_asm(a.seed, a.cases, a.units, verbose, groups)
    if a.output == "-":
        sys.stdout.write(text)
    else:
        with open(a.output, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
