package dev.hyperfresh.kvm;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.sys.SysException;
import java.util.Optional;
import jnr.ffi.Pointer;

/** The KVM subsystem ({@code /dev/kvm}): capability queries and VM creation. */
public final class Kvm implements AutoCloseable {
    public static final String DEFAULT_PATH = "/dev/kvm";
    public static final int API_VERSION = 12;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int MAX_CPUID_ENTRIES = 256;
    private static final int MAX_MSR_INDICES = 1024;

    private final Fd fd;

    private Kvm(Fd fd) {
        this.fd = fd;
    }

    public static Kvm open() {
        return open(DEFAULT_PATH);
    }

    /** Opens the KVM device and checks the API version; throws {@link SysException} naming the path otherwise. */
    public static Kvm open(String path) {
        int n = Sys.C.open(path, O_RDWR | O_CLOEXEC);
        if (n < 0) {
            throw new SysException("open(" + path + ")", Sys.errno(), hint(Sys.errno()));
        }
        Kvm kvm = new Kvm(new Fd(n, path));
        int version = Ioctl.call(kvm.fd, "KVM_GET_API_VERSION", Ioctls.GET_API_VERSION, 0);
        if (version != API_VERSION) {
            kvm.close();
            throw new IllegalStateException(path + " speaks KVM API " + version + ", expected " + API_VERSION);
        }
        return kvm;
    }

    /** Why {@code /dev/kvm} cannot be used here, or empty when it can (opened and a VM created). */
    public static Optional<String> unusableReason() {
        try (Kvm kvm = open(); Vm vm = kvm.createVm()) {
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * This host's KVM backend as an open {@code /dev/kvm} reports it, {@link KvmFlavor#UNKNOWN} when it cannot be
     * opened (whoever then uses KVM says why).
     */
    public static KvmFlavor hostFlavor() {
        try (Kvm kvm = open()) {
            return kvm.flavor();
        } catch (RuntimeException unusable) {
            return KvmFlavor.UNKNOWN;
        }
    }

    /** This host's KVM in words for version lines and benchmark headers: e.g. {@code PVM (kvm_pvm)}, or why none. */
    public static String describeHost() {
        try (Kvm kvm = open(); Vm vm = kvm.createVm()) {
            return kvm.flavor().describe();
        } catch (RuntimeException e) {
            return "no usable /dev/kvm (" + e.getMessage() + ")";
        }
    }

    private static String hint(int errno) {
        return switch (errno) {
            case 2 -> "no KVM device node; is the kvm module loaded?";
            case 19 -> "the node exists but no KVM driver is bound (no VMX/SVM, or this kernel is itself a guest)";
            case 13 -> "permission denied; add the user to group kvm or run as root";
            default -> null;
        };
    }

    public int apiVersion() {
        return Ioctl.call(fd, "KVM_GET_API_VERSION", Ioctls.GET_API_VERSION, 0);
    }

    /** KVM_CHECK_EXTENSION: 0 when unsupported, else a capability-specific positive value. */
    public int checkExtension(Cap cap) {
        return Ioctl.call(fd, "KVM_CHECK_EXTENSION(" + cap.kernelName() + ")", Ioctls.CHECK_EXTENSION,
                cap.number());
    }

    public boolean has(Cap cap) {
        return checkExtension(cap) > 0;
    }

    public void require(Cap cap) {
        if (!has(cap)) {
            throw new UnsupportedCapabilityException(cap, null);
        }
    }

    public int vcpuMmapSize() {
        return Ioctl.call(fd, "KVM_GET_VCPU_MMAP_SIZE", Ioctls.GET_VCPU_MMAP_SIZE, 0);
    }

    /** Bytes of the XSAVE area: KVM_CAP_XSAVE2's answer, or the legacy 4096. */
    public int xsaveSize() {
        int size = checkExtension(Cap.XSAVE2);
        return Math.max(size, Xsave.MIN_SIZE);
    }

    /**
     * Which backend this open KVM is. Asked of an open /dev/kvm, not of /sys/module alone: a module listed there
     * says nothing about /dev/kvm working (kvm_pvm is built into kernels that are themselves PVM guests).
     */
    public KvmFlavor flavor() {
        return KvmFlavor.fromModules(KvmFlavor.SYS_MODULE);
    }

    public Cpuid supportedCpuid() {
        Pointer p = Sys.allocate(Cpuid.bytes(MAX_CPUID_ENTRIES));
        p.putInt(0, MAX_CPUID_ENTRIES);
        Ioctl.call(fd, "KVM_GET_SUPPORTED_CPUID", Ioctls.GET_SUPPORTED_CPUID, p);
        return Cpuid.readFrom(p);
    }

    /** The MSRs KVM can save and restore for a vCPU. */
    public int[] msrIndexList() {
        Pointer p = Sys.allocate(4 + 4 * MAX_MSR_INDICES);
        p.putInt(0, MAX_MSR_INDICES);
        Ioctl.call(fd, "KVM_GET_MSR_INDEX_LIST", Ioctls.GET_MSR_INDEX_LIST, p);
        int[] out = new int[p.getInt(0)];
        p.get(4, out, 0, out.length);
        return out;
    }

    public Vm createVm() {
        int n = Ioctl.call(fd, "KVM_CREATE_VM", Ioctls.CREATE_VM, 0);
        return new Vm(this, new Fd(n, "vm"));
    }

    @Override
    public void close() {
        fd.close();
    }
}
