/* Generating the virt device tree (see fdt.h). */
#include "boot/fdt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "core/isa.h"
#include "core/machine.h"
#include "devices/clint.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/syscon.h"
#include "devices/uart.h"
#include "devices/virtio_mmio.h"

/* The tree is handed over packed, as QEMU does: OpenSBI makes room for its
 * own fixups, and Linux then reserves the same number of pages as on
 * QEMU, which keeps the boot logs comparable. */
enum { FDT_BUF = 256 << 10 };

/* Interrupt causes as the cpu-intc numbers them (mip bits). */
enum { IRQ_S_SOFT = 1, IRQ_M_SOFT = 3, IRQ_S_TIMER = 5, IRQ_M_TIMER = 7,
       IRQ_S_EXT = 9, IRQ_M_EXT = 11 };

/* Phandles: cpu i = 1 + 2i, its intc = 2 + 2i, then the PLIC and the
 * test finisher. Fixed numbers keep the blob identical run to run. */
static uint32_t ph_cpu(unsigned i) { return 1 + 2 * i; }
static uint32_t ph_intc(unsigned i) { return 2 + 2 * i; }
static uint32_t ph_plic(const FdtConfig *c) { return 1 + 2 * c->nharts; }
static uint32_t ph_test(const FdtConfig *c) { return 2 + 2 * c->nharts; }

/* Every libfdt call goes through this: the first error wins and the rest
 * of the calls become no-ops. */
typedef struct Builder {
    void *fdt;
    int err;
    const char *what; /* the node or property that failed */
} Builder;

static void check(Builder *b, int r, const char *what)
{
    if (r < 0 && !b->err) {
        b->err = r;
        b->what = what;
    }
}

static void begin(Builder *b, const char *name)
{
    if (!b->err)
        check(b, fdt_begin_node(b->fdt, name), name);
}

static void end(Builder *b)
{
    if (!b->err)
        check(b, fdt_end_node(b->fdt), "end node");
}

static void prop(Builder *b, const char *name, const void *val, size_t len)
{
    if (!b->err)
        check(b, fdt_property(b->fdt, name, val, (int)len), name);
}

static void prop_str(Builder *b, const char *name, const char *s)
{
    prop(b, name, s, strlen(s) + 1);
}

/* A string list: pass the literal with embedded NULs and its sizeof. */
#define PROP_STRLIST(b, name, lit) prop((b), (name), (lit), sizeof(lit))

static void prop_u32(Builder *b, const char *name, uint32_t v)
{
    fdt32_t be = cpu_to_fdt32(v);
    prop(b, name, &be, sizeof(be));
}

static void prop_u64(Builder *b, const char *name, uint64_t v)
{
    fdt64_t be = cpu_to_fdt64(v);
    prop(b, name, &be, sizeof(be));
}

static void prop_cells(Builder *b, const char *name, const uint32_t *cells, size_t n)
{
    fdt32_t be[64];
    if (n > sizeof(be) / sizeof(be[0])) {
        check(b, -FDT_ERR_NOSPACE, name);
        return;
    }
    for (size_t i = 0; i < n; i++)
        be[i] = cpu_to_fdt32(cells[i]);
    prop(b, name, be, n * sizeof(be[0]));
}

static void prop_empty(Builder *b, const char *name)
{
    prop(b, name, NULL, 0);
}

/* reg with #address-cells = #size-cells = 2. */
static void prop_reg(Builder *b, uint64_t base, uint64_t size)
{
    const uint32_t cells[4] = { (uint32_t)(base >> 32), (uint32_t)base,
                                (uint32_t)(size >> 32), (uint32_t)size };
    prop_cells(b, "reg", cells, 4);
}

static void node_cpus(Builder *b, const FdtConfig *c)
{
    char name[32], isa[256];
    isa_dt_string(c->isa_ext, isa, sizeof(isa));
    begin(b, "cpus");
    prop_u32(b, "#address-cells", 1);
    prop_u32(b, "#size-cells", 0);
    prop_u32(b, "timebase-frequency", BOOTFDT_TIMEBASE_HZ);
    for (unsigned i = 0; i < c->nharts; i++) {
        snprintf(name, sizeof(name), "cpu@%u", i);
        begin(b, name);
        prop_u32(b, "phandle", ph_cpu(i));
        prop_str(b, "device_type", "cpu");
        prop_u32(b, "reg", i);
        prop_str(b, "status", "okay");
        prop_str(b, "compatible", "riscv");
        prop_str(b, "riscv,isa", isa);
        prop_str(b, "mmu-type", BOOTFDT_MMU_TYPE);
        /* The block size of cbo.* (as QEMU names it, later versions). */
        if (c->isa_ext & ISA_BIT(ISA_ZICBOM))
            prop_u32(b, "riscv,cbom-block-size", ISA_CBO_BLOCK_SIZE);
        if (c->isa_ext & ISA_BIT(ISA_ZICBOZ))
            prop_u32(b, "riscv,cboz-block-size", ISA_CBO_BLOCK_SIZE);
        begin(b, "interrupt-controller");
        prop_u32(b, "#interrupt-cells", 1);
        prop_empty(b, "interrupt-controller");
        prop_str(b, "compatible", "riscv,cpu-intc");
        prop_u32(b, "phandle", ph_intc(i));
        end(b);
        end(b);
    }
    /* One cluster, one core per hart: what Linux's topology code expects
     * when it finds a cpu-map at all. */
    begin(b, "cpu-map");
    begin(b, "cluster0");
    for (unsigned i = 0; i < c->nharts; i++) {
        snprintf(name, sizeof(name), "core%u", i);
        begin(b, name);
        prop_u32(b, "cpu", ph_cpu(i));
        end(b);
    }
    end(b);
    end(b);
    end(b);
}

/* interrupts-extended: for every hart, (intc, irq_a) and (intc, irq_b). */
static void prop_irqs_per_hart(Builder *b, const FdtConfig *c, uint32_t irq_a,
                               uint32_t irq_b)
{
    uint32_t cells[4 * MACHINE_MAX_HARTS];
    size_t n = 0;
    for (unsigned i = 0; i < c->nharts; i++) {
        cells[n++] = ph_intc(i);
        cells[n++] = irq_a;
        cells[n++] = ph_intc(i);
        cells[n++] = irq_b;
    }
    prop_cells(b, "interrupts-extended", cells, n);
}

/* A device on the PLIC. */
static void plic_child(Builder *b, const FdtConfig *c, uint32_t irq)
{
    prop_u32(b, "interrupts", irq);
    prop_u32(b, "interrupt-parent", ph_plic(c));
}

static void node_soc(Builder *b, const FdtConfig *c)
{
    char name[48];
    begin(b, "soc");
    prop_u32(b, "#address-cells", 2);
    prop_u32(b, "#size-cells", 2);
    prop_str(b, "compatible", "simple-bus");
    prop_empty(b, "ranges");

    snprintf(name, sizeof(name), "test@%llx", (unsigned long long)MEM_TEST_BASE);
    begin(b, name);
    prop_u32(b, "phandle", ph_test(c));
    prop_reg(b, MEM_TEST_BASE, SYSCON_SIZE);
    PROP_STRLIST(b, "compatible", "sifive,test1\0sifive,test0\0syscon");
    end(b);

    snprintf(name, sizeof(name), "rtc@%llx", (unsigned long long)GOLDFISH_RTC_BASE);
    begin(b, name);
    plic_child(b, c, GOLDFISH_RTC_IRQ);
    prop_reg(b, GOLDFISH_RTC_BASE, GOLDFISH_RTC_SIZE);
    prop_str(b, "compatible", "google,goldfish-rtc");
    end(b);

    snprintf(name, sizeof(name), "clint@%llx", (unsigned long long)CLINT_BASE);
    begin(b, name);
    prop_irqs_per_hart(b, c, IRQ_M_SOFT, IRQ_M_TIMER);
    prop_reg(b, CLINT_BASE, CLINT_SIZE);
    PROP_STRLIST(b, "compatible", "sifive,clint0\0riscv,clint0");
    end(b);

    snprintf(name, sizeof(name), "plic@%llx", (unsigned long long)PLIC_BASE);
    begin(b, name);
    prop_u32(b, "phandle", ph_plic(c));
    prop_u32(b, "riscv,ndev", PLIC_NDEV);
    prop_reg(b, PLIC_BASE, PLIC_SIZE);
    /* Context 2h is hart h's M mode, 2h+1 its S mode (devices/plic.h). */
    prop_irqs_per_hart(b, c, IRQ_M_EXT, IRQ_S_EXT);
    prop_empty(b, "interrupt-controller");
    PROP_STRLIST(b, "compatible", "sifive,plic-1.0.0\0riscv,plic0");
    prop_u32(b, "#address-cells", 0);
    prop_u32(b, "#interrupt-cells", 1);
    end(b);

    snprintf(name, sizeof(name), "serial@%llx", (unsigned long long)MEM_UART_BASE);
    begin(b, name);
    plic_child(b, c, BOOTFDT_UART_IRQ);
    prop_u32(b, "clock-frequency", UART_CLOCK_HZ);
    prop_reg(b, MEM_UART_BASE, UART_MMIO_SIZE);
    prop_str(b, "compatible", "ns16550a");
    end(b);

    /* Highest slot first, as QEMU: Linux probes in this order, so the
     * first device given on the command line (in the last slot, see
     * virtio_slot_for) becomes vda. */
    for (unsigned k = VIRTIO_MMIO_SLOTS; k-- > 0;) {
        uint64_t base = virtio_mmio_slot_base(k);
        snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
        begin(b, name);
        plic_child(b, c, virtio_mmio_slot_irq(k));
        prop_reg(b, base, VIRTIO_MMIO_SIZE);
        prop_str(b, "compatible", "virtio,mmio");
        end(b);
    }
    end(b);
}

static void node_syscon_action(Builder *b, const FdtConfig *c, const char *name,
                               const char *compatible, uint32_t value)
{
    begin(b, name);
    prop_u32(b, "value", value);
    prop_u32(b, "offset", 0);
    prop_u32(b, "regmap", ph_test(c));
    prop_str(b, "compatible", compatible);
    end(b);
}

void *bootfdt_build(const FdtConfig *c, size_t *size, char *err, size_t errlen)
{
    if (c->nharts < 1 || c->nharts > MACHINE_MAX_HARTS) {
        snprintf(err, errlen, "device tree: %u harts (1 to %d supported)", c->nharts,
                 MACHINE_MAX_HARTS);
        return NULL;
    }
    Builder b = { .fdt = calloc(1, FDT_BUF) };
    if (!b.fdt) {
        snprintf(err, errlen, "device tree: out of memory");
        return NULL;
    }
    check(&b, fdt_create(b.fdt, FDT_BUF), "create");
    if (!b.err)
        check(&b, fdt_finish_reservemap(b.fdt), "reserve map");
    begin(&b, "");
    prop_u32(&b, "#address-cells", 2);
    prop_u32(&b, "#size-cells", 2);
    prop_str(&b, "compatible", "riscv-virtio");
    prop_str(&b, "model", BOOTFDT_MODEL);

    begin(&b, "chosen");
    if (c->bootargs)
        prop_str(&b, "bootargs", c->bootargs);
    char stdout_path[48];
    snprintf(stdout_path, sizeof(stdout_path), "/soc/serial@%llx",
             (unsigned long long)MEM_UART_BASE);
    prop_str(&b, "stdout-path", stdout_path);
    if (c->initrd_end > c->initrd_start) {
        prop_u64(&b, "linux,initrd-start", c->initrd_start);
        prop_u64(&b, "linux,initrd-end", c->initrd_end);
    }
    end(&b);

    char name[48];
    snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)c->ram_base);
    begin(&b, name);
    prop_str(&b, "device_type", "memory");
    prop_reg(&b, c->ram_base, c->ram_size);
    end(&b);

    node_cpus(&b, c);
    node_soc(&b, c);
    node_syscon_action(&b, c, "poweroff", "syscon-poweroff", SYSCON_PASS);
    node_syscon_action(&b, c, "reboot", "syscon-reboot", SYSCON_RESET);
    end(&b);
    if (!b.err)
        check(&b, fdt_finish(b.fdt), "finish");

    size_t total = b.err ? 0 : fdt_totalsize(b.fdt);
    if (b.err) {
        snprintf(err, errlen, "device tree: %s: %s", b.what, fdt_strerror(b.err));
        free(b.fdt);
        return NULL;
    }
    *size = total;
    return b.fdt;
}

bool bootfdt_write_file(const char *path, const void *blob, size_t size, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "--dumpdtb %s: %s", path, strerror(errno));
        return false;
    }
    size_t n = fwrite(blob, 1, size, f);
    int e = errno;
    if (fclose(f) != 0 || n != size) {
        snprintf(err, errlen, "--dumpdtb %s: cannot write: %s", path,
                 strerror(n != size ? e : errno));
        return false;
    }
    return true;
}
