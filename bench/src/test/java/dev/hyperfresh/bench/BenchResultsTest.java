package dev.hyperfresh.bench;


import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

class BenchResultsTest {
    private static final Scenario HF = new Scenario(Backend.HFVISOR_REMAP, 256L << 20, 1, 1, true);
    private static final Scenario QS = new Scenario(Backend.QEMU_SHARED, 256L << 20, 1, 1, true);
    private static final Scenario QO = new Scenario(Backend.QEMU_OWN, 256L << 20, 1, 1, true);
    private static final String TCG = QemuAccelChoice.TCG_LABEL;

    private static final List<Sample> SAMPLES = List.of(
            new Sample(HF, "SVM", 1, 300, -1, 5000, -1, 4000, 100, Map.of("pause", 15L), 900, 700, 10, 11, 0, "completed",
                    Map.of()),
            new Sample(HF, "SVM", 2, 500, -1, 7000, -1, 6000, 100, Map.of("pause", 17L), 800, -1, 10, 11, 0, "completed",
                    Map.of()),
            new Sample(QS, TCG, 1, 80000, 18000, 900000, 30000, -1, -1, Map.of(), 120000, 90000, 5, 4, 200 << 10,
                    "completed", Map.of("source-stop", 0L, "standby-resume", 80000L)),
            new Sample(QO, TCG, 1, 64000, 17000, 850000, 25000, -1, -1, Map.of(), 110000, 90000, 5, 4, 200 << 10,
                    "completed", Map.of("source-stop", 0L, "standby-resume", 64000L)));

    @Test
    void csvHasOneLinePerRunNamingAccelAndBackend() {
        List<String> lines = BenchResults.csv(SAMPLES).lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0)).startsWith("accel,backend,memory_bytes,vcpus,vms,load,run,outcome,blackout_us,"
                + "qemu_downtime_us,total_us,resume_to_return_us,prepare_us,populate_us,converge_us,pause_us,");
        assertThat(lines.get(1)).startsWith("\"SVM\",hfvisor-remap,268435456,1,1,busy,1,completed,300,-1,5000,-1,4000,"
                + "100,-1,15,");
        assertThat(lines.get(3)).startsWith("\"" + TCG + "\",qemu-shared,268435456,1,1,busy,1,completed,80000,18000,"
                + "900000,30000,-1,-1,-1,-1,").endsWith(",120000,90000,5,4,204800");
        assertThat(lines).allSatisfy(l -> assertThat(l.split(",", -1)).hasSize(lines.get(0).split(",").length));
    }

    @Test
    void traceMediansFollowTheCutover() {
        assertThat(BenchResults.traceMedians(SAMPLES.subList(2, 4))).isEqualTo("source-stop 0, standby-resume 64000");
        assertThat(BenchResults.traceMedians(SAMPLES.subList(0, 2))).isEmpty();
    }

    @Test
    void markdownHasOneRowPerBackendAndScenarioSayingWhereItRan() {
        String md = BenchResults.markdown(SAMPLES);
        assertThat(md).contains("Measured on: **SVM**; **" + TCG + "**");
        assertThat(md).contains("| SVM | hfvisor-remap 256M 1vcpu 1vm busy | 2 | 300 | 500 | 500 | – | – | 5000 | –"
                + " | 4000 | 900 | 700 | 10 → 11 | 0.00 | completed |");
        assertThat(md).contains("| " + TCG + " | qemu-shared 256M 1vcpu 1vm busy | 1 | 80000 | 80000 | 80000 | 1.25"
                + " | 18000 | 900000 | 30000 | – | 120000 | 90000 | 5 → 4 | 0.20 | completed |");
        assertThat(md).contains("| " + TCG + " | qemu-own 256M 1vcpu 1vm busy | 1 | 64000 | 64000 | 64000 | –");
    }
}
