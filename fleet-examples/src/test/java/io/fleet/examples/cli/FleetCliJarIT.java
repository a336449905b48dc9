package io.fleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.FleetJson;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.examples.ProcessRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shaded jar (built in package) runs on its own: {@code java -jar target/fleet-cli.jar}. */
class FleetCliJarIT {
  static final Path JAR = Path.of("target", "fleet-cli.jar");

  static ProcessRun jar(String... args) {
    List<String> cmd = new ArrayList<>(List.of(ProcessRun.jdkTool("java"), "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    return ProcessRun.run(cmd, Map.of(), 120);
  }

  @Test
  void theShadedJarDeploysAndRotatesOnFakeHosts() throws Exception {
    assertThat(JAR).exists();
    ProcessRun deploy = jar("--fake", "5", "deploy", "switch", "--json", "--on", "@web");
    assertThat(deploy.exit()).as(deploy.err()).isZero();
    assertThat(DeploymentReport.fromJson(deploy.out()).hosts()).hasSize(4);
    assertThat(deploy.err()).doesNotContain("SLF4J", "INFO");

    // ServiceLoader registrations (age cipher, generators, fake command handlers) survive shading.
    ProcessRun regen = jar("--fake", "3", "secrets", "regenerate", "--json");
    assertThat(regen.exit()).as(regen.err()).isZero();
    JsonNode plan = FleetJson.mapper().readTree(regen.out());
    assertThat(plan.get("steps")).hasSize(4);

    ProcessRun version = jar("--version");
    assertThat(version.out()).contains("fleet-java example CLI");
    assertThat(Files.size(JAR)).isGreaterThan(1_000_000);
  }
}
