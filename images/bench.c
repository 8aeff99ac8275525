/* bench.c - the co86 in-guest benchmark: small, deterministic and self-checking.
 *
 * images/build.sh builds it with `gcc -m32 -static -O2 -s ... -lm` (an i686 binary; doubles use the x87) and
 * installs it as /bin/bench in the initramfs; /init runs it when the kernel command line has co86.bench.
 *
 *   bench            run every test
 *   bench NAME...    run only the named tests (alu sieve fib memcpy fp fork)
 *   bench now        print CLOCK_MONOTONIC in whole milliseconds (to time shell work from a script)
 *
 * Output on stdout, one line each:
 *   BENCH <name> <ms> ms                     time of one test, on the guest's own clock
 *   BENCH-WRONG <name> got=<x> want=<y>      the test's checksum is not what a real CPU computes
 *   BENCH total <ms> ms
 *   BENCH-DONE
 * Exit status: 0 when every checksum was right, 1 when one was wrong, 2 for a bad argument.
 *
 * Every test folds its work into a 32-bit checksum and compares it with the value a real x86 gives
 * (measured natively on the build host, which runs this same binary), so an emulator that is fast but
 * wrong cannot pass. The sizes are chosen so the whole run takes about a quarter of a second natively.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static double monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Integer ALU and branches: an LCG, rotates, a data-dependent branch, and a division now and then
 * (DIV is slow on every CPU and easy to get wrong in an emulator). */
static uint32_t test_alu(void) {
    uint32_t lcg = 0x12345678u, rot = 0x9e3779b9u, sum = 0;
    for (uint32_t i = 1; i <= 8000000; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        rot = (rot << 7 | rot >> 25) ^ lcg;
        uint32_t mix = lcg ^ rot;
        if ((int32_t)mix < 0) sum += mix >> 11; else sum -= mix << 3;
        if ((i & 15) == 0) sum ^= lcg / ((rot >> 16) | 1);
    }
    return sum;
}

/* Byte-array sieve of Eratosthenes below 2,000,000 (148,933 primes), four rounds: strided stores over
 * 2 MB of fresh pages, so it also exercises page faults and the TLB. */
enum { SIEVE_LIMIT = 2000000, SIEVE_ROUNDS = 4 };
static unsigned char composite[SIEVE_LIMIT];

static uint32_t test_sieve(void) {
    uint32_t primes = 0;
    for (int round = 0; round < SIEVE_ROUNDS; round++) {
        memset(composite, 0, sizeof composite);
        primes = 0;
        for (uint32_t n = 2; n < SIEVE_LIMIT; n++) {
            if (composite[n]) continue;
            primes++;
            for (uint32_t m = n + n; m < SIEVE_LIMIT; m += n) composite[m] = 1;
        }
    }
    return primes;
}

/* Calls, returns and stack traffic: naive recursive Fibonacci. The argument is volatile so the
 * compiler cannot fold the answer. */
__attribute__((noinline)) static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
static volatile uint32_t fib_argument = 33;
static uint32_t test_fib(void) { return fib(fib_argument); }

/* Block moves: glibc's memcpy (REP MOVS or wide loads, chosen by CPUID) over 1 MiB, 256 times, with a
 * byte fed back each round so no copy can be skipped. */
enum { COPY_BYTES = 1 << 20, COPY_ROUNDS = 256 };
static unsigned char copy_src[COPY_BYTES], copy_dst[COPY_BYTES];

static uint32_t test_memcpy(void) {
    for (uint32_t i = 0; i < COPY_BYTES; i++) copy_src[i] = (unsigned char)(i * 7 + (i >> 9));
    uint32_t sum = 0;
    for (uint32_t round = 0; round < COPY_ROUNDS; round++) {
        memcpy(copy_dst, copy_src, COPY_BYTES);
        copy_src[round * 4093 % COPY_BYTES] ^= copy_dst[COPY_BYTES - 1 - round];
        sum = sum * 31 + copy_dst[(round * 65537u) % COPY_BYTES];
    }
    return sum;
}

/* x87 floating point: a Mandelbrot set (FMUL/FADD/FCOM in registers) and a series of square roots
 * truncated to integers (FSQRT, and the FNSTCW/FLDCW/FISTP dance of every C double-to-int cast). */
static uint32_t test_fp(void) {
    uint32_t iterations = 0;
    for (int py = 0; py < 150; py++) {
        for (int px = 0; px < 200; px++) {
            double cr = -2.2 + px * (3.2 / 200), ci = -1.2 + py * (2.4 / 150);
            double zr = 0, zi = 0;
            int k = 0;
            while (k < 200 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                k++;
            }
            iterations += (uint32_t)k;
        }
    }
    uint32_t roots = 0;
    for (int i = 1; i <= 200000; i++) roots += (uint32_t)(int32_t)(sqrt((double)i) * 16.0);
    return iterations ^ roots;
}

/* Processes: fork, exec /bin/true (a busybox applet), wait; page-table copies, TLB flushes, syscalls.
 * The checksum counts children that exited with status 0. */
enum { FORK_ROUNDS = 100 };
static uint32_t test_fork(void) {
    uint32_t ok = 0;
    for (int i = 0; i < FORK_ROUNDS; i++) {
        pid_t child = fork();
        if (child == 0) {
            execl("/bin/true", "true", (char *)0);
            _exit(127);
        }
        int status = 0;
        if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            ok++;
    }
    return ok;
}

struct test {
    const char *name;
    uint32_t (*run)(void);
    uint32_t want; /* checksum on a real CPU (see the header comment) */
};

static const struct test tests[] = {
    {"alu", test_alu, 0xb57cb179u},
    {"sieve", test_sieve, 148933u},
    {"fib", test_fib, 3524578u},
    {"memcpy", test_memcpy, 0x08a72080u},
    {"fp", test_fp, 0x38c878dfu},
    {"fork", test_fork, FORK_ROUNDS},
};
enum { TEST_COUNT = sizeof tests / sizeof tests[0] };

static const struct test *find_test(const char *name) {
    for (int i = 0; i < TEST_COUNT; i++)
        if (strcmp(tests[i].name, name) == 0) return &tests[i];
    return NULL;
}

static int run_test(const struct test *t, double *total_ms) {
    double start = monotonic_ms();
    uint32_t got = t->run();
    double ms = monotonic_ms() - start;
    *total_ms += ms;
    printf("BENCH %s %.1f ms\n", t->name, ms);
    if (got == t->want) return 0;
    printf("BENCH-WRONG %s got=0x%08x want=0x%08x\n", t->name, (unsigned)got, (unsigned)t->want);
    return 1;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, even into a pipe */
    if (argc == 2 && strcmp(argv[1], "now") == 0) {
        printf("%.0f\n", monotonic_ms());
        return 0;
    }
    for (int a = 1; a < argc; a++) {
        if (!find_test(argv[a])) {
            fprintf(stderr, "bench: unknown test '%s' (tests: alu sieve fib memcpy fp fork; or: now)\n", argv[a]);
            return 2;
        }
    }
    double total_ms = 0;
    int wrong = 0;
    if (argc == 1) {
        for (int i = 0; i < TEST_COUNT; i++) wrong += run_test(&tests[i], &total_ms);
    } else {
        for (int a = 1; a < argc; a++) wrong += run_test(find_test(argv[a]), &total_ms);
    }
    printf("BENCH total %.1f ms\n", total_ms);
    printf("BENCH-DONE\n");
    return wrong ? 1 : 0;
}
