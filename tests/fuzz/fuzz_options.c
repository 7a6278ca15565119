/* Fuzz the command-line option parser (tools/options.c) as `rewind run`
 * takes its arguments: the input is an argv, one argument per line (a
 * line may hold anything but a newline: spaces, commas, '=' and ",,"
 * escapes). run_checkpoint_extract takes --until/--save-checkpoint/
 * --from-checkpoint out first, as cmd_run does, then options_parse_run
 * parses the rest; an accepted line gives its machine configuration
 * (run_machine_config) and every string the options point to is read
 * (they may point into RunOptions.values). Each argument also goes
 * through the value parsers on their own (-m sizes, -smp, counts, the
 * -gdb address). Nothing is built or run. A refusal must say why.
 * Seed corpus: tests/fuzz/corpus/options (command lines from the tests
 * and docs); dictionary: options.dict (every option name). */
#include "tests/fuzz/fuzz_support.h"

#include <string.h>

#include "core/gdbstub.h"
#include "tools/commands.h"
#include "tools/options.h"
#include "tools/run_checkpoint.h"

enum { MAX_ARGS = 64, INPUT_MAX = 4096 };

static uint64_t use(const char *s)
{
    return s ? strlen(s) : 0;
}

static uint64_t use_options(const RunOptions *o)
{
    uint64_t sum = use(o->bios) + use(o->kernel) + use(o->append) + use(o->initrd) +
                   use(o->dumpdtb) + use(o->serial) + use(o->name) + use(o->rtc) +
                   use(o->cpu) + use(o->log_file) + use(o->gdb);
    for (unsigned i = 0; i < o->ndrives; i++)
        sum += use(o->drives[i]);
    for (unsigned i = 0; i < o->ndevices; i++)
        sum += use(o->devices[i]);
    for (unsigned i = 0; i < o->nnetdevs; i++)
        sum += use(o->netdevs[i]);
    for (unsigned i = 0; i < o->nnics; i++)
        sum += use(o->nics[i]);
    for (unsigned i = 0; i < o->nobjects; i++)
        sum += use(o->objects[i]);
    for (unsigned i = 0; i < o->nnotes; i++)
        sum += use(o->notes[i]);
    return sum;
}

static void value_parsers(const char *arg)
{
    uint64_t v = 0;
    SmpTopology t;
    char err[256], host[64];
    unsigned port = 0, u = 0;
    fuzz_sink += options_parse_size(arg, &v) + v;
    err[0] = '\0';
    if (!options_parse_smp(arg, &t, err, sizeof(err)) && !err[0])
        abort();
    fuzz_sink += options_parse_count(arg, &v) + v;
    fuzz_sink += options_parse_uint(arg, 1, 64, &u) + u;
    err[0] = '\0';
    if (!gdbstub_parse_spec(arg, host, sizeof(host), &port, err, sizeof(err)) && !err[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > INPUT_MAX)
        return 0;
    /* One argument per line, each NUL-terminated in its own copy. */
    static char buf[INPUT_MAX + 1];
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    for (char *p = buf; argc < MAX_ARGS;) {
        char *nl = memchr(p, '\n', (size_t)(buf + size - p));
        argv[argc++] = p;
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    argv[argc] = NULL;
    for (int i = 0; i < argc; i++)
        value_parsers(argv[i]);

    RunOptions o;
    RunCheckpoint ck;
    char err[512] = "";
    bool ok = run_checkpoint_extract(&ck, &argc, argv, err, sizeof(err)) &&
              options_parse_run(&o, argc, argv, err, sizeof(err));
    fuzz_note("%s\n", ok ? "accepted" : err);
    if (!ok) {
        if (!err[0])
            abort(); /* refused without saying why */
        return 0;
    }
    MachineConfig cfg;
    run_machine_config(&o, &cfg);
    fuzz_sink += use_options(&o) + cfg.nharts + cfg.ram_size;
    return 0;
}
