/* Prints the KVM ABI numbers this kernel's headers define, one "NAME VALUE" per line (IoctlNumbersTest). */
#include <stddef.h>
#include <stdio.h>
#include <linux/kvm.h>

#define P(x) printf("%s %llu\n", #x, (unsigned long long)(x))

int main(void) {
    P(KVM_GET_API_VERSION); P(KVM_CREATE_VM); P(KVM_GET_MSR_INDEX_LIST); P(KVM_CHECK_EXTENSION);
    P(KVM_GET_VCPU_MMAP_SIZE); P(KVM_GET_SUPPORTED_CPUID); P(KVM_CREATE_VCPU); P(KVM_GET_DIRTY_LOG);
    P(KVM_SET_USER_MEMORY_REGION); P(KVM_SET_TSS_ADDR); P(KVM_SET_IDENTITY_MAP_ADDR); P(KVM_CREATE_IRQCHIP);
    P(KVM_IRQ_LINE); P(KVM_GET_IRQCHIP); P(KVM_SET_IRQCHIP); P(KVM_IRQFD); P(KVM_CREATE_PIT2); P(KVM_SET_CLOCK);
    P(KVM_GET_CLOCK); P(KVM_GET_PIT2); P(KVM_SET_PIT2); P(KVM_RUN); P(KVM_GET_REGS); P(KVM_SET_REGS);
    P(KVM_GET_SREGS); P(KVM_SET_SREGS); P(KVM_GET_MSRS); P(KVM_SET_MSRS); P(KVM_SET_SIGNAL_MASK); P(KVM_GET_FPU);
    P(KVM_SET_FPU); P(KVM_GET_LAPIC); P(KVM_SET_LAPIC); P(KVM_SET_CPUID2); P(KVM_GET_CPUID2); P(KVM_GET_MP_STATE);
    P(KVM_SET_MP_STATE); P(KVM_GET_VCPU_EVENTS); P(KVM_SET_VCPU_EVENTS); P(KVM_GET_DEBUGREGS);
    P(KVM_SET_DEBUGREGS); P(KVM_SET_TSC_KHZ); P(KVM_GET_TSC_KHZ); P(KVM_GET_XSAVE); P(KVM_SET_XSAVE);
    P(KVM_GET_XCRS); P(KVM_SET_XCRS); P(KVM_KVMCLOCK_CTRL); P(KVM_GET_XSAVE2);
    P(KVM_TRANSLATE);
#ifdef KVM_PRE_FAULT_MEMORY
    P(KVM_PRE_FAULT_MEMORY);
#endif
    printf("SIZE_Regs %zu\nSIZE_Sregs %zu\nSIZE_Fpu %zu\nSIZE_Lapic %zu\nSIZE_VcpuEvents %zu\n",
           sizeof(struct kvm_regs), sizeof(struct kvm_sregs), sizeof(struct kvm_fpu),
           sizeof(struct kvm_lapic_state), sizeof(struct kvm_vcpu_events));
    printf("SIZE_Translation %zu\n", sizeof(struct kvm_translation));
    printf("SIZE_DebugRegs %zu\nSIZE_Xcrs %zu\nSIZE_PitState %zu\nSIZE_ClockData %zu\nSIZE_IrqChip %zu\n",
           sizeof(struct kvm_debugregs), sizeof(struct kvm_xcrs), sizeof(struct kvm_pit_state2),
           sizeof(struct kvm_clock_data), sizeof(struct kvm_irqchip));
    printf("CAP_IRQCHIP %d\nCAP_XSAVE2 %d\nCAP_PRE_FAULT_MEMORY %d\nCAP_TSC_CONTROL %d\nCAP_IMMEDIATE_EXIT %d\n",
           KVM_CAP_IRQCHIP, KVM_CAP_XSAVE2, 236, KVM_CAP_TSC_CONTROL, KVM_CAP_IMMEDIATE_EXIT);
    printf("CAP_KVMCLOCK_CTRL %d\nCAP_MANUAL_DIRTY_LOG_PROTECT2 %d\nCAP_DIRTY_LOG_RING %d\nCAP_PIT2 %d\n",
           KVM_CAP_KVMCLOCK_CTRL, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CAP_DIRTY_LOG_RING, KVM_CAP_PIT2);
    printf("CAP_VCPU_EVENTS %d\nCAP_DEBUGREGS %d\nCAP_XCRS %d\nCAP_GET_TSC_KHZ %d\nCAP_ADJUST_CLOCK %d\n",
           KVM_CAP_VCPU_EVENTS, KVM_CAP_DEBUGREGS, KVM_CAP_XCRS, KVM_CAP_GET_TSC_KHZ, KVM_CAP_ADJUST_CLOCK);
    printf("CAP_SET_IDENTITY_MAP_ADDR %d\nCAP_MAX_VCPUS %d\nCAP_NR_VCPUS %d\nCAP_SET_TSS_ADDR %d\n",
           KVM_CAP_SET_IDENTITY_MAP_ADDR, KVM_CAP_MAX_VCPUS, KVM_CAP_NR_VCPUS, KVM_CAP_SET_TSS_ADDR);
    printf("CAP_IRQFD %d\nCAP_PIT_STATE2 %d\nCAP_MP_STATE %d\nCAP_NR_MEMSLOTS %d\nCAP_XSAVE %d\n",
           KVM_CAP_IRQFD, KVM_CAP_PIT_STATE2, KVM_CAP_MP_STATE, KVM_CAP_NR_MEMSLOTS, KVM_CAP_XSAVE);
    printf("CAP_USER_MEMORY %d\nCAP_EXT_CPUID %d\nCAP_PIT %d\nCAP_SYNC_MMU %d\nCAP_IRQ_ROUTING %d\n",
           KVM_CAP_USER_MEMORY, KVM_CAP_EXT_CPUID, KVM_CAP_PIT, KVM_CAP_SYNC_MMU, KVM_CAP_IRQ_ROUTING);
    printf("CAP_SYNC_REGS %d\nSYNC_X86_REGS %d\nSYNC_X86_SREGS %d\nSYNC_X86_EVENTS %d\n", KVM_CAP_SYNC_REGS,
           KVM_SYNC_X86_REGS, KVM_SYNC_X86_SREGS, KVM_SYNC_X86_EVENTS);
    printf("RUN_valid_regs %zu\nRUN_dirty_regs %zu\nRUN_sync_regs %zu\nRUN_sync_sregs %zu\nRUN_sync_events %zu\n",
           offsetof(struct kvm_run, kvm_valid_regs), offsetof(struct kvm_run, kvm_dirty_regs),
           offsetof(struct kvm_run, s.regs.regs), offsetof(struct kvm_run, s.regs.sregs),
           offsetof(struct kvm_run, s.regs.events));
    return 0;
}
