/* hfguest: interrupt stubs, ring-3 entry, register canary helpers. */
        .text
        .code64

/* 256 stubs, 16 bytes apart: stub for vector v is at isr_stubs + 16*v */
        .align 16
        .globl isr_stubs
isr_stubs:
        .set vec, 0
        .rept 256
        .align 16
        .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
        pushq   $vec
        .else
        pushq   $0
        pushq   $vec
        .endif
        jmp     isr_common
        .set vec, vec + 1
        .endr
        .align 16
        .globl isr_stubs_end
isr_stubs_end:

isr_common:
        cld
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, %rdi
        call    isr_handler
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp
        iretq

/* LAPIC timer: minimal path, caller-saved registers only (C code never
 * touches r12-r15 or vector registers; rbx/rbp are callee-saved). */
        .align 16
        .globl timer_stub
timer_stub:
        cld
        push    %rax
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        call    timer_handler
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rax
        iretq

/* enter_user(cpu=rdi, entry=rsi, ustack_top=rdx, gpr=rcx, vec=r8, avx=r9d): iretq to user_start in ring 3 with
 * IOPL 0 (port I/O then goes by the TSS I/O bitmap). Vector registers are loaded there, not here: KVM's
 * instruction emulator, which runs ring 0 on a PVM host, has no SIMD. */
        .globl enter_user
enter_user:
        pushq   $0x2b                 /* SS: user data (SEL_UDATA) */
        lea     -8(%rdx), %rax
        push    %rax                  /* RSP (as if called) */
        pushq   $0x202                /* RFLAGS: IF, IOPL 0 */
        pushq   $0x33                 /* CS: user code (SEL_UCODE) */
        lea     user_start(%rip), %rax
        push    %rax                  /* RIP */
        xor     %eax, %eax
        xor     %ebx, %ebx
        xor     %edx, %edx
        xor     %ebp, %ebp
        xor     %r10d, %r10d
        xor     %r11d, %r11d
        iretq

/* ------------------------------------------------------------------ ring 3 */
        .section .text.user, "ax"

/* from enter_user: rdi=cpu, rsi=entry, rcx=gpr, r8=vec, r9d=avx; loads the canaries, then entry(cpu) */
user_start:
        mov     0(%rcx), %r12
        mov     8(%rcx), %r13
        mov     16(%rcx), %r14
        mov     24(%rcx), %r15
        test    %r9d, %r9d
        jz      1f
        vmovdqu 0(%r8), %ymm8
        vmovdqu 32(%r8), %ymm9
        vmovdqu 64(%r8), %ymm10
        vmovdqu 96(%r8), %ymm11
        vmovdqu 128(%r8), %ymm12
        vmovdqu 160(%r8), %ymm13
        vmovdqu 192(%r8), %ymm14
        vmovdqu 224(%r8), %ymm15
        jmp     2f
1:      movdqu  0(%r8), %xmm8
        movdqu  32(%r8), %xmm9
        movdqu  64(%r8), %xmm10
        movdqu  96(%r8), %xmm11
        movdqu  128(%r8), %xmm12
        movdqu  160(%r8), %xmm13
        movdqu  192(%r8), %xmm14
        movdqu  224(%r8), %xmm15
2:      mov     %rsi, %rax
        xor     %ecx, %ecx
        xor     %esi, %esi
        xor     %r8d, %r8d
        xor     %r9d, %r9d
        jmp     *%rax

/* canary_dump(out=rdi, avx=esi): out[0..3]=r12..r15, out[4+4k..]=ymm(8+k) */
        .globl canary_dump
canary_dump:
        mov     %r12, 0(%rdi)
        mov     %r13, 8(%rdi)
        mov     %r14, 16(%rdi)
        mov     %r15, 24(%rdi)
        test    %esi, %esi
        jz      1f
        vmovdqu %ymm8, 32(%rdi)
        vmovdqu %ymm9, 64(%rdi)
        vmovdqu %ymm10, 96(%rdi)
        vmovdqu %ymm11, 128(%rdi)
        vmovdqu %ymm12, 160(%rdi)
        vmovdqu %ymm13, 192(%rdi)
        vmovdqu %ymm14, 224(%rdi)
        vmovdqu %ymm15, 256(%rdi)
        ret
1:      movdqu  %xmm8, 32(%rdi)
        movdqu  %xmm9, 64(%rdi)
        movdqu  %xmm10, 96(%rdi)
        movdqu  %xmm11, 128(%rdi)
        movdqu  %xmm12, 160(%rdi)
        movdqu  %xmm13, 192(%rdi)
        movdqu  %xmm14, 224(%rdi)
        movdqu  %xmm15, 256(%rdi)
        ret

/* canary_load(gpr=rdi, vec=rsi, avx=edx) */
        .globl canary_load
canary_load:
        mov     0(%rdi), %r12
        mov     8(%rdi), %r13
        mov     16(%rdi), %r14
        mov     24(%rdi), %r15
        test    %edx, %edx
        jz      1f
        vmovdqu 0(%rsi), %ymm8
        vmovdqu 32(%rsi), %ymm9
        vmovdqu 64(%rsi), %ymm10
        vmovdqu 96(%rsi), %ymm11
        vmovdqu 128(%rsi), %ymm12
        vmovdqu 160(%rsi), %ymm13
        vmovdqu 192(%rsi), %ymm14
        vmovdqu 224(%rsi), %ymm15
        ret
1:      movdqu  0(%rsi), %xmm8
        movdqu  32(%rsi), %xmm9
        movdqu  64(%rsi), %xmm10
        movdqu  96(%rsi), %xmm11
        movdqu  128(%rsi), %xmm12
        movdqu  160(%rsi), %xmm13
        movdqu  192(%rsi), %xmm14
        movdqu  224(%rsi), %xmm15
        ret

/* test hooks: corrupt one canary register */
        .globl inject_gpr
inject_gpr:
        xor     $0x100, %r13
        ret
        .globl inject_vec
inject_vec:
        test    %edi, %edi
        jz      1f
        vpcmpeqd %xmm0, %xmm0, %xmm0  /* flip only the upper 128 bits */
        vperm2f128 $0x08, %ymm0, %ymm0, %ymm0
        vxorps  %ymm0, %ymm9, %ymm9
        vxorps  %ymm0, %ymm0, %ymm0
        ret
1:      pcmpeqd %xmm0, %xmm0
        pxor    %xmm0, %xmm9
        pxor    %xmm0, %xmm0
        ret

/* ------------------------------------------------------------------ ring 0 and ring 3 */
        .text

/* u64 int3_check(via_vmm=rdi): an int3 with the frame the CPU must push held in registers for the #BP handler
 * to compare (r8 return rip, rdx rsp, rcx rflags, rsi cs, rdi ss); returns the handler's mismatch count. With
 * via_vmm, the int3 follows a write to PORT_BP_PROBE, so hfvisor delivers #BP itself, as on a PVM host. */
        .globl int3_check
int3_check:
        mov     %rdi, %r9
        lea     1f(%rip), %r8
        mov     %rsp, %rdx
        xor     %esi, %esi
        mov     %cs, %si
        xor     %edi, %edi
        mov     %ss, %di
        xor     %eax, %eax
        test    %r9, %r9
        pushfq                        /* the flags int3 sees: nothing below changes them */
        pop     %rcx
        jz      2f
        out     %al, $0xea
2:      int3
1:      ret
