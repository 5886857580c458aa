package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The saved-state wire format of one VM ({@link VmState}); the layout and its versioning rules are described in
 * docs/CONTROL-PROTOCOL.md ("Saved state").
 *
 * <p>Magic, u16 major and u16 minor version, then sections (u32 tag, u32 length, body) until an END section with
 * the CRC-32 of every byte before it. A minor version only adds sections, which older readers skip by their
 * length; anything else is a new major version, which older readers refuse.
 */
public final class StateCodec {
    public static final int MAJOR = 1;
    public static final int MINOR = 0;
    static final byte[] MAGIC = "HFSTATE\0".getBytes(StandardCharsets.US_ASCII);
    static final int NAME = tag("NAME");
    static final int VM = tag("VMWD");
    static final int VCPU = tag("VCPU");
    static final int DEVICE = tag("DEVC");
    static final int END = tag("END.");
    /** A VM's state besides its vCPUs, and one vCPU's (XSAVE 4 KiB, LAPIC 1 KiB, CPUID and MSRs): about, and more. */
    private static final int EXPECTED_BYTES = 8 << 10;
    private static final int EXPECTED_VCPU_BYTES = 16 << 10;

    private StateCodec() {
    }

    public static byte[] encode(VmState state) {
        StateOutput out = new StateOutput(EXPECTED_BYTES + state.vcpus().size() * EXPECTED_VCPU_BYTES);
        write(out, state);
        return out.toByteArray();
    }

    /**
     * Encodes straight into {@code region} (from its position, which is left where it was), as the cutover does
     * into the handover ledger; returns the bytes written.
     *
     * @throws java.nio.BufferOverflowException if the state does not fit
     */
    public static int encode(VmState state, ByteBuffer region) {
        StateOutput out = StateOutput.into(region);
        write(out, state);
        return out.size();
    }

    private static void write(StateOutput out, VmState state) {
        writeHeader(out, state.vmName());
        int body = out.beginSection(VM);
        VmSnapshotCodec.write(out, state.vm());
        out.endSection(body);
        for (VcpuSnapshot vcpu : state.vcpus()) {
            body = out.beginSection(VCPU);
            VcpuSnapshotCodec.write(out, vcpu);
            out.endSection(body);
        }
        writeDevicesAndEnd(out, state.devices());
    }

    /** The magic, the version and the NAME section: what comes before the VM's own state. */
    static void writeHeader(StateOutput out, String vmName) {
        out.bytes(MAGIC).u16(MAJOR).u16(MINOR);
        int body = out.beginSection(NAME);
        out.bytes(utf8(vmName));
        out.endSection(body);
    }

    /** A DEVC section per device, then the END section with the CRC of everything before it. */
    static void writeDevicesAndEnd(StateOutput out, Map<String, byte[]> devices) {
        for (Map.Entry<String, byte[]> device : devices.entrySet()) {
            int body = out.beginSection(DEVICE);
            byte[] n = utf8(device.getKey());
            out.u16(n.length).bytes(n).bytes(device.getValue());
            out.endSection(body);
        }
        int crc = out.crc();
        int body = out.beginSection(END);
        out.u32(crc);
        out.endSection(body);
    }

    /** A DEVC section's device name and bytes, into {@code devices}; a device saved twice is refused. */
    static void readDevice(StateInput body, Map<String, byte[]> devices) {
        String device = new String(body.bytes(body.u16("device name length"), "device name"), StandardCharsets.UTF_8);
        if (devices.put(device, body.bytes(body.remaining(), "device " + device)) != null) {
            throw new StateFormatException("saved state holds device " + device + " twice");
        }
    }

    public static VmState decode(byte[] bytes) {
        return decode(ByteBuffer.wrap(bytes));
    }

    /** Decodes from {@code bytes}' position to its limit, in place (the handover ledger's mapping, say). */
    public static VmState decode(ByteBuffer bytes) {
        StateInput in = new StateInput(bytes);
        checkHeader(in);
        String name = null;
        VmSnapshot vm = null;
        List<VcpuSnapshot> vcpus = new ArrayList<>();
        Set<Integer> vcpuIds = new HashSet<>();
        Map<String, byte[]> devices = new LinkedHashMap<>();
        for (Section section : sections(in)) {
            StateInput body = section.body();
            if (section.tag() == NAME) {
                name = once(name, new String(body.bytes(body.remaining(), "VM name"), StandardCharsets.UTF_8), "NAME");
            } else if (section.tag() == VM) {
                vm = once(vm, VmSnapshotCodec.read(body), "VMWD");
                body.expectEnd("VM-wide state");
            } else if (section.tag() == VCPU) {
                VcpuSnapshot vcpu = VcpuSnapshotCodec.read(body);
                body.expectEnd("vCPU " + vcpu.id() + "'s state");
                if (!vcpuIds.add(vcpu.id())) {
                    throw new StateFormatException("saved state holds vCPU " + vcpu.id() + " twice");
                }
                vcpus.add(vcpu);
            } else if (section.tag() == DEVICE) {
                readDevice(body, devices);
            }
        }
        if (name == null || vm == null) {
            throw new StateFormatException("saved state lacks its " + (name == null ? "NAME" : "VMWD") + " section");
        }
        return new VmState(name, vm, vcpus, devices);
    }

    record Section(int tag, StateInput body) {
    }

    /**
     * Splits the input into sections and checks the CRC before any body is decoded, so corruption is reported as
     * such rather than as whatever odd field value it produced. Unknown tags (a newer minor version) are skipped.
     */
    static List<Section> sections(StateInput in) {
        List<Section> sections = new ArrayList<>();
        while (true) {
            if (in.remaining() == 0) {
                throw new StateFormatException("saved state is truncated: it ends after " + in.position()
                        + " bytes without its END section");
            }
            int start = in.position();
            int tag = in.u32("section tag");
            StateInput body = section(in, tag);
            if (tag == END) {
                checkCrc(in, start, body.u32("CRC-32"));
                in.expectEnd("saved state");
                return sections;
            }
            if (tag == NAME || tag == VM || tag == VCPU || tag == DEVICE) {
                sections.add(new Section(tag, body));
            }
        }
    }

    /** A section's body; its name is built only for a message (this runs inside the cutover's blackout). */
    private static StateInput section(StateInput in, int tag) {
        int at = in.position();
        try {
            return in.slice(in.u32("section length") & 0xffffffffL, "section");
        } catch (StateFormatException e) {
            in.reset(at);
            String what = tagName(tag) + " section";
            return in.slice(in.u32(what + " length") & 0xffffffffL, what);
        }
    }

    static void checkHeader(StateInput in) {
        byte[] magic = in.bytes(MAGIC.length, "magic");
        if (!Arrays.equals(magic, MAGIC)) {
            throw new StateFormatException("not HyperFresh saved state: the first bytes are not \"HFSTATE\"");
        }
        int major = in.u16("major version");
        int minor = in.u16("minor version");
        if (major > MAJOR) {
            throw new StateFormatException("saved state has format version " + major + "." + minor
                    + ", newer than this reader's " + MAJOR + "." + MINOR + "; read it with a newer HyperFresh");
        }
        if (major < MAJOR) {
            throw new StateFormatException("saved state has format version " + major + "." + minor
                    + ", older than any this reader (" + MAJOR + "." + MINOR + ") supports");
        }
    }

    private static void checkCrc(StateInput in, int length, int expected) {
        int actual = in.crc(length);
        if (actual != expected) {
            throw new StateFormatException(String.format("saved state is corrupt: CRC-32 of its %d bytes is %08x,"
                    + " the END section says %08x", length, actual, expected));
        }
    }

    private static <T> T once(T previous, T value, String section) {
        if (previous != null) {
            throw new StateFormatException("saved state holds the " + section + " section twice");
        }
        return value;
    }

    static int tag(String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
    }

    private static String tagName(int tag) {
        StringBuilder sb = new StringBuilder();
        for (int shift = 24; shift >= 0; shift -= 8) {
            int c = tag >>> shift & 0xff;
            if (c < 0x20 || c > 0x7e) {
                return String.format("0x%08x", tag);
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
