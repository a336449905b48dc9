package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluating and building 100 hosts runs nix twice, not once per host. */
class BatchedEvaluationTest {
  @TempDir Path tmp;

  @Test
  void evaluatingAndBuildingAHundredHostsRunsAtMostTwoNixProcesses() throws Exception {
    Path realNix = NixTestSupport.requireNix();
    String flake =
        NixTestSupport.flake(
            tmp, "many", Map.of("NONCE", UUID.randomUUID().toString(), "COUNT", "100"));
    // A nix that records each start before running the real one.
    Path log = tmp.resolve("nix-invocations.log");
    Path wrapper = tmp.resolve("bin/nix");
    Files.createDirectories(wrapper.getParent());
    Files.writeString(
        wrapper, "#!/bin/sh\necho \"$1\" >> '" + log + "'\nexec '" + realNix + "' \"$@\"\n");
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));

    try (NixEvaluator nix = NixTestSupport.offline().nixBinary(wrapper.toString()).build()) {
      Fleet fleet = nix.evaluate(flake, "default");
      assertThat(fleet.hosts()).hasSize(100);
      assertThat(fleet.select(List.of("@second-half"), List.of())).hasSize(50);
      Map<String, String> built = nix.build(fleet, fleet.hosts().keySet(), null);
      assertThat(built).hasSize(100);
      assertThat(built.values()).doesNotHaveDuplicates();
      for (Map.Entry<String, String> e : built.entrySet()) {
        assertThat(Path.of(e.getValue(), "bin/switch-to-configuration")).isExecutable();
        assertThat(Files.readString(Path.of(e.getValue(), "host-name")).trim())
            .isEqualTo(e.getKey());
      }
    }
    assertThat(Files.readAllLines(log)).containsExactly("eval", "build");
  }
}
