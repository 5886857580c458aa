package dev.hyperfresh.shell;

import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.EngineConfig;
import dev.hyperfresh.engine.HfvisorEngine;
import dev.hyperfresh.vmm.control.ControlClient;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The engine over this host's hfvisor instances. {@code hyperfresh.socket-dir} (env HYPERFRESH_SOCKET_DIR)
 * overrides where instances live, {@code hyperfresh.start-timeout} (HYPERFRESH_START_TIMEOUT) how long a new
 * instance may take to answer; {@code hyperfresh.home} is the checkout bin/hyperfresh runs from, whose
 * bin/hfvisor starts instances unless {@code hyperfresh.hfvisor} names another launcher.
 */
@Configuration(proxyBeanMethods = false)
public class EngineConfiguration {
    @Bean
    Engine engine(@Value("${hyperfresh.socket-dir:}") String socketDir,
                  @Value("${hyperfresh.home:.}") String home,
                  @Value("${hyperfresh.hfvisor:}") String hfvisor,
                  @Value("${hyperfresh.start-timeout:120s}") Duration startTimeout) {
        Path dir = socketDir.isBlank() ? ControlClient.defaultSocketDir() : Path.of(socketDir);
        Path launcher = hfvisor.isBlank() ? Path.of(home, "bin", "hfvisor") : Path.of(hfvisor);
        return new HfvisorEngine(new EngineConfig(dir.toAbsolutePath(), launcher.toAbsolutePath().normalize(),
                startTimeout));
    }
}
