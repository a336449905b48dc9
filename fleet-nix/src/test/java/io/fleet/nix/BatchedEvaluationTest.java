package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluating and building 100 hosts runs a few nix processes (one for the fleet, one per chunk of
 * hosts, one build), never one per host.
 */
class BatchedEvaluationTest {
  @TempDir Path tmp;

  @Test
  void evaluatingAndBuildingAHundredHostsRunsOneNixProcessPerChunkNotPerHost() throws Exception {
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
    // Default settings: chunks of at most NixEvaluator.DEFAULT_CHUNK_SIZE hosts, as many as a
    // multiple of the machine's cores (10 chunks of 10 on 1 or 2 cores, 12 of 9 on 3 or 4).
    int cores = Runtime.getRuntime().availableProcessors();
    int chunks = (100 + NixEvaluator.DEFAULT_CHUNK_SIZE - 1) / NixEvaluator.DEFAULT_CHUNK_SIZE;
    chunks = Math.min(100, (chunks + cores - 1) / cores * cores);
    List<String> expected = new ArrayList<>(Collections.nCopies(1 + chunks, "eval"));
    expected.add("build");
    assertThat(Files.readAllLines(log)).isEqualTo(expected);
    assertThat(1 + chunks).as("nix eval processes for 100 hosts").isLessThan(100);
  }
}
