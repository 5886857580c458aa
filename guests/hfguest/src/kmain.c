/*
 * hfguest ring-0 side: multiboot parsing, paging, GDT/IDT/TSS, LAPIC,
 * SMP bring-up, timer and exception handlers, ring-0 canary checks.
 */
#include "hf.h"

#define APIC_HZ 1000000000UL      /* KVM and QEMU LAPIC timer clock, divide-by-1 */
#define TRAMP_BASE 0x8000UL
#define MB_BOOT_MAGIC 0x2BADB002

extern u64 boot_pml4[512], boot_pdpt[512], boot_pd[4 * 512];
extern char _end[];
extern char tramp_start[], tramp_end[], tramp_cr3[];
extern char isr_stubs[], timer_stub[], svc_ud2[];
extern u64 ap_boot_stack;
extern u32 ap_boot_cpu;

struct config cfg;
struct cpu *cpu_ptr[MAX_CPUS];
u32 ncpus;
int has_x2apic, has_avx, has_fsgsbase, has_rdtscp, has_1g;
u64 tsc_khz, go_tsc, boot_errors;
u32 mem_pct;
u32 nfr;
u64 fr_start[MAX_FR], fr_pages[MAX_FR], fr_first[MAX_FR];

static u64 apic_mmio = 0xfee00000UL;
static volatile u32 go;
static int avx_xcr0_fail, console_line;

#define MAX_RAM 64
static u32 nram;
static u64 ram_start[MAX_RAM], ram_end[MAX_RAM];
static u64 ram_total, free_total;
static char cmdline[1024];
static u64 bump, bump_limit;

static u64 gdt[GDT_FIXED + 2 * MAX_CPUS] __attribute__((aligned(16)));

struct idte {
    u16 off0, sel;
    u8 ist, type;
    u16 off1;
    u32 off2, rsvd;
};
static struct idte idt[256] __attribute__((aligned(16)));

struct dtr {
    u16 limit;
    u64 base;
} __attribute__((packed));

static const u32 cm_msr[CM_COUNT] = {
    [CM_FSBASE] = MSR_FS_BASE, [CM_GSBASE] = MSR_GS_BASE, [CM_KGSBASE] = MSR_KGS_BASE,
    [CM_STAR] = MSR_STAR,      [CM_LSTAR] = MSR_LSTAR,    [CM_SFMASK] = MSR_SFMASK,
    [CM_TSCAUX] = MSR_TSC_AUX, [CM_PAT] = MSR_PAT,
};
static const char *const cm_name[CM_COUNT] = {
    [CM_FSBASE] = "fsbase", [CM_GSBASE] = "gsbase", [CM_KGSBASE] = "kgsbase", [CM_STAR] = "star",
    [CM_LSTAR] = "lstar",   [CM_SFMASK] = "sfmask", [CM_TSCAUX] = "tscaux",   [CM_PAT] = "pat",
};

/* ------------------------------------------------------------ low level */
static inline u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
/* No XGETBV here: KVM's instruction emulator (ring 0 on a PVM host) lacks it. XCR0 is read back as the size of
 * the XSAVE area for the features it enables (CPUID.(0xD,0).EBX); ring 3 checks it with XGETBV itself. */
static u64 xsave_size(void)
{
    u32 a, b, c, d;
    cpuid(0xd, 0, &a, &b, &c, &d);
    return b;
}
static inline void xsetbv(u32 idx, u64 v)
{
    __asm__ volatile("xsetbv" ::"c"(idx), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline struct cpu *this_cpu(void)
{
    u16 sel;
    __asm__ volatile("str %0" : "=r"(sel));
    if (sel < SEL_TSS0)
        return 0;
    return cpu_ptr[(sel - SEL_TSS0) >> 4];
}

static inline u32 apic_read(u32 reg)
{
    if (has_x2apic)
        return (u32)rdmsr(0x800 + (reg >> 4));
    return *(volatile u32 *)(apic_mmio + reg);
}

static inline void apic_write(u32 reg, u32 v)
{
    if (has_x2apic)
        wrmsr(0x800 + (reg >> 4), v);
    else
        *(volatile u32 *)(apic_mmio + reg) = v;
}

static inline void apic_eoi(void) { apic_write(APIC_EOI, 0); }

static u32 apic_id(void)
{
    if (has_x2apic)
        return (u32)rdmsr(0x802);
    return apic_read(APIC_ID) >> 24;
}

static void apic_icr(u32 dest, u32 lo)
{
    if (has_x2apic) {
        wrmsr(0x830, ((u64)dest << 32) | lo);
        return;
    }
    apic_write(APIC_ICR_HI, dest << 24);
    apic_write(APIC_ICR, lo);
    u64 end = rdtsc() + 10 * tsc_khz; /* delivery status: 10 ms at most */
    while ((apic_read(APIC_ICR) & (1u << 12)) && rdtsc() < end)
        cpu_pause();
}

static void delay_us(u64 us)
{
    u64 end = rdtsc() + us * tsc_khz / 1000;
    while (rdtsc() < end)
        cpu_pause();
}

/* ------------------------------------------------------------- printing */

static u32 cur_idx(void)
{
    struct cpu *c = this_cpu();
    return c ? c->idx : 0;
}

__attribute__((noreturn)) static void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

__attribute__((noreturn)) static void fatal(const char *msg)
{
    u32 t[64];
    struct buf b;
    b_init(&b, t, sizeof(t));
    b_str(&b, "PANIC");
    b_kv(&b, "cpu", cur_idx());
    b_kv(&b, "vec", 256);
    b_kx(&b, "err", 0);
    b_kx(&b, "rip", 0);
    b_kx(&b, "cr2", 0);
    b_str(&b, " msg=");
    b_str(&b, msg);
    con_line_force(&b);
    outb(PORT_EXIT, 2);
    halt_forever();
}

__attribute__((noreturn)) static void panic(struct frame *f, struct cpu *c)
{
    u32 t[64];
    struct buf b;
    b_init(&b, t, sizeof(t));
    b_str(&b, "PANIC");
    b_kv(&b, "cpu", c ? c->idx : 0);
    b_kv(&b, "vec", f->vec);
    b_kx(&b, "err", f->err);
    b_kx(&b, "rip", f->rip);
    b_kx(&b, "cr2", read_cr2());
    b_kx(&b, "cs", f->cs);
    b_kx(&b, "rsp", f->rsp);
    b_kx(&b, "rflags", f->rflags);
    con_line_force(&b);
    outb(PORT_EXIT, 2);
    halt_forever();
}

/* ----------------------------------------------------------- cmdline */
static int keq(const char *k, u32 klen, const char *want)
{
    u32 n = hf_strlen(want);
    if (n != klen)
        return 0;
    for (u32 i = 0; i < n; i++)
        if (k[i] != want[i])
            return 0;
    return 1;
}

static u64 parse_num(const char *s, u32 n)
{
    u64 v = 0;
    u32 i = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (i = 2; i < n; i++) {
            char ch = s[i];
            u32 d;
            if (ch >= '0' && ch <= '9')
                d = ch - '0';
            else if (ch >= 'a' && ch <= 'f')
                d = ch - 'a' + 10;
            else if (ch >= 'A' && ch <= 'F')
                d = ch - 'A' + 10;
            else
                break;
            v = v * 16 + d;
        }
        return v;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (u64)(s[i] - '0');
    return v;
}

static void parse_cmdline(const char *s)
{
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        const char *t = s, *eq = 0;
        while (*s && *s != ' ' && *s != '\t') {
            if (*s == '=' && !eq)
                eq = s;
            s++;
        }
        if (!eq)
            continue;
        u32 kl = (u32)(eq - t), vl = (u32)(s - eq - 1);
        const char *v = eq + 1;
        u64 n = parse_num(v, vl);
        if (keq(t, kl, "cpus"))
            cfg.cpus = (u32)n;
        else if (keq(t, kl, "mem_pct"))
            cfg.mem_pct = (u32)n;
        else if (keq(t, kl, "hb_ms"))
            cfg.hb_ms = (u32)n;
        else if (keq(t, kl, "tick_count"))
            cfg.tick_count = (u32)n;
        else if (keq(t, kl, "exit_after_ms"))
            cfg.exit_after_ms = n;
        else if (keq(t, kl, "reset_after_ms"))
            cfg.reset_after_ms = n;
        else if (keq(t, kl, "x2apic"))
            cfg.want_x2apic = (u32)n;
        else if (keq(t, kl, "avx"))
            cfg.want_avx = (u32)n;
        else if (keq(t, kl, "fsgsbase"))
            cfg.want_fsgsbase = (u32)n;
        else if (keq(t, kl, "int3"))
            cfg.int3_vmm = vl == 3 && keq(v, vl, "vmm");
        else if (keq(t, kl, "int3_r0"))
            cfg.int3_r0 = (u32)n;
        else if (keq(t, kl, "linecon"))
            cfg.linecon = (u32)n;
        else if (keq(t, kl, "acpi"))
            cfg.acpi = (u32)n;
        else if (keq(t, kl, "acpi_s5"))
            cfg.acpi_s5 = (u32)n & 7;
        else if (keq(t, kl, "inject_ms"))
            cfg.inject_ms = n;
        else if (keq(t, kl, "inject_cpu"))
            cfg.inject_cpu = (u32)n;
        else if (keq(t, kl, "inject")) {
            u32 m = vl < sizeof(cfg.inject) - 1 ? vl : sizeof(cfg.inject) - 1;
            memcpy(cfg.inject, v, m);
            cfg.inject[m] = 0;
        }
    }
    if (cfg.cpus < 1)
        cfg.cpus = 1;
    if (cfg.cpus > MAX_CPUS)
        cfg.cpus = MAX_CPUS;
    if (cfg.mem_pct > 100)
        cfg.mem_pct = 100;
    if (cfg.hb_ms < 1)
        cfg.hb_ms = 1;
    if (cfg.tick_count < 10000)
        cfg.tick_count = 10000;
    if (cfg.inject[0] && !cfg.inject_ms)
        cfg.inject_ms = cfg.exit_after_ms ? cfg.exit_after_ms / 2 : 1000;
}

/* ---------------------------------------------------------- multiboot */
struct mb_info {
    u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr;
};

static void add_ram(u64 start, u64 end)
{
    start = (start + PAGE - 1) & ~(PAGE - 1);
    end &= ~(PAGE - 1);
    if (end <= start)
        return;
    if (nram == MAX_RAM)
        return;
    /* insert sorted */
    u32 i = nram++;
    while (i > 0 && ram_start[i - 1] > start) {
        ram_start[i] = ram_start[i - 1];
        ram_end[i] = ram_end[i - 1];
        i--;
    }
    ram_start[i] = start;
    ram_end[i] = end;
}

static void merge_ram(void)
{
    u32 o = 0;
    for (u32 i = 0; i < nram; i++) {
        if (o > 0 && ram_start[i] <= ram_end[o - 1]) {
            if (ram_end[i] > ram_end[o - 1])
                ram_end[o - 1] = ram_end[i];
            continue;
        }
        ram_start[o] = ram_start[i];
        ram_end[o] = ram_end[i];
        o++;
    }
    nram = o;
    ram_total = 0;
    for (u32 i = 0; i < nram; i++)
        ram_total += ram_end[i] - ram_start[i];
}

static void parse_multiboot(u32 magic, u32 mbi_addr)
{
    if (magic != MB_BOOT_MAGIC)
        fatal("bad_multiboot_magic");
    const struct mb_info *mb = (const struct mb_info *)(u64)mbi_addr;
    if (mb->flags & (1u << 2)) {
        const char *s = (const char *)(u64)mb->cmdline;
        u32 i = 0;
        while (s[i] && i < sizeof(cmdline) - 1) {
            cmdline[i] = s[i];
            i++;
        }
        cmdline[i] = 0;
    }
    if (mb->flags & (1u << 6)) {
        u64 p = mb->mmap_addr, e = p + mb->mmap_length;
        while (p + 24 <= e) {
            u32 sz = *(const u32 *)p;
            u64 base = *(const u64 *)(p + 4);
            u64 len = *(const u64 *)(p + 12);
            u32 type = *(const u32 *)(p + 20);
            if (type == 1)
                add_ram(base, base + len);
            if (sz < 20)
                break;
            p += sz + 4;
        }
    } else if (mb->flags & 1u) {
        add_ram(0, (u64)mb->mem_lower * 1024);
        add_ram(0x100000, 0x100000 + (u64)mb->mem_upper * 1024);
    } else {
        fatal("no_memory_info");
    }
    merge_ram();
}

/* --------------------------------------------------- memory allocation */
static void *alloc_pages(u64 n)
{
    u64 p = bump;
    bump += n * PAGE;
    if (bump > bump_limit)
        fatal("out_of_boot_memory");
    memset((void *)p, 0, n * PAGE);
    return (void *)p;
}

static void init_bump(void)
{
    bump = ((u64)_end + PAGE - 1) & ~(PAGE - 1);
    bump_limit = 0;
    for (u32 i = 0; i < nram; i++)
        if (ram_start[i] <= 0x100000 && ram_end[i] > bump)
            bump_limit = ram_end[i];
    if (!bump_limit)
        fatal("image_not_in_ram");
    if (bump_limit > 0x100000000UL)
        bump_limit = 0x100000000UL; /* stay inside the bootstrap 4 GiB map */
}

/* identity-map RAM above 4 GiB (the bootstrap tables cover 0..4 GiB) */
static void map_high(void)
{
    u64 maxend = 0;
    for (u32 i = 0; i < nram; i++)
        if (ram_end[i] > maxend)
            maxend = ram_end[i];
    u64 gend = (maxend + (1UL << 30) - 1) >> 30;
    if (gend > 512UL * 512)
        gend = 512UL * 512;
    for (u64 g = 4; g < gend; g++) {
        u32 l4 = (u32)(g >> 9);
        u64 *pdpt;
        if (l4 == 0) {
            pdpt = boot_pdpt;
        } else {
            if (!(boot_pml4[l4] & 1))
                boot_pml4[l4] = (u64)alloc_pages(1) | 7;
            pdpt = (u64 *)(boot_pml4[l4] & ~0xfffUL);
        }
        if (has_1g) {
            pdpt[g & 511] = (g << 30) | 0x87;
        } else {
            u64 *pd = alloc_pages(1);
            for (u64 k = 0; k < 512; k++)
                pd[k] = (g << 30) + (k << 21) + 0x87;
            pdpt[g & 511] = (u64)pd | 7;
        }
    }
    write_cr3(read_cr3());
}

/* free RAM for the workers: RAM minus everything below the allocator end */
static void compute_free(void)
{
    u64 lo = (bump + PAGE - 1) & ~(PAGE - 1);
    u64 idx = 0;
    nfr = 0;
    free_total = 0;
    for (u32 i = 0; i < nram && nfr < MAX_FR; i++) {
        u64 s = ram_start[i] < lo ? lo : ram_start[i];
        if (s < 0x100000)
            s = 0x100000;
        if (ram_end[i] <= s)
            continue;
        fr_start[nfr] = s;
        fr_pages[nfr] = (ram_end[i] - s) / PAGE;
        fr_first[nfr] = idx;
        idx += fr_pages[nfr];
        free_total += fr_pages[nfr] * PAGE;
        nfr++;
    }
}

/* ------------------------------------------------------------ features */
static void detect_features(void)
{
    u32 a, b, c, d, maxl, maxe;
    cpuid(0, 0, &maxl, &b, &c, &d);
    cpuid(1, 0, &a, &b, &c, &d);
    int x2 = (c >> 21) & 1, xsave = (c >> 26) & 1, avx = (c >> 28) & 1;
    if (!((d >> 25) & 1) || !((d >> 26) & 1))
        fatal("no_sse2");
    if (maxl >= 7) {
        cpuid(7, 0, &a, &b, &c, &d);
        has_fsgsbase = b & 1;
    }
    if (xsave && avx && maxl >= 0xd) {
        cpuid(0xd, 0, &a, &b, &c, &d);
        has_avx = (a & 7) == 7;
    }
    has_x2apic = x2;
    cpuid(0x80000000, 0, &maxe, &b, &c, &d);
    if (maxe >= 0x80000001) {
        cpuid(0x80000001, 0, &a, &b, &c, &d);
        has_rdtscp = (d >> 27) & 1;
        has_1g = (d >> 26) & 1;
    }
    if (!cfg.want_x2apic)
        has_x2apic = 0;
    if (!cfg.want_avx)
        has_avx = 0;
    if (!cfg.want_fsgsbase)
        has_fsgsbase = 0;
}

/* ---------------------------------------------------------- GDT / IDT */
static void set_gate(u32 v, u64 addr, u8 type, u8 ist)
{
    idt[v].off0 = (u16)addr;
    idt[v].sel = SEL_KCODE;
    idt[v].ist = ist;
    idt[v].type = type;
    idt[v].off1 = (u16)(addr >> 16);
    idt[v].off2 = (u32)(addr >> 32);
    idt[v].rsvd = 0;
}

static void tables_init(void)
{
    gdt[0] = 0;
    gdt[1] = 0x00cf9a000000ffffUL; /* 0x08 kernel code 32 (SEL_KCODE32) */
    gdt[2] = 0x00af9a000000ffffUL; /* 0x10 kernel code 64 */
    gdt[3] = 0x00cf92000000ffffUL; /* 0x18 kernel data */
    gdt[4] = 0x00cffa000000ffffUL; /* 0x23 user code 32 (SYSRET layout) */
    gdt[5] = 0x00cff2000000ffffUL; /* 0x2b user data */
    gdt[6] = 0x00affa000000ffffUL; /* 0x33 user code 64 */
    gdt[7] = 0;
    for (u32 v = 0; v < 256; v++) {
        u8 ist = (v == 2 || v == 8 || v == 18) ? 1 : 0;
        set_gate(v, (u64)isr_stubs + 16 * v, 0x8e, ist);
    }
    set_gate(VEC_TIMER, (u64)timer_stub, 0x8e, 0);
    set_gate(VEC_BP, (u64)isr_stubs + 16 * VEC_BP, 0xee, 0);   /* int3 from ring 3 too */
}

static void load_tables(void)
{
    struct dtr g = {sizeof(gdt) - 1, (u64)gdt};
    struct dtr i = {sizeof(idt) - 1, (u64)idt};
    __asm__ volatile("lgdt %0" ::"m"(g));
    __asm__ volatile("lidt %0" ::"m"(i));
    __asm__ volatile("pushq %2\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %0, %%ss\n\t"
                     "mov %1, %%ds\n\t"
                     "mov %1, %%es\n\t"
                     "mov %1, %%fs\n\t"
                     "mov %1, %%gs\n\t" ::"r"(SEL_KDATA),
                     "r"(SEL_UDATA), "i"(SEL_KCODE)
                     : "rax", "memory");
}

/* --------------------------------------------------------- per-CPU */
static struct cpu *cpu_alloc(u32 i)
{
    struct cpu *c = alloc_pages((sizeof(struct cpu) + PAGE - 1) / PAGE);
    c->idx = i;
    c->kstack_top = (u64)alloc_pages(KSTACK_SIZE / PAGE) + KSTACK_SIZE;
    c->istack_top = (u64)alloc_pages(ISTACK_SIZE / PAGE) + ISTACK_SIZE;
    c->ustack_top = (u64)alloc_pages(USTACK_SIZE / PAGE) + USTACK_SIZE;
    c->fs_self = (u64)&c->fs_self;
    c->gs_self = (u64)&c->gs_self;
    for (u64 k = 0; k < 4; k++)
        c->exp_gpr[k] = 0xc0de000000000000UL | ((12 + k) << 40) | ((u64)i << 16) | 0x5a5a;
    for (u64 k = 0; k < 8; k++)
        for (u64 q = 0; q < 4; q++)
            c->exp_vec[k][q] = 0x5eed000000000000UL | ((8 + k) << 40) | (q << 32) | ((u64)i << 16) | 0xa5a5;
    c->exp_msr[CM_FSBASE] = (u64)&c->fs_self;
    c->exp_msr[CM_GSBASE] = (u64)&c->gs_self;
    c->exp_msr[CM_KGSBASE] = 0xffff888000000000UL + (u64)i * 0x10000 + 0x40;
    /* selectors as Linux's (PVM refuses others), the legacy SYSCALL EIP half as the per-CPU canary */
    c->exp_msr[CM_STAR] = ((u64)SEL_UCODE32 & ~3UL) << 48 | (u64)SEL_KCODE << 32 | 0x5a000000UL | i;
    c->exp_msr[CM_LSTAR] = 0xffffffff81000000UL + (u64)i * 0x1000 + 0x10;
    c->exp_msr[CM_SFMASK] = 0x47700UL | i;
    c->exp_msr[CM_TSCAUX] = 0xa50000UL | i;
    c->exp_msr[CM_PAT] = 0x0007010600070406UL; /* PA5 = WC instead of WT: non-default */
    c->tss.rsp0 = c->kstack_top;
    c->tss.ist[0] = c->istack_top;
    c->tss.iomap = __builtin_offsetof(struct tss, iobm);
    memset(c->tss.iobm, 0xff, sizeof(c->tss.iobm) + 1);
    /* ring 3's ports, exactly: the consoles (0xeb as a 32-bit port: 0xeb..0xee), the int3 probe, power-off, reset */
    static const u16 ring3_ports[] = {PORT_DEBUGCON, PORT_BP_PROBE, PORT_LINECON, PORT_LINECON + 1,
                                      PORT_LINECON + 2, PORT_LINECON + 3, PORT_EXIT, PORT_I8042_CMD};
    for (u32 k = 0; k < sizeof(ring3_ports) / sizeof(ring3_ports[0]); k++)
        c->tss.iobm[ring3_ports[k] / 8] &= (u8) ~(1u << (ring3_ports[k] % 8));
    u64 base = (u64)&c->tss, lim = sizeof(struct tss) - 1;
    gdt[GDT_FIXED + 2 * i] = (lim & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) |
                             (((lim >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[GDT_FIXED + 2 * i + 1] = base >> 32;
    cpu_ptr[i] = c;
    return c;
}

static void apply_msrs(struct cpu *c)
{
    for (u32 k = 0; k < CM_COUNT; k++) {
        if (k == CM_TSCAUX && !has_rdtscp)
            continue;
        wrmsr(cm_msr[k], c->exp_msr[k]);
    }
}

static void apic_init(struct cpu *c)
{
    u64 base = rdmsr(MSR_APIC_BASE);
    if (has_x2apic)
        wrmsr(MSR_APIC_BASE, base | (1UL << 11) | (1UL << 10));
    else if (!(base & (1UL << 11)))
        wrmsr(MSR_APIC_BASE, base | (1UL << 11));
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVTT, 1u << 16);
    apic_write(APIC_LINT0, 1u << 16);
    apic_write(APIC_LINT1, 1u << 16);
    apic_write(APIC_LVTERR, (1u << 16) | VEC_APIC_ERR); /* unmasked when boot is done */
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
    apic_write(APIC_ESR, 0);
    c->apic_id = apic_id();
}

static void cpu_init(struct cpu *c)
{
    load_tables();
    __asm__ volatile("ltr %w0" ::"r"((u16)(SEL_TSS0 + 16 * c->idx)));
    u64 cr0 = read_cr0();
    cr0 |= (1UL << 1) | (1UL << 5) | (1UL << 16);             /* MP, NE, WP */
    cr0 &= ~((1UL << 2) | (1UL << 3) | (1UL << 29) | (1UL << 30)); /* EM, TS, NW, CD */
    write_cr0(cr0);
    u64 cr4 = read_cr4() | (1UL << 9) | (1UL << 10); /* OSFXSR, OSXMMEXCPT */
    if (has_avx)
        cr4 |= 1UL << 18;                           /* OSXSAVE */
    if (has_fsgsbase)
        cr4 |= 1UL << 16;                           /* FSGSBASE */
    write_cr4(cr4);
    if (has_avx) {
        xsetbv(0, 7);                               /* x87 | SSE | AVX */
        u32 a, b, cc, d;
        cpuid(0xd, 2, &a, &b, &cc, &d);             /* the AVX state: size a at offset b */
        if (xsave_size() < (u64)a + b && c->idx == 0) {
            /* XCR0 did not take AVX (seen with KVM nested in QEMU TCG's SVM,
             * which does not intercept XSETBV): fall back to SSE canaries. */
            has_avx = 0;
            avx_xcr0_fail = 1;
            write_cr4(read_cr4() & ~(1UL << 18));
        }
    }
    apply_msrs(c);
    c->exp_cr0 = read_cr0();
    c->exp_cr3 = read_cr3();
    c->exp_cr4 = read_cr4();
    c->exp_efer = rdmsr(MSR_EFER);
    c->exp_xcr0 = has_avx ? 7 : 0;
    c->exp_xsave_size = xsave_size();
    apic_init(c);
}

static void timer_start(struct cpu *c)
{
    apic_write(APIC_TDCR, 0xb); /* divide by 1 */
    apic_write(APIC_LVTT, VEC_TIMER | (1u << 17));
    apic_write(APIC_TMICT, cfg.tick_count);
    apic_write(APIC_ESR, 0);
    apic_write(APIC_ESR, 0);
    apic_write(APIC_LVTERR, VEC_APIC_ERR);
    c->exp_apic_svr = apic_read(APIC_SVR);
    c->exp_apic_lvtt = apic_read(APIC_LVTT) & ~(1u << 12);
    c->exp_apic_tmict = apic_read(APIC_TMICT);
    c->exp_apic_tdcr = apic_read(APIC_TDCR);
}

__attribute__((noreturn)) static void run_user(struct cpu *c)
{
    if (cfg.int3_r0)
        int3_check(cfg.int3_vmm); /* once from ring 0; user_main does one per heartbeat from ring 3 */
    timer_start(c);
    enter_user(c, user_main, c->ustack_top, c->exp_gpr, c->exp_vec, has_avx);
}

/* ------------------------------------------------ ring-0 checks / ISRs */
static void r0_err(struct cpu *c, const char *what, u64 want, u64 got)
{
    c->cerr0++;
    u32 h = c->r0_head;
    if (h - c->r0_tail < R0ERR_RING) {
        struct errrec *e = &c->r0_err[h % R0ERR_RING];
        e->what = what;
        e->want = want;
        e->got = got;
        barrier();
        c->r0_head = h + 1;
    }
}

static void r0_check(struct cpu *c)
{
    for (u32 k = CM_KGSBASE; k < CM_COUNT; k++) {
        if (k == CM_TSCAUX)
            continue; /* verified from ring 3 via RDTSCP */
        u64 v = rdmsr(cm_msr[k]);
        if (v != c->exp_msr[k]) {
            r0_err(c, cm_name[k], c->exp_msr[k], v);
            wrmsr(cm_msr[k], c->exp_msr[k]);
        }
    }
    u64 v;
#define CHK_ADOPT(name, expv, getv)                                                                \
    do {                                                                                           \
        v = (getv);                                                                                \
        if (v != (expv)) {                                                                         \
            r0_err(c, name, (expv), v);                                                            \
            (expv) = v;                                                                            \
        }                                                                                          \
    } while (0)
    CHK_ADOPT("cr0", c->exp_cr0, read_cr0());
    CHK_ADOPT("cr3", c->exp_cr3, read_cr3());
    CHK_ADOPT("cr4", c->exp_cr4, read_cr4());
    CHK_ADOPT("efer", c->exp_efer, rdmsr(MSR_EFER));
    if (has_avx)
        CHK_ADOPT("xsave_size", c->exp_xsave_size, xsave_size());
#undef CHK_ADOPT
#define CHK_APIC(name, reg, expv, mask)                                                            \
    do {                                                                                           \
        u32 a = apic_read(reg) & (mask);                                                           \
        if (a != (expv)) {                                                                         \
            r0_err(c, name, (expv), a);                                                            \
            apic_write(reg, (expv));                                                               \
        }                                                                                          \
    } while (0)
    CHK_APIC("apic_svr", APIC_SVR, c->exp_apic_svr, 0xffffffffu);
    CHK_APIC("apic_tdcr", APIC_TDCR, c->exp_apic_tdcr, 0xffffffffu);
    CHK_APIC("apic_lvtt", APIC_LVTT, c->exp_apic_lvtt, ~(1u << 12));
    CHK_APIC("apic_tmict", APIC_TMICT, c->exp_apic_tmict, 0xffffffffu);
#undef CHK_APIC
}

/* The PM1 registers (acpi=1): hfvisor's (its FADT's for Linux), and QEMU q35's where SeaBIOS puts them (PMBASE
 * 0x600): event block status/enable, control block. Only S5's SLP_TYP differs (acpi_s5=). */
#define PM1_STS 0x600
#define PM1_EN 0x602
#define PM1_CNT 0x604
#define PM1_PWRBTN (1u << 8)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN (1u << 13)

/* The operator pressed the power button (`hyperfresh shutdown`, SIGTERM to hfvisor): answer as an OS does, by powering
 * off through S5; hfvisor ends the VM on that write. Polled from CPU 0's periodic check: hfguest takes no SCI. */
static void acpi_poll(void)
{
    if (!(inw(PM1_STS) & PM1_PWRBTN))
        return;
    outw(PM1_STS, PM1_PWRBTN);
    u32 t[16];
    struct buf b;
    b_init(&b, t, sizeof(t));
    b_str(&b, "INFO poweroff reason=power-button");
    con_line_force(&b);
    outw(PM1_CNT, (u16)(cfg.acpi_s5 << PM1_SLP_TYP_SHIFT | PM1_SLP_EN));
}

void timer_handler(void)
{
    struct cpu *c = this_cpu();
    if (!c) { /* not before the CPU has its TSS, which is before its timer starts */
        apic_eoi();
        return;
    }
    c->ticks++;
    if (++c->chk_ctr >= 100) {
        c->chk_ctr = 0;
        r0_check(c);
        if (cfg.acpi && c->idx == 0)
            acpi_poll();
    }
    apic_eoi();
}

static u64 inject_value(struct cpu *c, u32 k)
{
    switch (k) {
    case CM_SFMASK:
    case CM_TSCAUX:
        return c->exp_msr[k] ^ 1;
    case CM_PAT:
        return c->exp_msr[k] ^ (0x06UL << 48);
    default:
        return c->exp_msr[k] ^ 0x1000;
    }
}

/* #BP from int3_check: the frame must be what a CPU pushes (SDM 6.14), on the stack it must use */
static void bp_check(struct frame *f, struct cpu *c)
{
    u64 bad = 0, top = (u64)(&f->ss + 1), flags;
    u64 want_top = (f->cs & 3) ? c->tss.rsp0 : (f->rdx & ~15UL);
    __asm__ volatile("pushfq; pop %0" : "=r"(flags));
#define BP_EQ(what, want, got)                                                                             \
    if ((want) != (got)) {                                                                                 \
        r0_err(c, what, want, got);                                                                        \
        bad++;                                                                                             \
    }
    BP_EQ("bp_rip", f->r8, f->rip);
    BP_EQ("bp_rsp", f->rdx, f->rsp);
    BP_EQ("bp_rflags", f->rcx, f->rflags);
    BP_EQ("bp_cs", f->rsi, f->cs & 0xffff);
    BP_EQ("bp_ss", f->rdi, f->ss & 0xffff);
    BP_EQ("bp_stack", want_top, top);
    BP_EQ("bp_if", 0UL, flags & (1UL << 9)); /* an interrupt gate */
#undef BP_EQ
    c->bp++;
    f->rax = bad;
}

/* QEMU TCG (our nested-KVM test platform) checks ring-3 port I/O against the TSS I/O bitmap only while TR is an
 * available (type 9) TSS, but KVM hands TR back as busy (type 11) after a VMM's KVM_GET/SET_SREGS, e.g. a #BP
 * delivery or a state restore; every bitmap lookup then faults. A CPU does not look at that type. So a #GP on ring-3
 * port I/O that the bitmap allows reloads TR (descriptor made available again, ltr) and retries; a denied port
 * panics. The retry count per loop iteration is capped, in case a reload does not help. */
static int retry_io_after_tr_reload(struct frame *f, struct cpu *c)
{
    const u8 *op = (const u8 *)f->rip;
    int opsize16 = 0;
    for (; *op == 0x66 || *op == 0xf3; op++)
        opsize16 |= *op == 0x66;
    int imm = *op >= 0xe4 && *op <= 0xe7;
    if (!(f->cs & 3) || !(imm || (*op >= 0x6c && *op <= 0x6f) || (*op >= 0xec && *op <= 0xef)))
        return 0;
    u32 port = imm ? op[1] : (u16)f->rdx, size = (*op & 1) ? (opsize16 ? 2 : 4) : 1;
    for (u32 p = port; p < port + size; p++)
        if (p >= IOBM_PORTS || (c->tss.iobm[p / 8] >> (p % 8)) & 1)
            return 0;
    if (++c->io_retries > 1000)
        return 0;
    gdt[GDT_FIXED + 2 * c->idx] &= ~(2UL << 40);
    __asm__ volatile("ltr %w0" ::"r"((u16)(SEL_TSS0 + 16 * c->idx)) : "memory");
    return 1;
}

void isr_handler(struct frame *f)
{
    struct cpu *c = this_cpu();
    switch (f->vec) {
    case VEC_GP:
        if (c && retry_io_after_tr_reload(f, c))
            return;
        break;
    case VEC_BP:
        if (c) {
            bp_check(f, c);
            return;
        }
        break;
    case VEC_UD:
        if (f->rip != (u64)svc_ud2 || !(f->cs & 3))
            break;
        f->rip += 2;   /* past the ud2: the request is served */
        if (c && f->rax == SVC_REPAIR) {
            apply_msrs(c);
            if (has_avx)
                xsetbv(0, c->exp_xcr0);
        } else if (c && f->rax == SVC_INJECT && f->rdi < CM_COUNT) {
            wrmsr(cm_msr[f->rdi], inject_value(c, (u32)f->rdi));
        } else if (c && f->rax == SVC_INJECT_XCR0 && has_avx) {
            xsetbv(0, 3); /* x87 | SSE */
        }
        return;
    case VEC_SPURIOUS:
        if (c)
            c->spurious++;
        return;
    case VEC_APIC_ERR: {
        apic_write(APIC_ESR, 0);
        u32 esr = apic_read(APIC_ESR);
        apic_eoi();
        if (c)
            r0_err(c, "apic_esr", 0, esr);
        return;
    }
    }
    panic(f, c);
}

/* ------------------------------------------------------------- SMP */
static void calibrate_tsc(void)
{
    apic_write(APIC_TDCR, 0xb);
    apic_write(APIC_LVTT, (1u << 16) | VEC_TIMER); /* masked, one-shot */
    apic_write(APIC_TMICT, 0xffffffffu);
    u32 s = apic_read(APIC_TMCCT);
    u64 t0 = rdtsc();
    u32 e;
    do {
        cpu_pause();
        e = apic_read(APIC_TMCCT);
        if (rdtsc() - t0 > 100000000000UL) /* 10 ms of APIC time not seen in ~10 s at any TSC rate */
            fatal("apic_timer_stopped");
    } while (s - e < APIC_HZ / 100); /* 10 ms */
    u64 t1 = rdtsc();
    apic_write(APIC_TMICT, 0);
    u64 ns = (u64)(s - e) * (1000000000UL / APIC_HZ);
    tsc_khz = (t1 - t0) * 1000000UL / ns;
    if (!tsc_khz)
        tsc_khz = 1;
}

static void start_aps(void)
{
    u32 t[64];
    struct buf b;
    if (cfg.cpus <= 1)
        return;
    memcpy((void *)TRAMP_BASE, tramp_start, (u64)(tramp_end - tramp_start));
    *(volatile u32 *)(TRAMP_BASE + (u64)(tramp_cr3 - tramp_start)) = (u32)(u64)boot_pml4;
    u32 bsp = cpu_ptr[0]->apic_id, fails = 0;
    for (u32 id = 0; ncpus < cfg.cpus && id < 256 && fails < 2; id++) {
        if (id == bsp)
            continue;
        struct cpu *c = cpu_ptr[ncpus];
        ap_boot_stack = c->kstack_top;
        ap_boot_cpu = ncpus;
        barrier();
        apic_icr(id, 0x4500);                       /* INIT */
        delay_us(10000);
        apic_icr(id, 0x4600 | (TRAMP_BASE >> 12));  /* SIPI */
        delay_us(200);
        if (!c->online)
            apic_icr(id, 0x4600 | (TRAMP_BASE >> 12));
        u64 end = rdtsc() + 2000 * tsc_khz;         /* 2 s */
        while (!c->online && rdtsc() < end)
            cpu_pause();
        if (c->online) {
            ncpus++;
            fails = 0;
        } else {
            fails++;
        }
    }
    if (ncpus < cfg.cpus) {
        boot_errors++;
        b_init(&b, t, sizeof(t));
        b_str(&b, "ERR cpu=0 kind=boot what=ap_start");
        b_kv(&b, "want", cfg.cpus);
        b_kv(&b, "got", ncpus);
        con_line(&b);
    }
}

void ap_main(u32 idx)
{
    struct cpu *c = cpu_ptr[idx];
    cpu_init(c);
    barrier();
    c->online = 1;
    u64 end = rdtsc() + 600000 * tsc_khz; /* the BSP starts the run within 10 min even on emulated platforms */
    while (!go)
        if (rdtsc() > end)
            fatal("bsp_did_not_start_the_run");
        else
            cpu_pause();
    run_user(c);
}

static u64 idx_to_phys(u64 j)
{
    u32 s = 0;
    while (s + 1 < nfr && j >= fr_first[s] + fr_pages[s])
        s++;
    return fr_start[s] + (j - fr_first[s]) * PAGE;
}

static void setup_slices(void)
{
    u64 total = nfr ? fr_first[nfr - 1] + fr_pages[nfr - 1] : 0;
    mem_pct = cfg.mem_pct;
    for (u32 i = 0; i < ncpus; i++) {
        struct cpu *c = cpu_ptr[i];
        c->w_lo = total * i / ncpus;
        c->w_hi = total * (i + 1) / ncpus;
        c->w_j = c->w_lo;
        c->gen = 1;
        c->w_seg = 0;
        while (c->w_seg + 1 < nfr && c->w_lo >= fr_first[c->w_seg] + fr_pages[c->w_seg])
            c->w_seg++;
        c->w_covered = 0;
        for (u64 j = c->w_lo; j < c->w_hi;) {
            u64 next = ((j >> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;
            if (next > c->w_hi)
                next = c->w_hi;
            if (page_covered(j)) {
                if (!c->w_covered)
                    c->w_first_phys = idx_to_phys(j);
                c->w_last_phys = idx_to_phys(next - 1);
                c->w_covered += next - j;
            }
            j = next;
        }
    }
}

void kmain(u32 magic, u32 mbi)
{
    u32 t[64];
    struct buf b;

    cfg.cpus = 1;
    cfg.mem_pct = 50;
    cfg.hb_ms = 10;
    cfg.tick_count = 1000000;
    cfg.want_x2apic = cfg.want_avx = cfg.want_fsgsbase = 1;
    cfg.int3_r0 = cfg.linecon = 1;
    cfg.acpi_s5 = 5;

    tables_init();
    load_tables(); /* exceptions from here on print PANIC */
    parse_multiboot(magic, mbi);
    parse_cmdline(cmdline);
    console_line = con_init(cfg.linecon);
    detect_features();

    apic_mmio = rdmsr(MSR_APIC_BASE) & 0xffffff000UL;
    if (apic_mmio < 0x100000000UL) /* make sure the LAPIC page is uncached */
        boot_pd[apic_mmio >> 21] |= 0x18;

    outb(0x21, 0xff); /* mask both 8259 PICs; LAPIC LINT0/1 are masked too */
    outb(0xa1, 0xff);
    if (cfg.acpi) {
        outw(PM1_EN, PM1_PWRBTN); /* listening to the power button, as an OS's ACPI driver says */
        if (inw(PM1_EN) != PM1_PWRBTN)
            cfg.acpi = 0; /* no such registers here (the ports read as all ones): nothing to poll */
    }

    init_bump();
    map_high();
    for (u32 i = 0; i < cfg.cpus; i++)
        cpu_alloc(i);
    compute_free();

    struct cpu *bsp = cpu_ptr[0];
    cpu_init(bsp);
    bsp->online = 1;
    ncpus = 1;
    calibrate_tsc();
    start_aps();
    setup_slices();

    b_init(&b, t, sizeof(t));
    b_str(&b, "HFGUEST v1");
    b_kv(&b, "cpus", ncpus);
    b_kv(&b, "mem", ram_total);
    b_kv(&b, "x2apic", (u64)has_x2apic);
    b_kv(&b, "avx", (u64)has_avx);
    b_kv(&b, "fsgsbase", (u64)has_fsgsbase);
    con_line(&b);

    b_init(&b, t, sizeof(t));
    b_str(&b, "INFO boot");
    b_kv(&b, "tsc_khz", tsc_khz);
    b_kv(&b, "free", free_total);
    b_kv(&b, "mem_pct", cfg.mem_pct);
    b_kv(&b, "hb_ms", cfg.hb_ms);
    b_kv(&b, "tick_count", cfg.tick_count);
    b_kv(&b, "exit_after_ms", cfg.exit_after_ms);
    b_kv(&b, "reset_after_ms", cfg.reset_after_ms);
    b_kv(&b, "rdtscp", (u64)has_rdtscp);
    b_kv(&b, "pdpe1gb", (u64)has_1g);
    b_kx(&b, "maxram", nram ? ram_end[nram - 1] : 0);
    b_kx(&b, "cr0", bsp->exp_cr0);
    b_kx(&b, "cr4", bsp->exp_cr4);
    b_kx(&b, "xcr0", bsp->exp_xcr0);
    b_kx(&b, "efer", bsp->exp_efer);
    b_str(&b, console_line ? " console=line" : " console=byte");
    b_kv(&b, "int3_r0", cfg.int3_r0);
    b_kv(&b, "acpi", cfg.acpi);
    b_kv(&b, "acpi_s5", cfg.acpi_s5);
    if (avx_xcr0_fail)
        b_str(&b, " avx_xcr0_fail=1");
    if (cfg.inject[0]) {
        b_str(&b, " inject=");
        b_str(&b, cfg.inject);
        b_kv(&b, "inject_ms", cfg.inject_ms);
    }
    con_line(&b);
    for (u32 i = 0; i < ncpus; i++) {
        struct cpu *c = cpu_ptr[i];
        b_init(&b, t, sizeof(t));
        b_str(&b, "INFO");
        b_kv(&b, "cpu", i);
        b_kv(&b, "apic", c->apic_id);
        b_kv(&b, "pages", c->w_covered);
        b_kx(&b, "first", c->w_first_phys);
        b_kx(&b, "last", c->w_last_phys);
        con_line(&b);
    }

    go_tsc = rdtsc();
    barrier();
    go = 1;
    run_user(bsp);
}
