/* hfguest: formatting and the debug console (port 0xe9), usable from ring 0 and ring 3. */
#include "hf.h"

static volatile u32 con_lock;

void *memset(void *d, int c, unsigned long n)
{
    u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
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

void con_write(const char *s, u32 n)
{
    while (__atomic_exchange_n(&con_lock, 1, __ATOMIC_ACQUIRE))
        while (con_lock)
            cpu_pause();
    outsb(s, n);
    __atomic_store_n(&con_lock, 0, __ATOMIC_RELEASE);
}

void con_write_force(const char *s, u32 n)
{
    u64 spins = 0;
    int locked = 0;
    for (;;) {
        if (!__atomic_exchange_n(&con_lock, 1, __ATOMIC_ACQUIRE)) {
            locked = 1;
            break;
        }
        if (++spins > 50000000UL)
            break;
        cpu_pause();
    }
    outsb(s, n);
    if (locked)
        __atomic_store_n(&con_lock, 0, __ATOMIC_RELEASE);
}
