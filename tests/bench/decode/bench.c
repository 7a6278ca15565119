/* The decoder's lookup on a real instruction stream: every instruction of
 * a RISC-V binary's raw code (lengths from the low bits, as the translator
 * walks it; compressed ones expanded), decoded 5 times with the direct
 * lookup and with the linear scan of the whole table it replaced.
 *
 *   bench CODE.bin */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "translator/decode.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    if (!f) {
        fprintf(stderr, "usage: bench CODE.bin (raw instructions)\n");
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)n);
    uint32_t *w = malloc((size_t)n / 2 * sizeof(uint32_t) + 4);
    if (!b || !w || fread(b, 1, (size_t)n, f) != (size_t)n)
        return 1;
    fclose(f);
    unsigned count = 0;
    for (long i = 0; i + 4 <= n;) {
        uint16_t lo = (uint16_t)(b[i] | b[i + 1] << 8);
        if ((lo & 3) == 3) {
            w[count++] = lo | (uint32_t)(b[i + 2] | b[i + 3] << 8) << 16;
            i += 4;
        } else {
            w[count++] = rvc_expand(lo);
            i += 2;
        }
    }
    /* A warm-up pass, then the measured one. */
    for (int pass = 0; pass < 2; pass++)
        for (int linear = 0; linear < 2; linear++) {
            double t0 = now();
            unsigned long found = 0;
            for (int r = 0; r < 5; r++)
                for (unsigned i = 0; i < count; i++)
                    found += (linear ? decode_lookup_linear : decode_lookup)(w[i], ~0ULL) != NULL;
            double t = now() - t0;
            if (pass)
                printf("%-13s %u instructions x 5: %.3f s, %.1f ns per lookup (%lu legal)\n",
                       linear ? "linear scan" : "direct lookup", count, t,
                       t / (5.0 * count) * 1e9, found);
        }
    free(b);
    free(w);
    return 0;
}
