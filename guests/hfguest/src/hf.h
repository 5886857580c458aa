/* hfguest - shared definitions (freestanding, x86-64). */
#ifndef HF_H
#define HF_H

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define MAX_CPUS 256
#define PAGE 4096UL

#define KSTACK_SIZE (16 * 1024)
#define ISTACK_SIZE (8 * 1024)
#define USTACK_SIZE (16 * 1024)

/* GDT selectors in Linux's layout: PVM runs ring 3 on the host's (Linux's) user segments, so ring 3 reads
 * 0x33/0x2b from %cs/%ss whatever the guest's GDT says; with the same layout those are our own selectors too. */
#define SEL_KCODE32 0x08
#define SEL_KCODE 0x10
#define SEL_KDATA 0x18
#define SEL_UCODE32 0x23
#define SEL_UDATA 0x2b
#define SEL_UCODE 0x33
#define GDT_FIXED 8          /* entries before the TSS descriptors */
#define SEL_TSS0 (GDT_FIXED * 8)

/* Code run in ring 3 goes to its own section (link.ld), so ring-0 code can be checked alone. Whatever both rings
 * call stays in .text and must be ring-0-safe: only what KVM's instruction emulator implements. */
#define USER_TEXT __attribute__((section(".text.user")))

/* interrupt vectors */
#define VEC_TIMER 0x40
#define VEC_BP 3
#define VEC_GP 13
#define VEC_UD 6             /* also how ring 3 asks ring 0 for a service: ud2 at svc_ud2 (user.c) */
#define VEC_APIC_ERR 0xfe
#define VEC_SPURIOUS 0xff

/* service requests from ring 3 (rax) */
#define SVC_REPAIR 1         /* re-apply all per-CPU canary MSRs */
#define SVC_INJECT 2         /* corrupt canary MSR #rdi (test hook) */
#define SVC_INJECT_XCR0 3    /* drop AVX from XCR0 (test hook) */

/* MSRs */
#define MSR_APIC_BASE 0x1b
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KGS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* LAPIC register offsets (xAPIC MMIO offset; x2APIC MSR = 0x800 + off/16) */
#define APIC_ID 0x20
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVTT 0x320
#define APIC_LINT0 0x350
#define APIC_LINT1 0x360
#define APIC_LVTERR 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0

#define PORT_DEBUGCON 0xe9
#define PORT_EXIT 0xf4
#define PORT_I8042_CMD 0x64  /* a PC's keyboard controller: command 0xfe pulses the reset line */
#define PORT_BP_PROBE 0xea   /* hfvisor: deliver the int3 that follows (cmdline int3=vmm) */
#define PORT_LINECON 0xeb    /* hfvisor's line console: outl of a record's address (LINE-CONSOLE contract) */
#define LINECON_MAGIC 0x4e4c4648u /* "HFLN", what inl from PORT_LINECON reads where it exists */

/* canary MSR ids (index into struct cpu.exp_msr / names) */
enum { CM_FSBASE, CM_GSBASE, CM_KGSBASE, CM_STAR, CM_LSTAR, CM_SFMASK, CM_TSCAUX, CM_PAT, CM_COUNT };

/* The I/O permission bitmap covers ports 0..IOBM_PORTS-1 (a port past it faults); ring 3 runs with IOPL 0, so
 * this bitmap decides its port I/O on every platform (PVM ignores IOPL in ring 3). */
#define IOBM_PORTS 256
struct tss {
    u32 rsvd0;
    u64 rsp0, rsp1, rsp2;
    u64 rsvd1;
    u64 ist[7];
    u64 rsvd2;
    u16 rsvd3;
    u16 iomap;
    u8 iobm[IOBM_PORTS / 8];
    u8 iobm_end;                      /* all ones: the CPU reads two bytes of the bitmap at a time */
} __attribute__((packed));

struct errrec {
    const char *what;
    u64 want, got;
};

#define R0ERR_RING 16

struct cpu {
    /* FS base points at fs_self, GS base at gs_self: self pointers that ring 3
     * reads via %fs:0 / %gs:0. Keep these first. */
    u64 fs_self;
    u64 pad0[7];
    u64 gs_self;
    u64 pad1[7];

    u32 idx, apic_id;
    volatile u32 online;
    u32 chk_ctr;
    volatile u64 ticks;               /* ring 0 timer handler */
    volatile u64 spurious;
    u64 kstack_top, istack_top, ustack_top;

    struct tss tss __attribute__((aligned(64)));

    /* expected canary values */
    u64 exp_gpr[4];                   /* r12..r15 */
    u64 exp_vec[8][4] __attribute__((aligned(32)));  /* ymm8..15 (xmm: [0..1]) */
    u64 exp_msr[CM_COUNT];
    u64 exp_cr0, exp_cr3, exp_cr4, exp_efer, exp_xcr0, exp_xsave_size;
    u64 xcr0_user;                    /* XCR0 as ring 3 first read it: on PVM the host's, a superset of exp_xcr0 */
    u32 exp_apic_svr, exp_apic_lvtt, exp_apic_tmict, exp_apic_tdcr;

    /* error counters */
    volatile u64 merr;                /* ring 3 */
    volatile u64 cerr3;               /* ring 3 */
    volatile u64 cerr0;               /* ring 0 */
    volatile u32 r0_head;             /* ring 0 produces */
    u32 r0_tail;                      /* ring 3 consumes */
    struct errrec r0_err[R0ERR_RING];
    u32 merr_printed, cerr_printed;

    /* memory worker: free-space page indices [w_lo, w_hi) */
    u64 w_lo, w_hi, w_j, w_seg;
    u64 w_first_phys, w_last_phys, w_covered;
    u64 gen;                          /* generation being written */
    u64 pages;                        /* pages processed since boot */

    /* loop / heartbeat state */
    u64 prev_tsc, gap, gapmax, back;
    u64 seq, hb_next, hb_last_tsc, hb_last_pages;
    u32 inject_done, exit_done;
    u64 reset_next;                   /* reset_after_ms: when CPU 0 asks for a reset (again) */
    u64 bp;                           /* int3 checks done */
    volatile u32 io_retries;          /* ring-3 port I/O retried after a TR reload, this loop iteration */

    u64 dump[4 + 32] __attribute__((aligned(32)));
    u32 line[128];                    /* a console record: length word, then the text */
};

struct config {
    u32 cpus;
    u32 mem_pct;
    u32 hb_ms;
    u32 tick_count;
    u64 exit_after_ms;
    u64 reset_after_ms;
    u32 want_x2apic, want_avx, want_fsgsbase;
    char inject[16];
    u64 inject_ms;
    u32 inject_cpu;
    u32 int3_vmm;
    u32 int3_r0;                      /* 0: no int3 check from ring 0 (VMMs on PVM that do not deliver it) */
    u32 linecon;                      /* 0: byte-wise console even where the line console exists */
    u32 acpi;                         /* 1: ACPI PM1 registers at 0x600 (hfvisor's; QEMU q35's as SeaBIOS puts them) */
    u32 acpi_s5;                      /* the SLP_TYP of S5, as the machine's \_S5_ says: hfvisor 5, QEMU 0 */
};

struct frame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vec, err, rip, cs, rflags, rsp, ss;
};

/* globals (kmain.c) */
extern struct config cfg;
extern struct cpu *cpu_ptr[MAX_CPUS];
extern u32 ncpus;
extern int has_x2apic, has_avx, has_fsgsbase, has_rdtscp, has_1g;
extern u64 tsc_khz;
extern u64 go_tsc;
extern u64 boot_errors;
extern u32 mem_pct;
/* free RAM ranges for the workers */
#define MAX_FR 64
extern u32 nfr;
extern u64 fr_start[MAX_FR], fr_pages[MAX_FR], fr_first[MAX_FR];

/* Worker coverage: free-space page index j belongs to 2 MiB chunk j>>9; mem_pct% of
 * the chunks, spread evenly over all free RAM, are covered. */
#define CHUNK_SHIFT 9
static inline int page_covered(u64 j)
{
    u64 k = j >> CHUNK_SHIFT;
    return (k + 1) * mem_pct / 100 != k * mem_pct / 100;
}

/* asm (isr.S / boot.S); canary_*, inject_* run in ring 3 only */
void canary_dump(u64 *out, int avx);
void canary_load(const u64 *gpr, const void *vec, int avx);
void inject_gpr(void);
void inject_vec(int avx);
u64 int3_check(u64 via_vmm);
/* iretq to ring 3, where a stub loads the canary registers and jumps to entry(c) */
__attribute__((noreturn)) void enter_user(struct cpu *c, void (*entry)(struct cpu *), u64 ustack_top,
                                          const u64 *gpr, const void *vec, int avx);

/* fmt.c: a line is built in a console record, a u32 length word followed by the text (LINE-CONSOLE contract) */
struct buf {
    u32 *rec;
    char *p;
    u32 n, cap;
};
void b_init(struct buf *b, u32 *rec, u32 rec_bytes);
void b_str(struct buf *b, const char *s);
void b_u64(struct buf *b, u64 v);
void b_hex(struct buf *b, u64 v);
void b_kv(struct buf *b, const char *key, u64 v);   /* " key=<dec>" */
void b_kx(struct buf *b, const char *key, u64 v);   /* " key=0x<hex>" */
int con_init(int allow_line);                        /* probes the line console; 1 if it is used */
void con_line(struct buf *b);                        /* ends the line with '\n' and writes it */
void con_line_force(struct buf *b);                  /* panic path: never waits on the byte console's lock for long */
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
u32 hf_strlen(const char *s);

/* user.c */
void user_main(struct cpu *c);

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
/* "memory": the VMM may read guest memory on the exit (the line console's record) */
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port) : "memory"); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline u16 inw(u16 port)
{
    u16 v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline u32 inl(u16 port)
{
    u32 v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}
static inline u64 rdtscp(u32 *aux)
{
    u32 lo, hi, c;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
    *aux = c;
    return ((u64)hi << 32) | lo;
}
static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
#define barrier() __asm__ volatile("" ::: "memory")

#endif
