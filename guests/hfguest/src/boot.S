/*
 * hfguest boot code: Multiboot v1 header (a.out kludge), 32-bit entry,
 * switch to long mode, and the real-mode AP trampoline.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00010002          /* bit 1: want mem info/mmap, bit 16: a.out kludge */
#define TRAMP_BASE 0x8000

/* ---------------------------------------------------------------- header */
        .section .multiboot, "a"
        .align 4
        .globl mb_header
mb_header:
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)
        .long mb_header               /* header_addr */
        .long _load_start             /* load_addr */
        .long _load_end               /* load_end_addr */
        .long _bss_end                /* bss_end_addr */
        .long _start                  /* entry_addr */

/* ---------------------------------------------------------- 32-bit entry */
        .section .text.boot, "ax"
        .code32
        .globl _start
_start:
        cli
        cld
        mov     %eax, %ebp            /* multiboot magic */
        mov     %ebx, %esi            /* multiboot info */

        /* zero .bss (page tables, stacks, globals) */
        mov     $_bss_start, %edi
        mov     $_bss_end, %ecx
        sub     %edi, %ecx
        xor     %eax, %eax
        rep stosb

        mov     $boot_stack_top, %esp

        /* need long mode */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_long_mode
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     no_long_mode

        /* bootstrap identity map of 0..4 GiB with 2 MiB pages, user-accessible */
        mov     $boot_pdpt, %eax
        or      $7, %eax
        mov     %eax, boot_pml4
        mov     $boot_pd, %eax
        or      $7, %eax
        mov     %eax, boot_pdpt
        add     $4096, %eax
        mov     %eax, boot_pdpt + 8
        add     $4096, %eax
        mov     %eax, boot_pdpt + 16
        add     $4096, %eax
        mov     %eax, boot_pdpt + 24
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $21, %eax
        or      $0x87, %eax           /* P | RW | US | PS */
        mov     %eax, boot_pd(,%ecx,8)
        inc     %ecx
        cmp     $2048, %ecx
        jb      1b
        /* LAPIC page (0xfee00000) uncached: PCD | PWT */
        orl     $0x18, boot_pd + (0xfee00000 >> 21) * 8

        mov     %cr4, %eax
        or      $0x20, %eax           /* PAE */
        mov     %eax, %cr4
        mov     $boot_pml4, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x100, %eax          /* EFER.LME */
        wrmsr
        mov     %cr0, %eax
        and     $0x9fffffff, %eax     /* clear CD, NW */
        or      $0x80000001, %eax     /* PG | PE */
        mov     %eax, %cr0
        lgdt    boot_gdtr
        ljmp    $0x10, $long_entry

no_long_mode:
        mov     $nolm_msg, %esi
        mov     $(nolm_msg_end - nolm_msg), %ecx
        mov     $0xe9, %dx
        rep outsb
        mov     $2, %al
        out     %al, $0xf4
2:      hlt
        jmp     2b

        .section .text, "ax"
        .code64
long_entry:
        mov     $0x18, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        mov     $boot_stack_top, %rsp
        mov     %ebp, %edi
        mov     %esi, %esi
        call    kmain
3:      cli
        hlt
        jmp     3b

/* AP 64-bit entry, reached from the trampoline via the trampoline GDT */
        .globl ap_entry64
ap_entry64:
        mov     $0x18, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     ap_boot_stack(%rip), %rsp
        mov     ap_boot_cpu(%rip), %edi
        call    ap_main
4:      cli
        hlt
        jmp     4b

        .section .rodata
nolm_msg:
        .ascii "PANIC cpu=0 vec=256 err=0x0 rip=0x0 cr2=0x0 msg=no_long_mode\n"
nolm_msg_end:

        .section .data
        .align 16
boot_gdt:                             /* Linux's layout, as the GDT hfguest runs on (hf.h) */
        .quad 0
        .quad 0x00cf9a000000ffff      /* 0x08 32-bit code */
        .quad 0x00af9a000000ffff      /* 0x10 64-bit code */
        .quad 0x00cf92000000ffff      /* 0x18 data */
boot_gdtr:
        .word 31
        .long boot_gdt
        .globl ap_boot_stack, ap_boot_cpu
        .align 8
ap_boot_stack:
        .quad 0
ap_boot_cpu:
        .long 0

/* ------------------------------------------------------ AP trampoline
 * Copied to TRAMP_BASE (0x8000) by the BSP; SIPI vector 0x08.
 * Only label differences are used, so it runs at any copy address == TRAMP_BASE. */
        .section .text.tramp, "ax"
        .code16
        .globl tramp_start, tramp_end, tramp_cr3
tramp_start:
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   tramp_gdtr - tramp_start
        mov     %cr0, %eax
        and     $0x9fffffff, %eax     /* clear CD, NW (set after INIT) */
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $(TRAMP_BASE + tramp_pm32 - tramp_start)
        .code32
tramp_pm32:
        mov     $0x18, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %cr4, %eax
        or      $0x20, %eax
        mov     %eax, %cr4
        mov     (TRAMP_BASE + tramp_cr3 - tramp_start), %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000001, %eax
        mov     %eax, %cr0
        ljmp    $0x10, $ap_entry64
        .align 8
tramp_gdt:
        .quad 0
        .quad 0x00cf9a000000ffff      /* 0x08 32-bit code */
        .quad 0x00af9a000000ffff      /* 0x10 64-bit code */
        .quad 0x00cf92000000ffff      /* 0x18 data */
tramp_gdtr:
        .word 31
        .long TRAMP_BASE + tramp_gdt - tramp_start
        .align 4
tramp_cr3:
        .long 0
tramp_end:
        .code64

/* ------------------------------------------------------------------ bss */
        .section .bss
        .align 4096
        .globl boot_pml4, boot_pdpt, boot_pd
boot_pml4:
        .skip 4096
boot_pdpt:
        .skip 4096
boot_pd:
        .skip 4 * 4096
        .align 16
boot_stack:
        .skip 16384
boot_stack_top:
