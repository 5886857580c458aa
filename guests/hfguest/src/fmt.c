/* hfguest: formatting and the console, usable from ring 0 and ring 3 (so: ring-0-safe code only).
 * The console is hfvisor's line console (port 0xeb, one exit per line, atomic per line: no lock) where it exists,
 * else the byte-wise debug console on port 0xe9 (one rep outsb per line under a ticket lock). */
#include "hf.h"

static int linecon;

/* Byte console's ticket lock (FIFO): CPUs' lines never interleave and no CPU starves. */
static union {
    volatile u64 word;
    struct {
        volatile u32 serving, next;
    };
} con_lock;

/* string instructions: one instruction each, cheap even where ring 0 is emulated */
void *memset(void *d, int c, unsigned long n)
{
    void *p = d;
    __asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    void *p = d;
    __asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(n) : : "memory");
    return d;
}

u32 hf_strlen(const char *s)
{
    u32 n = 0;
    while (s[n])
        n++;
    return n;
}

void b_init(struct buf *b, u32 *rec, u32 rec_bytes)
{
    b->rec = rec;
    b->p = (char *)(rec + 1);
    b->n = 0;
    b->cap = rec_bytes - sizeof(u32) - 1; /* room for the '\n' con_line adds */
}

static void b_ch(struct buf *b, char c)
{
    if (b->n < b->cap)
        b->p[b->n++] = c;
}

void b_str(struct buf *b, const char *s)
{
    while (*s)
        b_ch(b, *s++);
}

void b_u64(struct buf *b, u64 v)
{
    char t[24];
    int i = 0;
    do {
        t[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        b_ch(b, t[--i]);
}

void b_hex(struct buf *b, u64 v)
{
    char t[20];
    int i = 0;
    do {
        t[i++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    b_str(b, "0x");
    while (i)
        b_ch(b, t[--i]);
}

void b_kv(struct buf *b, const char *key, u64 v)
{
    b_ch(b, ' ');
    b_str(b, key);
    b_ch(b, '=');
    b_u64(b, v);
}

void b_kx(struct buf *b, const char *key, u64 v)
{
    b_ch(b, ' ');
    b_str(b, key);
    b_ch(b, '=');
    b_hex(b, v);
}

static inline void outsb(const char *s, u32 n)
{
    /* one string instruction (hfvisor gets one exit per line, KVM's emulator one per byte) */
    __asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"((u16)PORT_DEBUGCON) : "memory");
}

int con_init(int allow_line)
{
    linecon = allow_line && inl(PORT_LINECON) == LINECON_MAGIC;
    return linecon;
}

static void con_unlock(void)
{
    __atomic_store_n(&con_lock.serving, con_lock.serving + 1, __ATOMIC_RELEASE);
}

/* The record's address, below 4 GiB and 4-byte aligned: every buffer is in the identity-mapped image, its stacks
 * or per-CPU data, all allocated below 4 GiB. */
static void line_out(struct buf *b)
{
    b->p[b->n++] = '\n';
    b->rec[0] = b->n;
    if (linecon)
        outl(PORT_LINECON, (u32)(u64)b->rec);
}

void con_line(struct buf *b)
{
    line_out(b);
    if (linecon)
        return;
    u32 t = __atomic_fetch_add(&con_lock.next, 1, __ATOMIC_ACQUIRE);
    while (__atomic_load_n(&con_lock.serving, __ATOMIC_ACQUIRE) != t)
        cpu_pause();
    outsb(b->p, b->n);
    con_unlock();
}

/* Panic path: the byte console's lock is taken only if it comes free within ~100 ms of TSC time (any guess before
 * the TSC is calibrated), else the line is written anyway: the holder may be this CPU's interrupted context. */
void con_line_force(struct buf *b)
{
    line_out(b);
    if (linecon)
        return;
    int locked = 0;
    u64 end = rdtsc() + (tsc_khz ? tsc_khz * 100 : 300000000UL);
    do {
        u64 w = con_lock.word;
        u32 serving = (u32)w, next = (u32)(w >> 32);
        if (serving == next &&
            __atomic_compare_exchange_n(&con_lock.word, &w, w + (1UL << 32), 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            locked = 1;
            break;
        }
        cpu_pause();
    } while (rdtsc() < end);
    outsb(b->p, b->n);
    if (locked)
        con_unlock();
}
