package dev.hyperfresh.shell;

import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.EngineConfig;
import dev.hyperfresh.engine.HfvisorEngine;
import dev.hyperfresh.engine.QemuEngine;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The engines over this host's hfvisor instances and QEMUs. {@code hyperfresh.socket-dir} (env
 * HYPERFRESH_SOCKET_DIR) overrides where instances live: hfvisor control sockets and QEMU QMP sockets
 * ({@code *.qmp}) alike; {@code hyperfresh.start-timeout} (HYPERFRESH_START_TIMEOUT) how long a new instance may
 * take to answer; {@code hyperfresh.home} is the checkout bin/hyperfresh runs from, whose bin/hfvisor starts
 * instances unless {@code hyperfresh.hfvisor} names another launcher.
 */
@Configuration(proxyBeanMethods = false)
public class EngineConfiguration {
    @Bean
    EngineConfig engineConfig(@Value("${hyperfresh.socket-dir:}") String socketDir,
                              @Value("${hyperfresh.home:.}") String home,
                              @Value("${hyperfresh.hfvisor:}") String hfvisor,
                              @Value("${hyperfresh.start-timeout:120s}") Duration startTimeout) {
        return EngineConfig.of(socketDir, home, hfvisor, startTimeout);
    }

    @Bean
    Engine engine(EngineConfig config) {
        return new HfvisorEngine(config);
    }

    @Bean
    QemuEngine qemuEngine(EngineConfig config) {
        return new QemuEngine(config);
    }
}
