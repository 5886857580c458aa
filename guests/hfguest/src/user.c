/*
 * hfguest ring-3 workload: memory worker, register/MSR/XCR0 canaries, TSC gap
 * tracking, heartbeats, exit. Runs with IOPL 0: the TSS I/O bitmap allows the
 * console, int3-probe and power-off ports. Every function here is USER_TEXT
 * (section .text.user), so it may use what ring 0 must not (XGETBV, SIMD).
 * r12-r15 and xmm/ymm8-15 hold canaries: this file (like all C here) is
 * compiled with -ffixed-r12..r15 and -mgeneral-regs-only.
 */
#include "hf.h"

#define GOLDEN 0x9e3779b97f4a7c15UL
#define MAX_ERR_LINES 16

USER_TEXT static inline u64 gen_key(u64 gen) { return gen * GOLDEN; }

USER_TEXT static void emit(struct buf *b) { con_line(b); }

/* A request to ring 0: `ud2` at svc_ud2, which the #UD handler recognises by its address, serves and steps over.
 * Not `int n`: PVM answers a user-mode INT n with #UD anyway; this way every KVM takes the same path. */
USER_TEXT __attribute__((noinline)) static void svc(u64 op, u64 arg)
{
    __asm__ volatile(".globl svc_ud2\nsvc_ud2: ud2" ::"a"(op), "D"(arg) : "memory");
}

USER_TEXT static __attribute__((noinline)) void err_canary(struct cpu *c, const char *what, u64 want, u64 got)
{
    c->cerr3++;
    if (c->cerr_printed >= MAX_ERR_LINES)
        return;
    c->cerr_printed++;
    struct buf b;
    b_init(&b, c->line, sizeof(c->line));
    b_str(&b, "ERR");
    b_kv(&b, "cpu", c->idx);
    b_str(&b, " kind=canary what=");
    b_str(&b, what);
    b_kx(&b, "want", want);
    b_kx(&b, "got", got);
    emit(&b);
}

USER_TEXT static __attribute__((noinline)) void err_mem(struct cpu *c, u64 phys, u64 key)
{
    const volatile u64 *p = (const volatile u64 *)phys;
    for (u64 i = 0; i < PAGE / 8; i++) {
        u64 a = phys + i * 8, want = a ^ key, got = p[i];
        if (got == want)
            continue;
        c->merr++;
        if (c->merr_printed >= MAX_ERR_LINES)
            continue;
        c->merr_printed++;
        struct buf b;
        b_init(&b, c->line, sizeof(c->line));
        b_str(&b, "ERR");
        b_kv(&b, "cpu", c->idx);
        b_str(&b, " kind=mem");
        b_kx(&b, "addr", a);
        b_kx(&b, "want", want);
        b_kx(&b, "got", got);
        b_kv(&b, "gen", c->gen - 1);
        emit(&b);
    }
}

/* one page: verify generation gen-1, write generation gen */
USER_TEXT static void work_page(struct cpu *c)
{
    u64 j;
    for (;;) {
        if (c->w_j >= c->w_hi) {
            c->w_j = c->w_lo;
            c->w_seg = 0;
            while (c->w_seg + 1 < nfr && c->w_lo >= fr_first[c->w_seg] + fr_pages[c->w_seg])
                c->w_seg++;
            c->gen++;
        }
        j = c->w_j;
        if (page_covered(j)) {
            c->w_j++;
            break;
        }
        c->w_j = ((j >> CHUNK_SHIFT) + 1) << CHUNK_SHIFT; /* skip the uncovered chunk */
    }
    while (j >= fr_first[c->w_seg] + fr_pages[c->w_seg])
        c->w_seg++;
    u64 phys = fr_start[c->w_seg] + (j - fr_first[c->w_seg]) * PAGE;
    u64 *p = (u64 *)phys;
    if (c->gen > 1) {
        u64 kp = gen_key(c->gen - 1), diff = 0, a = phys;
        for (u64 i = 0; i < PAGE / 8; i += 4, a += 32) {
            diff |= p[i] ^ (a ^ kp);
            diff |= p[i + 1] ^ ((a + 8) ^ kp);
            diff |= p[i + 2] ^ ((a + 16) ^ kp);
            diff |= p[i + 3] ^ ((a + 24) ^ kp);
        }
        if (diff)
            err_mem(c, phys, kp);
    }
    u64 kn = gen_key(c->gen), a = phys;
    for (u64 i = 0; i < PAGE / 8; i += 4, a += 32) {
        p[i] = a ^ kn;
        p[i + 1] = (a + 8) ^ kn;
        p[i + 2] = (a + 16) ^ kn;
        p[i + 3] = (a + 24) ^ kn;
    }
    barrier();
    c->pages++;
}

static const char *const gpr_name[4] = {"r12", "r13", "r14", "r15"};
static const char *const ymm_name[8] = {"ymm8", "ymm9", "ymm10", "ymm11", "ymm12", "ymm13", "ymm14", "ymm15"};
static const char *const xmm_name[8] = {"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"};

USER_TEXT static __attribute__((noinline)) void canary_slow(struct cpu *c, u64 fs0, u64 gs0, u64 fsb, u64 gsb)
{
    int nq = has_avx ? 4 : 2, regs = 0, msrs = 0;
    for (int k = 0; k < 4; k++)
        if (c->dump[k] != c->exp_gpr[k]) {
            err_canary(c, gpr_name[k], c->exp_gpr[k], c->dump[k]);
            regs = 1;
        }
    for (int k = 0; k < 8; k++)
        for (int q = 0; q < nq; q++)
            if (c->dump[4 + 4 * k + q] != c->exp_vec[k][q]) {
                err_canary(c, has_avx ? ymm_name[k] : xmm_name[k], c->exp_vec[k][q], c->dump[4 + 4 * k + q]);
                regs = 1;
                break;
            }
    if (fs0 != c->exp_msr[CM_FSBASE]) {
        err_canary(c, "fs0", c->exp_msr[CM_FSBASE], fs0);
        msrs = 1;
    }
    if (gs0 != c->exp_msr[CM_GSBASE]) {
        err_canary(c, "gs0", c->exp_msr[CM_GSBASE], gs0);
        msrs = 1;
    }
    if (has_fsgsbase && fsb != c->exp_msr[CM_FSBASE]) {
        err_canary(c, "fsbase", c->exp_msr[CM_FSBASE], fsb);
        msrs = 1;
    }
    if (has_fsgsbase && gsb != c->exp_msr[CM_GSBASE]) {
        err_canary(c, "gsbase", c->exp_msr[CM_GSBASE], gsb);
        msrs = 1;
    }
    if (regs)
        canary_load(c->exp_gpr, c->exp_vec, has_avx);
    if (msrs)
        svc(SVC_REPAIR, 0);
}

/* XGETBV is legal in ring 3 (CR4.OSXSAVE) and, unlike in ring 0 on a PVM host, needs no emulator */
USER_TEXT static inline u64 xgetbv0(void)
{
    u32 lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((u64)hi << 32) | lo;
}

USER_TEXT static inline void check_canaries(struct cpu *c)
{
    u64 diff = 0, fs0, gs0, fsb = 0, gsb = 0;
    int nq = has_avx ? 4 : 2;
    if (has_avx) {
        /* before touching ymm, which faults where XCR0 lost AVX; the repair (SVC) sets XCR0 back */
        /* Ring 3 runs on the hardware's XCR0: the guest's own, or on a PVM host the host's, which holds more
         * bits. Whichever it is, it must enable what this guest set, and never change. */
        u64 xcr0 = xgetbv0();
        if (!c->xcr0_user)
            c->xcr0_user = (xcr0 & c->exp_xcr0) == c->exp_xcr0 ? xcr0 : c->exp_xcr0;
        if (xcr0 != c->xcr0_user) {
            err_canary(c, "xcr0", c->xcr0_user, xcr0);
            svc(SVC_REPAIR, 0);
        }
    }
    canary_dump(c->dump, has_avx);
    for (int k = 0; k < 4; k++)
        diff |= c->dump[k] ^ c->exp_gpr[k];
    for (int k = 0; k < 8; k++)
        for (int q = 0; q < nq; q++)
            diff |= c->dump[4 + 4 * k + q] ^ c->exp_vec[k][q];
    __asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
    __asm__ volatile("mov %%gs:0, %0" : "=r"(gs0));
    diff |= (fs0 ^ c->exp_msr[CM_FSBASE]) | (gs0 ^ c->exp_msr[CM_GSBASE]);
    if (has_fsgsbase) {
        __asm__ volatile("rdfsbase %0" : "=r"(fsb));
        __asm__ volatile("rdgsbase %0" : "=r"(gsb));
        diff |= (fsb ^ c->exp_msr[CM_FSBASE]) | (gsb ^ c->exp_msr[CM_GSBASE]);
    }
    if (diff)
        canary_slow(c, fs0, gs0, fsb, gsb);
}

USER_TEXT static inline u64 read_tsc(struct cpu *c)
{
    if (has_rdtscp) {
        u32 aux;
        u64 t = rdtscp(&aux);
        if (aux != (u32)c->exp_msr[CM_TSCAUX]) {
            err_canary(c, "tscaux", c->exp_msr[CM_TSCAUX], aux);
            svc(SVC_REPAIR, 0);
        }
        return t;
    }
    return rdtsc();
}

USER_TEXT static __attribute__((noinline)) void drain_r0(struct cpu *c)
{
    while (c->r0_tail != c->r0_head) {
        struct errrec *e = &c->r0_err[c->r0_tail % R0ERR_RING];
        if (c->cerr_printed < MAX_ERR_LINES) {
            c->cerr_printed++;
            struct buf b;
            b_init(&b, c->line, sizeof(c->line));
            b_str(&b, "ERR");
            b_kv(&b, "cpu", c->idx);
            b_str(&b, " kind=canary what=");
            b_str(&b, e->what);
            b_kx(&b, "want", e->want);
            b_kx(&b, "got", e->got);
            b_str(&b, " ring=0");
            emit(&b);
        }
        c->r0_tail++;
    }
}

USER_TEXT static __attribute__((noinline)) void heartbeat(struct cpu *c, u64 now, u64 period)
{
    u64 pages = c->pages - c->hb_last_pages, dt = now - c->hb_last_tsc;
    u64 pps = (c->seq && dt) ? pages * tsc_khz * 1000 / dt : 0;
    if (c->gap > c->gapmax)
        c->gapmax = c->gap;
    struct buf b;
    b_init(&b, c->line, sizeof(c->line));
    b_str(&b, "HB");
    b_kv(&b, "cpu", c->idx);
    b_kv(&b, "seq", c->seq);
    b_kv(&b, "tsc", now);
    b_kv(&b, "ticks", c->ticks);
    b_kv(&b, "pps", pps);
    b_kv(&b, "merr", c->merr);
    b_kv(&b, "cerr", c->cerr0 + c->cerr3);
    b_kv(&b, "gap", c->gap);
    b_kv(&b, "gapmax", c->gapmax);
    b_kv(&b, "back", c->back);
    b_kv(&b, "gen", c->gen);
    emit(&b);
    c->seq++;
    c->hb_last_tsc = now;
    c->hb_last_pages = c->pages;
    c->gap = 0;
    c->hb_next += period;
    if (c->hb_next <= now)
        c->hb_next = now + period;
}

USER_TEXT static __attribute__((noinline)) void do_exit(struct cpu *c)
{
    u64 merr = 0, cerr = 0;
    for (u32 i = 0; i < ncpus; i++) {
        merr += cpu_ptr[i]->merr;
        cerr += cpu_ptr[i]->cerr0 + cpu_ptr[i]->cerr3;
    }
    u8 code = (merr || cerr || boot_errors) ? 1 : 0;
    struct buf b;
    b_init(&b, c->line, sizeof(c->line));
    b_str(&b, "DONE");
    b_kv(&b, "cpus", ncpus);
    b_kv(&b, "merr", merr);
    b_kv(&b, "cerr", cerr);
    b_kv(&b, "booterr", boot_errors);
    b_kv(&b, "code", code);
    emit(&b);
    c->exit_done = 1;
    outb(PORT_EXIT, code);
}

/* cmdline reset_after_ms=: ask the machine for a reset as a PC's OS does, and again every 100 ms until it acts (a
 * request the VMM could not take, e.g. while it paused the VM, is retried as Linux retries) */
USER_TEXT static __attribute__((noinline)) void do_reset(struct cpu *c, u64 now)
{
    struct buf b;
    b_init(&b, c->line, sizeof(c->line));
    b_str(&b, "RESET");
    b_kv(&b, "cpu", c->idx);
    b_kv(&b, "seq", c->seq);
    emit(&b);
    c->reset_next = now + 100 * tsc_khz;
    outb(PORT_I8042_CMD, 0xfe);
}

USER_TEXT static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* test hook: deliberately corrupt one piece of checked state (cmdline inject=) */
USER_TEXT static __attribute__((noinline)) void do_inject(struct cpu *c)
{
    static const char *const msr_kinds[CM_COUNT] = {
        [CM_FSBASE] = "fsbase", [CM_GSBASE] = "gsbase", [CM_KGSBASE] = "kgsbase", [CM_STAR] = "star",
        [CM_LSTAR] = "lstar",   [CM_SFMASK] = "sfmask", [CM_TSCAUX] = "tscaux",   [CM_PAT] = "pat",
    };
    const char *k = cfg.inject;
    if (streq(k, "mem")) {
        if (!c->w_covered)
            goto done;
        if (c->gen < 2)
            return; /* wait until the first page holds a verifiable pattern */
        *(volatile u64 *)(c->w_first_phys + 64) ^= 0x10;
    } else if (streq(k, "gpr")) {
        inject_gpr();
    } else if (streq(k, "vec")) {
        inject_vec(has_avx);
    } else if (streq(k, "xcr0")) {
        svc(SVC_INJECT_XCR0, 0);
    } else if (streq(k, "port")) {
        outb(0x80, 0); /* not in the TSS I/O bitmap: #GP */
    } else if (streq(k, "ud")) {
        __asm__ volatile("ud2");
    } else {
        for (u32 i = 0; i < CM_COUNT; i++)
            if (streq(k, msr_kinds[i]))
                svc(SVC_INJECT, i);
    }
done:
    c->inject_done = 1;
}

USER_TEXT void user_main(struct cpu *c)
{
    u64 period = cfg.hb_ms * tsc_khz;
    u64 exit_at = cfg.exit_after_ms ? go_tsc + cfg.exit_after_ms * tsc_khz : 0;
    u64 inject_at = 0;
    if (cfg.inject[0] && c->idx == cfg.inject_cpu)
        inject_at = go_tsc + cfg.inject_ms * tsc_khz;
    int work = c->w_covered > 0;

    c->prev_tsc = read_tsc(c);
    c->reset_next = cfg.reset_after_ms ? go_tsc + cfg.reset_after_ms * tsc_khz : 0;
    c->hb_next = c->prev_tsc;
    c->hb_last_tsc = c->prev_tsc;
    for (;;) {
        if (work)
            work_page(c);
        check_canaries(c);
        u64 now = read_tsc(c);
        if (now < c->prev_tsc) {
            c->back++;
        } else {
            u64 g = now - c->prev_tsc;
            if (g > c->gap)
                c->gap = g;
        }
        c->prev_tsc = now;
        if (c->r0_head != c->r0_tail)
            drain_r0(c);
        c->io_retries = 0;
        /* prev_tsc stays `now`: printing (a VM exit per line) counts towards the next gap, so a pause that
         * lands on it is seen like one anywhere else in the loop */
        if (now >= c->hb_next) {
            heartbeat(c, now, period);
            int3_check(cfg.int3_vmm);
            u64 printed = read_tsc(c);
            if (c->hb_next <= printed) /* slow output: still do some work in between */
                c->hb_next = printed + period;
        }
        if (inject_at && !c->inject_done && now >= inject_at)
            do_inject(c);
        if (exit_at && c->idx == 0 && !c->exit_done && now >= exit_at)
            do_exit(c);
        if (c->reset_next && c->idx == 0 && now >= c->reset_next)
            do_reset(c, now);
    }
}
