// The floor of a cutover's KVM work on this host, in C: what hfvisor's `save` and `restore` steps would cost with
// nothing of ours around the ioctls. N vCPU threads run a real-mode `jmp $`; each round kicks them all out of
// KVM_RUN (immediate_exit + a signal unblocked only inside KVM_RUN), saves every vCPU and the VM-wide state from
// one thread in the order hfvisor saves (docs/STATE-ORDER.md), restores it into a second VM whose vCPU threads
// wait, and lets both sets run again. Unlike ../shared/probes/rt.c the saved vCPUs have just run, as in a cutover.
// Usage: cutover-floor VCPUS ROUNDS  (prints medians and p99s in µs; bin/bench-native --floor builds and runs it)
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_VCPUS 64
#define SIG (SIGRTMIN + 3)
#define XSAVE_BYTES 4096
#define MAX_MSRS 128

struct vcpu {
    int fd;
    struct kvm_run *run;
    volatile pid_t tid;
    int parked; // set by the thread once out of KVM_RUN; cleared by main to let it run again
};

struct vm {
    int fd;
    struct vcpu vcpus[MAX_VCPUS];
};

struct vcpu_state {
    struct kvm_mp_state mp;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    uint8_t xsave[XSAVE_BYTES];
    struct kvm_xcrs xcrs;
    struct kvm_debugregs debug;
    struct kvm_lapic_state lapic;
    struct kvm_vcpu_events events;
};

static int kvm, nvcpus;
static volatile int stop;
static struct kvm_cpuid2 *cpuid;
static struct kvm_msrs *msr_template;
static struct kvm_msrs *msrs[MAX_VCPUS];
static struct vcpu_state saved[MAX_VCPUS];

static long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void must(int r, const char *what) {
    if (r < 0) {
        fprintf(stderr, "cutover-floor: %s: %s\n", what, strerror(errno));
        exit(1);
    }
}

// Parked threads sleep, as hfvisor's do: spinning ones would take the CPUs the save and restore run on.
static void wait_released(struct vcpu *v) {
    while (__atomic_load_n(&v->parked, __ATOMIC_ACQUIRE) && !stop) {
        syscall(SYS_futex, &v->parked, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
    }
}

static void *vcpu_loop(void *arg) {
    struct vcpu *v = arg;
    sigset_t blocked, inside;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIG);
    pthread_sigmask(SIG_BLOCK, &blocked, NULL);
    pthread_sigmask(SIG_SETMASK, NULL, &inside);
    sigdelset(&inside, SIG);
    struct kvm_signal_mask *mask = malloc(sizeof(*mask) + 8);
    mask->len = 8;
    memcpy(mask->sigset, &inside, 8);
    must(ioctl(v->fd, KVM_SET_SIGNAL_MASK, mask), "KVM_SET_SIGNAL_MASK");
    v->tid = syscall(SYS_gettid);
    while (!stop) {
        wait_released(v);
        int r = ioctl(v->fd, KVM_RUN, 0);
        if (r < 0 && errno == EINTR) {
            struct timespec zero = {0, 0};
            siginfo_t info;
            sigtimedwait(&blocked, &info, &zero);
            v->run->immediate_exit = 0;
            __atomic_store_n(&v->parked, 1, __ATOMIC_RELEASE);
            continue;
        }
        fprintf(stderr, "cutover-floor: unexpected exit %d\n", r < 0 ? -errno : (int) v->run->exit_reason);
        exit(1);
    }
    return NULL;
}

static void make_vm(struct vm *vm, uint8_t *mem, size_t run_size) {
    vm->fd = ioctl(kvm, KVM_CREATE_VM, 0);
    must(vm->fd, "KVM_CREATE_VM");
    must(ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000), "KVM_SET_TSS_ADDR");
    must(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    must(ioctl(vm->fd, KVM_CREATE_PIT2, &pit), "KVM_CREATE_PIT2");
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = 0x10000, .userspace_addr = (uint64_t) mem};
    must(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region), "KVM_SET_USER_MEMORY_REGION");
    for (int i = 0; i < nvcpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
        must(v->fd, "KVM_CREATE_VCPU");
        v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
        must(ioctl(v->fd, KVM_SET_CPUID2, cpuid), "KVM_SET_CPUID2");
        struct kvm_sregs sregs;
        must(ioctl(v->fd, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
        sregs.cs.base = 0;
        sregs.cs.selector = 0;
        must(ioctl(v->fd, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");
        struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};
        must(ioctl(v->fd, KVM_SET_REGS, &regs), "KVM_SET_REGS");
        struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};
        must(ioctl(v->fd, KVM_SET_MP_STATE, &mp), "KVM_SET_MP_STATE");
    }
}

static void start_threads(struct vm *vm, int parked) {
    for (int i = 0; i < nvcpus; i++) {
        pthread_t thread;
        vm->vcpus[i].parked = parked;
        pthread_create(&thread, NULL, vcpu_loop, &vm->vcpus[i]);
        while (!vm->vcpus[i].tid) {
        }
    }
}

static void kick_all(struct vm *vm) {
    for (int i = 0; i < nvcpus; i++) {
        vm->vcpus[i].run->immediate_exit = 1;
    }
    __sync_synchronize();
    for (int i = 0; i < nvcpus; i++) {
        syscall(SYS_tgkill, getpid(), vm->vcpus[i].tid, SIG);
    }
    for (int i = 0; i < nvcpus; i++) {
        while (!__atomic_load_n(&vm->vcpus[i].parked, __ATOMIC_ACQUIRE)) {
        }
    }
}

static void release_all(struct vm *vm) {
    for (int i = 0; i < nvcpus; i++) {
        __atomic_store_n(&vm->vcpus[i].parked, 0, __ATOMIC_RELEASE);
        syscall(SYS_futex, &vm->vcpus[i].parked, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

// KVM_GET_MSRS stops at the first index it cannot read; keep the readable prefix, as hfvisor's SaveableMsrs does.
static void choose_msrs(int vcpu_fd) {
    struct kvm_msr_list *list = calloc(1, sizeof(*list) + 1024 * sizeof(uint32_t));
    list->nmsrs = 1024;
    must(ioctl(kvm, KVM_GET_MSR_INDEX_LIST, list), "KVM_GET_MSR_INDEX_LIST");
    msr_template = calloc(1, sizeof(*msr_template) + MAX_MSRS * sizeof(struct kvm_msr_entry));
    for (uint32_t i = 0; i < list->nmsrs && msr_template->nmsrs < MAX_MSRS; i++) {
        struct {
            struct kvm_msrs head;
            struct kvm_msr_entry entry;
        } one = {.head = {.nmsrs = 1}, .entry = {.index = list->indices[i]}};
        if (ioctl(vcpu_fd, KVM_GET_MSRS, &one) == 1) {
            msr_template->entries[msr_template->nmsrs++].index = list->indices[i];
        }
    }
    for (int i = 0; i < nvcpus; i++) {
        msrs[i] = malloc(sizeof(*msr_template) + msr_template->nmsrs * sizeof(struct kvm_msr_entry));
    }
}

static struct kvm_pit_state2 pit;
static struct kvm_clock_data clock_data;
static struct kvm_irqchip chips[3];

static void save(struct vm *vm) {
    for (int i = 0; i < nvcpus; i++) {
        int fd = vm->vcpus[i].fd;
        struct vcpu_state *s = &saved[i];
        must(ioctl(fd, KVM_GET_MP_STATE, &s->mp), "KVM_GET_MP_STATE");
        must(ioctl(fd, KVM_GET_REGS, &s->regs), "KVM_GET_REGS");
        must(ioctl(fd, KVM_GET_SREGS, &s->sregs), "KVM_GET_SREGS");
        must(ioctl(fd, KVM_GET_XSAVE, s->xsave), "KVM_GET_XSAVE");
        must(ioctl(fd, KVM_GET_XCRS, &s->xcrs), "KVM_GET_XCRS");
        must(ioctl(fd, KVM_GET_DEBUGREGS, &s->debug), "KVM_GET_DEBUGREGS");
        must(ioctl(fd, KVM_GET_LAPIC, &s->lapic), "KVM_GET_LAPIC");
        memcpy(msrs[i], msr_template, sizeof(*msr_template) + msr_template->nmsrs * sizeof(struct kvm_msr_entry));
        must(ioctl(fd, KVM_GET_MSRS, msrs[i]), "KVM_GET_MSRS");
        must(ioctl(fd, KVM_GET_VCPU_EVENTS, &s->events), "KVM_GET_VCPU_EVENTS");
    }
    must(ioctl(vm->fd, KVM_GET_PIT2, &pit), "KVM_GET_PIT2");
    must(ioctl(vm->fd, KVM_GET_CLOCK, &clock_data), "KVM_GET_CLOCK");
    for (int c = 0; c < 3; c++) {
        chips[c].chip_id = c;
        must(ioctl(vm->fd, KVM_GET_IRQCHIP, &chips[c]), "KVM_GET_IRQCHIP");
    }
}

static void restore(struct vm *vm) {
    for (int i = 0; i < nvcpus; i++) {
        int fd = vm->vcpus[i].fd;
        struct vcpu_state *s = &saved[i];
        must(ioctl(fd, KVM_SET_MP_STATE, &s->mp), "KVM_SET_MP_STATE");
        must(ioctl(fd, KVM_SET_REGS, &s->regs), "KVM_SET_REGS");
        must(ioctl(fd, KVM_SET_SREGS, &s->sregs), "KVM_SET_SREGS");
        must(ioctl(fd, KVM_SET_XSAVE, s->xsave), "KVM_SET_XSAVE");
        must(ioctl(fd, KVM_SET_XCRS, &s->xcrs), "KVM_SET_XCRS");
        must(ioctl(fd, KVM_SET_DEBUGREGS, &s->debug), "KVM_SET_DEBUGREGS");
        must(ioctl(fd, KVM_SET_LAPIC, &s->lapic), "KVM_SET_LAPIC");
        must(ioctl(fd, KVM_SET_MSRS, msrs[i]), "KVM_SET_MSRS");
        must(ioctl(fd, KVM_SET_VCPU_EVENTS, &s->events), "KVM_SET_VCPU_EVENTS");
    }
    clock_data.flags = 0;
    must(ioctl(vm->fd, KVM_SET_CLOCK, &clock_data), "KVM_SET_CLOCK");
    for (int c = 0; c < 3; c++) {
        must(ioctl(vm->fd, KVM_SET_IRQCHIP, &chips[c]), "KVM_SET_IRQCHIP");
    }
    must(ioctl(vm->fd, KVM_SET_PIT2, &pit), "KVM_SET_PIT2");
}

static int by_value(const void *a, const void *b) {
    long x = *(const long *) a, y = *(const long *) b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, long *ns, int n) {
    qsort(ns, n, sizeof(long), by_value);
    printf("%-40s median %8.1f us   min %8.1f   p99 %8.1f   (n=%d)\n", what, ns[n / 2] / 1e3, ns[0] / 1e3,
           ns[n * 99 / 100] / 1e3, n);
}

int main(int argc, char **argv) {
    nvcpus = argc > 1 ? atoi(argv[1]) : 1;
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    if (nvcpus < 1 || nvcpus > MAX_VCPUS || rounds < 10) {
        fprintf(stderr, "usage: cutover-floor VCPUS(1-%d) ROUNDS(>=10)\n", MAX_VCPUS);
        return 2;
    }
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    must(kvm, "open /dev/kvm");
    size_t run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(struct kvm_cpuid_entry2));
    cpuid->nent = 256;
    must(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid), "KVM_GET_SUPPORTED_CPUID");
    uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    mem[0x1000] = 0xeb; // jmp $
    mem[0x1001] = 0xfe;
    static struct vm old, fresh;
    make_vm(&old, mem, run_size);
    make_vm(&fresh, mem, run_size);
    choose_msrs(old.vcpus[0].fd);
    start_threads(&old, 0);
    start_threads(&fresh, 1);
    int warmup = rounds / 5;
    long *save_ns = malloc(rounds * sizeof(long)), *restore_ns = malloc(rounds * sizeof(long));
    for (int r = 0; r < warmup + rounds; r++) {
        usleep(2000);
        kick_all(&old);
        kick_all(&fresh);
        long t0 = now();
        save(&old);
        long t1 = now();
        restore(&fresh);
        long t2 = now();
        if (r >= warmup) {
            save_ns[r - warmup] = t1 - t0;
            restore_ns[r - warmup] = t2 - t1;
        }
        release_all(&old);
        release_all(&fresh);
    }
    stop = 1;
    printf("# cutover floor in C: %d vCPU(s), %u MSRs, save after a run, restore into a second VM\n", nvcpus,
           msr_template->nmsrs);
    char what[64];
    snprintf(what, sizeof what, "save %d vCPU(s) + VM-wide state", nvcpus);
    report(what, save_ns, rounds);
    snprintf(what, sizeof what, "restore %d vCPU(s) + VM-wide state", nvcpus);
    report(what, restore_ns, rounds);
    return 0;
}
