package dev.hyperfresh.vmm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.vmm.boot.linux.LinuxGuestBuild;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.vm.VmNic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmSpecTest {
    @Test
    void defaultsToOneHfguestVcpuWith256MiB() {
        VmSpec s = VmSpec.parse("name=demo");
        assertThat(s.name()).isEqualTo("demo");
        assertThat(s.memoryBytes()).isEqualTo(256L << 20);
        assertThat(s.vcpus()).isEqualTo(1);
        assertThat(s.guest()).isEqualTo("hfguest");
        assertThat(s.console()).isEqualTo("stdout");
    }

    @Test
    void parsesEveryKeyAndKeepsCommasInTheCmdline() {
        VmSpec s = VmSpec.parse("name=a,mem=4G,cpus=2,hugepages,console=none,cmdline=cpus=2 mem_pct=5,x");
        assertThat(s.memoryBytes()).isEqualTo(4L << 30);
        assertThat(s.vcpus()).isEqualTo(2);
        assertThat(s.hugePages()).isTrue();
        assertThat(s.console()).isEqualTo("none");
        assertThat(s.cmdline()).isEqualTo("cpus=2 mem_pct=5,x");
    }

    @Test
    void aResetBootsTheVmAgainUnlessRebootSaysPowerOff() {
        assertThat(VmSpec.parse("name=a").rebootRestarts()).isTrue();
        assertThat(VmSpec.parse("name=a,reboot=restart").rebootRestarts()).isTrue();
        assertThat(VmSpec.parse("name=a,reboot=poweroff").rebootRestarts()).isFalse();
        assertThatThrownBy(() -> VmSpec.parse("name=a,reboot=halt"))
                .hasMessageContaining("reboot must be restart or poweroff, got 'halt'");
    }

    @Test
    void sizesAcceptCommonSuffixes() {
        assertThat(VmSpec.parseSize("512K")).isEqualTo(512L << 10);
        assertThat(VmSpec.parseSize("1GiB")).isEqualTo(1L << 30);
        assertThat(VmSpec.parseSize("64mb")).isEqualTo(64L << 20);
        assertThat(VmSpec.parseSize("4096")).isEqualTo(4096);
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> VmSpec.parse("name=a,colour=red")).hasMessageContaining("unknown --vm key 'colour'");
        assertThatThrownBy(() -> VmSpec.parse("mem=lots")).hasMessageContaining("not a size: 'lots'");
        assertThatThrownBy(() -> VmSpec.parse("mem=-5M")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> VmSpec.parse("cpus=two")).hasMessageContaining("cpus must be a number");
        assertThatThrownBy(() -> VmSpec.parse("guest=windows")).hasMessageContaining("hfguest or linux");
        assertThatThrownBy(() -> VmSpec.parse("guest=hfguest,kernel=/etc/hostname"))
                .hasMessageContaining("kernel= and initrd= are for guest=linux");
        assertThatThrownBy(() -> VmSpec.parse("kernel=/nonexistent/bzImage"))
                .hasMessageContaining("kernel file not readable: /nonexistent/bzImage");
        assertThatThrownBy(() -> VmSpec.parse("name=a,cpus=9,mem=64M,cpus=1"))
                .hasMessageContaining("--vm key 'cpus' given twice in 'name=a,cpus=9,mem=64M,cpus=1'");
    }

    @Test
    void linuxWithoutKernelBootsTheGuestsLinuxBuild(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("vmlinuz"), new byte[1]);
        Files.write(dir.resolve("initramfs.cpio.gz"), new byte[1]);
        VmSpec s = VmSpec.parse("name=l,guest=linux,cpus=2", new LinuxGuestBuild(dir));
        assertThat(s.kernel()).isEqualTo(dir.resolve("vmlinuz"));
        assertThat(s.initrd()).isEqualTo(dir.resolve("initramfs.cpio.gz"));
    }

    @Test
    void anExplicitKernelBootsWithoutTheBuildsInitrd(@TempDir Path dir) throws IOException {
        Path kernel = Files.write(dir.resolve("bzImage"), new byte[1]);
        VmSpec s = VmSpec.parse("name=l,kernel=" + kernel, new LinuxGuestBuild(dir.resolve("absent")));
        assertThat(s.guest()).isEqualTo("linux");
        assertThat(s.kernel()).isEqualTo(kernel);
        assertThat(s.initrd()).isNull();
    }

    @Test
    void aMissingLinuxBuildNamesTheScriptThatMakesIt(@TempDir Path dir) {
        assertThatThrownBy(() -> VmSpec.parse("guest=linux", new LinuxGuestBuild(dir)))
                .hasMessageContaining("no Linux guest in " + dir)
                .hasMessageContaining("run guests/linux/fetch-and-build.sh first");
    }

    @Test
    void aVmTakesDisksInOrderByTheirAbsolutePathsSomeReadOnly(@TempDir Path dir) throws IOException {
        Path kernel = Files.write(dir.resolve("bzImage"), new byte[1]);
        Path a = Files.write(dir.resolve("a.img"), new byte[512]);
        Path b = Files.write(dir.resolve("b.img"), new byte[512]);
        VmSpec s = VmSpec.parse("name=l,kernel=" + kernel + ",disk-ro=" + b + ",disk=" + a, new LinuxGuestBuild(dir));
        assertThat(s.disks()).containsExactly(new VmSpec.Disk(b.toAbsolutePath(), true),
                new VmSpec.Disk(a.toAbsolutePath(), false));
        assertThat(VmSpec.parse("name=l,kernel=" + kernel, new LinuxGuestBuild(dir)).disks()).isEmpty();
        assertThat(VmSpec.parse("name=h,disk=" + a).disks()).as("hfguest: the disk rides along").hasSize(1);
        assertThatThrownBy(() -> VmSpec.parse("name=h,disk=" + a + ",disk-ro=" + a))
                .hasMessageContaining("a disk image is given twice");
        assertThatThrownBy(() -> VmSpec.parse("name=h" + (",disk-ro=" + a).repeat(9)))
                .hasMessageContaining("a VM has at most 8 disks and network interfaces together, not 9");
        assertThatThrownBy(() -> VmSpec.parse("name=l,kernel=" + kernel + ",disk=/nonexistent.img"))
                .hasMessageContaining("disk file not readable: /nonexistent.img");
    }

    @Test
    void aVmTakesNetworkInterfacesOnTapsInOrderWithAGivenOrADerivedMac(@TempDir Path dir) throws IOException {
        Path a = Files.write(dir.resolve("a.img"), new byte[512]);
        VmSpec s = VmSpec.parse("name=web,net=tap0,disk=" + a + ",net=tap1/52:54:00:AB:cd:01");
        assertThat(s.nics()).containsExactly(new InstanceInfo.Nic("tap0", VmNic.defaultMac("tap0")),
                new InstanceInfo.Nic("tap1", "52:54:00:ab:cd:01"));
        assertThat(VmNic.defaultMac("tap0")).as("the same on every launch").isEqualTo(VmNic.defaultMac("tap0"))
                .startsWith("52:54:00:").isNotEqualTo(VmNic.defaultMac("tap1"));
        assertThat(VmSpec.parse("name=other,net=tap0").nics()).as("another VM on that tap, the same address")
                .containsExactly(new InstanceInfo.Nic("tap0", VmNic.defaultMac("tap0")));
        assertThatThrownBy(() -> VmSpec.parse("name=h,net=tap0,net=tap0")).hasMessageContaining("a tap is given twice");
        assertThatThrownBy(() -> VmSpec.parse("name=h,net=")).hasMessageContaining("net= needs a tap interface's name");
        assertThatThrownBy(() -> VmSpec.parse("name=h,net=tap0/01:00:5e:00:00:01"))
                .hasMessageContaining("is not a unicast MAC address");
        assertThatThrownBy(() -> VmSpec.parse("name=h,net=tap0/52:54:00"))
                .hasMessageContaining("is not a unicast MAC address");
        assertThatThrownBy(() -> VmSpec.parse("name=h" + (",disk-ro=" + a).repeat(4) + ",net=t0,net=t1,net=t2,net=t3,net=t4"))
                .hasMessageContaining("at most 8 disks and network interfaces together, not 9");
    }
}
