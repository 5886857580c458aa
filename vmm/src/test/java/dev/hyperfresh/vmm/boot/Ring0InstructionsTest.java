package dev.hyperfresh.vmm.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.testkit.Prerequisite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * hfguest's ring-0 code uses only instructions KVM's x86 instruction emulator implements: on a PVM-backed KVM
 * ring 0 runs in that emulator, and anything it lacks ends the VM with an emulation failure (XGETBV and VEX-encoded
 * AVX did, guests/hfguest/README.md). Checked on the built image with {@code objdump -d}, so it needs no PVM.
 *
 * <p>The allowlist follows {@code arch/x86/kvm/emulate.c} of <b>Linux 6.1.192</b> (Debian 12's linux-source-6.1
 * 6.1.192-3): {@code opcode_table}, {@code twobyte_table}, {@code opcode_map_0f_38} and the group tables they point
 * to; each row below names its table entries. Left out on purpose although decoded there: every SIMD and x87
 * instruction (the SSE moves of 0f 10/11/28/29/2b/6f/7f/e7, fxsave/fxrstor, fnstcw/fninit/fnstsw) — hfguest keeps
 * vector registers to ring 3 — and VEX/EVEX encodings, which the decoder does not know at all. Two entries are in
 * the tables but not completed by the emulator in long mode: {@code int3} (0xcc, emulate_int handles real mode
 * only), allowed solely inside {@code int3_check}, whose #BP the VMM delivers (hfguest's {@code int3=vmm}; other
 * VMMs on PVM use {@code int3_r0=0}); and {@code iretq} (0xcf, em_iret is real mode only), which PVM completes itself
 * (its interrupt return path; hfguest's timer ran there).
 */
class Ring0InstructionsTest {
    private static final Path ELF = Path.of("target", "hfguest", "hfguest.elf");

    /** Ring-0 sections of hfguest (guests/hfguest/link.ld) and the mode they are decoded in. */
    private static final Map<String, String> RING0 = Map.of(".boot", "i386", ".text", "x86-64");
    /** Code sections deliberately not decoded: ring 3, and the real-mode AP start code with its GDT inline. */
    private static final Set<String> NOT_RING0 = Set.of(".text.user", ".tramp");

    private static final String INT3_ONLY_IN = "int3_check";

    /** objdump (AT&T) mnemonics, each row an emulate.c table entry; a size suffix b/w/l/q is accepted on any. */
    private static final Map<String, String> ALLOWED = new LinkedHashMap<>();

    static {
        row("opcode_table 0x00-0x3d F6ALU; group1 (0x80-0x83)", "add or adc sbb and sub xor cmp");
        row("opcode_table 0x40-0x4f inc/dec (32-bit); group4 (0xfe), group5 /0 /1 (0xff)", "inc dec");
        row("opcode_table 0x50-0x5f, 0x68, 0x6a push/pop; group1A (0x8f); group5 /6", "push pop");
        row("opcode_table 0x63 mode_dual_63 em_movsxd", "movslq");
        row("opcode_table 0x69, 0x6b em_imul_3op; twobyte 0xaf em_imul; group3 /5", "imul");
        row("opcode_table 0x6c-0x6f ins/outs", "ins outs");
        row("opcode_table 0x70-0x7f, twobyte 0x80-0x8f jcc",
                "jo jno jb jae je jne jbe ja js jns jp jnp jl jge jle jg");
        row("opcode_table 0x84, 0x85, 0xa8, 0xa9 em_test; group3 /0 /1", "test");
        row("opcode_table 0x86, 0x87 em_xchg; 0x90-0x97 xchg/nop", "xchg nop");
        row("opcode_table 0x88-0x8c, 0x8e em_mov/_sreg; 0xa0-0xa3, 0xb0-0xbf; group11 (0xc6, 0xc7); "
                + "twobyte 0x20-0x23 cr/dr", "mov movabs");
        row("opcode_table 0x8d instr_dual_8d (lea)", "lea");
        row("opcode_table 0x90 DI(pause)", "pause");
        row("opcode_table 0x98 cbw/cwde/cdqe, 0x99 em_cwd", "cbtw cwtl cltq cwtd cltd cqto");
        row("opcode_table 0x9c em_pushf, 0x9d em_popf, 0x9e em_sahf, 0x9f em_lahf", "pushf popf sahf lahf");
        row("opcode_table 0xa4-0xa7, 0xaa-0xaf string ops", "movs cmps stos lods scas");
        row("opcode_table 0xc0, 0xc1, 0xd0-0xd3 group2", "rol ror rcl rcr shl shr sal sar");
        row("opcode_table 0xc2, 0xc3 em_ret(_near_imm), 0xca, 0xcb em_ret_far(_imm)", "ret lret");
        row("opcode_table 0xc8 em_enter, 0xc9 em_leave", "enter leave");
        row("opcode_table 0xcf em_iret (64-bit iret completed by PVM, see class comment)", "iret");
        row("opcode_table 0xe0-0xe3 em_loop, em_jcxz", "loop loope loopne jecxz jrcxz");
        row("opcode_table 0xe4-0xe7, 0xec-0xef em_in/em_out", "in out");
        row("opcode_table 0xe8 em_call, 0xe9/0xeb jmp, 0xea em_jmp_far (32-bit); group5 /2-/5",
                "call jmp ljmp lcall");
        row("opcode_table 0xf4 hlt, 0xf5 cmc, 0xf8-0xfd clc stc cli sti cld std", "hlt cmc clc stc cli sti cld std");
        row("group3 (0xf6, 0xf7) /2-/7", "not neg mul div idiv");
        row("twobyte 0x00 group6", "sldt str lldt ltr");
        row("twobyte 0x01 group7 mod012", "sgdt sidt lgdt lidt smsw lmsw invlpg");
        row("twobyte 0x01 group7 mod3: rm0 /1 em_hypercall, rm1 monitor/mwait, rm2 /1 em_xsetbv (XGETBV, /0, is N), "
                + "rm7 /1 rdtscp", "vmcall monitor mwait xsetbv rdtscp");
        row("twobyte 0x05 em_syscall, 0x06 em_clts, 0x08 invd, 0x09 wbinvd", "syscall clts invd wbinvd");
        row("twobyte 0x0d, 0x18-0x1f prefetch/nop", "nop prefetch prefetchw prefetcht0 prefetcht1 prefetcht2 "
                + "prefetchnta");
        row("twobyte 0x30 em_wrmsr, 0x31 em_rdtsc, 0x32 em_rdmsr, 0x33 em_rdpmc", "wrmsr rdtsc rdmsr rdpmc");
        row("twobyte 0x40-0x4f cmovcc", "cmovo cmovno cmovb cmovae cmove cmovne cmovbe cmova cmovs cmovns cmovp "
                + "cmovnp cmovl cmovge cmovle cmovg");
        row("twobyte 0x90-0x9f setcc", "seto setno setb setae sete setne setbe seta sets setns setp setnp setl "
                + "setge setle setg");
        row("twobyte 0xa2 em_cpuid", "cpuid");
        row("twobyte 0xa3, 0xab, 0xb3, 0xbb bt/bts/btr/btc; group8 (0xba)", "bt bts btr btc");
        row("twobyte 0xa4, 0xa5 em_shld, 0xac, 0xad em_shrd", "shld shrd");
        row("twobyte 0xb0, 0xb1 em_cmpxchg; group9 /1 em_cmpxchg8b", "cmpxchg cmpxchg8b cmpxchg16b");
        row("twobyte 0xb2, 0xb4, 0xb5 em_lseg", "lss lfs lgs");
        row("twobyte 0xb6, 0xb7 movzx, 0xbe, 0xbf movsx", "movzbw movzbl movzbq movzwl movzwq movsbw movsbl "
                + "movsbq movswl movswq");
        row("twobyte 0xbc em_bsf_c, 0xbd em_bsr_c", "bsf bsr");
        row("twobyte 0xc0, 0xc1 em_xadd; 0xc3 instr_dual_0f_c3 (movnti)", "xadd movnti");
        row("twobyte 0xc8-0xcf em_bswap", "bswap");
        row("group9 pfx_0f_c7_7 em_rdpid", "rdpid");
        row("group15 pfx_0f_ae_7 em_clflush, em_clflushopt", "clflush clflushopt");
        row("opcode_map_0f_38 0xf0, 0xf1 em_movbe", "movbe");
    }

    private static final Set<String> PREFIXES = Set.of("rep", "repz", "repe", "repnz", "repne", "lock", "data16",
            "data32", "addr32", "addr16", "cs", "ds", "es", "ss", "fs", "gs", "rex", "rex.W", "rex.B", "rex.R",
            "rex.X", "rex.WB", "rex.WR", "rex.WX", "rex.RB", "rex.XB", "rex.RX", "rex.WRB", "rex.WXB", "rex.WRX",
            "rex.RXB", "rex.WRXB");
    private static final Set<Integer> LEGACY_PREFIX_BYTES = Set.of(0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e,
            0x26, 0x64, 0x65);
    private static final Pattern SIMD_OPERAND = Pattern.compile("%(x|y|z)mm\\d|%mm\\d|%st\\b|%st\\(|%k[0-7]\\b");
    private static final Pattern SYMBOL = Pattern.compile("^[0-9a-f]+ <(.+)>:$");
    private static final Pattern INSN = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+?)\\s*\\t(.*)$");

    private static void row(String tableEntry, String mnemonics) {
        for (String m : mnemonics.split(" ")) {
            ALLOWED.put(m, tableEntry);
        }
    }

    record Insn(String section, long address, String symbol, long offset, String bytes, String text) {
        @Override
        public String toString() {
            return String.format("%s 0x%x <%s+0x%x>: %s   %s", section, address, symbol, offset, bytes, text);
        }
    }

    record Violation(Insn insn, String why) {
        @Override
        public String toString() {
            return insn + "   -- " + why;
        }
    }

    @Test
    void ring0CodeUsesOnlyInstructionsKvmsEmulatorImplements() throws Exception {
        Prerequisite.require(Files.isRegularFile(ELF) ? Optional.empty()
                : Optional.of(ELF.toAbsolutePath() + " missing (built by vmm's generate-resources: make -C guests/hfguest)"));
        assertThat(codeSections()).as("hfguest's code sections, each decoded here as ring 0 or named as not")
                .allMatch(s -> RING0.containsKey(s) || NOT_RING0.contains(s))
                .containsAll(RING0.keySet());

        List<Insn> insns = new ArrayList<>();
        for (Map.Entry<String, String> s : RING0.entrySet()) {
            insns.addAll(disassemble(s.getKey(), s.getValue()));
        }
        Set<String> symbols = insns.stream().map(Insn::symbol).collect(Collectors.toSet());
        assertThat(symbols).as("the ring-0 code was decoded").contains("_start", "kmain", "timer_stub", INT3_ONLY_IN);

        List<Violation> violations = new ArrayList<>();
        for (Insn i : insns) {
            why(i).ifPresent(w -> violations.add(new Violation(i, w)));
        }
        assertThat(violations)
                .as("ring-0 instructions KVM's emulator (emulate.c, Linux 6.1.192) does not implement, of %d decoded;"
                        + " on a PVM host each one ends the VM with an emulation failure:%n  %s",
                        insns.size(), violations.stream().map(Violation::toString)
                                .collect(Collectors.joining(String.format("%n  "))))
                .isEmpty();
    }

    private static Optional<String> why(Insn i) {
        String text = i.text();
        if (text.startsWith("(bad)")) {
            return Optional.of("undecodable bytes");
        }
        if (vexOrEvex(i)) {
            return Optional.of("VEX/EVEX-encoded (the emulator decodes neither)");
        }
        if (SIMD_OPERAND.matcher(text).find()) {
            return Optional.of("SIMD/x87 register operand (vector state stays in ring 3)");
        }
        String m = mnemonic(text);
        if (m.equals("int3")) {
            return i.symbol().equals(INT3_ONLY_IN) ? Optional.empty()
                    : Optional.of("int3 outside " + INT3_ONLY_IN + " (only the VMM-delivered check may use it)");
        }
        if (ALLOWED.containsKey(m)) {
            return Optional.empty();
        }
        if (m.length() > 1 && "bwlq".indexOf(m.charAt(m.length() - 1)) >= 0
                && ALLOWED.containsKey(m.substring(0, m.length() - 1))) {
            return Optional.empty();
        }
        return Optional.of("'" + m + "' is not in the emulator's opcode tables");
    }

    private static String mnemonic(String text) {
        String[] words = text.trim().split("\\s+");
        int k = 0;
        while (k < words.length - 1 && PREFIXES.contains(words[k])) {
            k++;
        }
        return words[k];
    }

    private static boolean vexOrEvex(Insn i) {
        String[] b = i.bytes().split(" ");
        int k = 0;
        while (k < b.length && LEGACY_PREFIX_BYTES.contains(Integer.parseInt(b[k], 16))) {
            k++;
        }
        if (k < b.length && RING0.get(i.section()).equals("x86-64") && (Integer.parseInt(b[k], 16) & 0xf0) == 0x40) {
            k++; // REX
        }
        if (k >= b.length) {
            return false;
        }
        int op = Integer.parseInt(b[k], 16);
        // in 32-bit code c4/c5/62 are VEX/EVEX only with ModRM.mod == 3 (else LES/LDS/BOUND)
        boolean longMode = RING0.get(i.section()).equals("x86-64");
        boolean modIs3 = k + 1 < b.length && (Integer.parseInt(b[k + 1], 16) & 0xc0) == 0xc0;
        return (op == 0xc4 || op == 0xc5 || op == 0x62) && (longMode || modIs3);
    }

    /** Code sections of the image, by name (objdump -h: CODE among the flags). */
    private static Set<String> codeSections() throws IOException, InterruptedException {
        Set<String> out = new HashSet<>();
        List<String> lines = objdump("-h", ELF.toString());
        for (int k = 0; k + 1 < lines.size(); k++) {
            String[] w = lines.get(k).trim().split("\\s+");
            if (w.length >= 7 && w[0].matches("\\d+") && lines.get(k + 1).contains("CODE")) {
                out.add(w[1]);
            }
        }
        return out;
    }

    private static List<Insn> disassemble(String section, String mode) throws IOException, InterruptedException {
        List<Insn> out = new ArrayList<>();
        String symbol = "?";
        long symbolAddress = 0;
        for (String line : objdump("-d", "-w", "-M", mode, "-j", section, ELF.toString())) {
            Matcher s = SYMBOL.matcher(line);
            if (s.matches()) {
                symbol = s.group(1);
                symbolAddress = Long.parseLong(line.substring(0, line.indexOf(' ')), 16);
                continue;
            }
            Matcher m = INSN.matcher(line);
            if (m.matches()) {
                long address = Long.parseLong(m.group(1), 16);
                out.add(new Insn(section, address, symbol, address - symbolAddress, m.group(2).trim(),
                        m.group(3).trim()));
            }
        }
        return out;
    }

    private static List<String> objdump(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("objdump");
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            Prerequisite.require(Optional.of("objdump not found (apt-get install binutils)"));
            throw notInstalled;
        }
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s: %s", command, text).isZero();
        return text.lines().toList();
    }
}
