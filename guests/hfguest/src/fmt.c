/* hfguest: formatting and the debug console (port 0xe9), usable from ring 0 and ring 3. */
#include "hf.h"

/* Ticket lock (FIFO): CPUs' lines never interleave and no CPU starves. */
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

void b_init(struct buf *b, char *p, u32 cap)
{
    b->p = p;
    b->n = 0;
    b->cap = cap;
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
    /* one string instruction: a single exit under KVM */
    __asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"((u16)PORT_DEBUGCON) : "memory");
}

static void con_unlock(void)
{
    __atomic_store_n(&con_lock.serving, con_lock.serving + 1, __ATOMIC_RELEASE);
}

void con_write(const char *s, u32 n)
{
    u32 t = __atomic_fetch_add(&con_lock.next, 1, __ATOMIC_ACQUIRE);
    while (__atomic_load_n(&con_lock.serving, __ATOMIC_ACQUIRE) != t)
        cpu_pause();
    outsb(s, n);
    con_unlock();
}

/* panic path: take the lock only if it becomes free within a bounded time,
 * else write anyway (the holder may be this CPU's interrupted ring-3 code). */
void con_write_force(const char *s, u32 n)
{
    int locked = 0;
    for (u64 spins = 0; spins < 50000000UL; spins++) {
        u64 w = con_lock.word;
        u32 serving = (u32)w, next = (u32)(w >> 32);
        if (serving == next &&
            __atomic_compare_exchange_n(&con_lock.word, &w, w + (1UL << 32), 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            locked = 1;
            break;
        }
        cpu_pause();
    }
    outsb(s, n);
    if (locked)
        con_unlock();
}
