package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NixEvaluator#evaluate} with a pool of nix processes, against the real nix: chunks are
 * separate processes, give the single process's result, and failures of hosts or of a whole process
 * name the hosts without losing the others.
 */
class NixEvaluatorPoolTest {
  @TempDir static Path tmp;
  static Path realNix;
  static String many;
  static String errors;

  @BeforeAll
  static void createFlakes() {
    realNix = NixTestSupport.requireNix();
    String nonce = UUID.randomUUID().toString();
    many = NixTestSupport.flake(tmp, "many", Map.of("NONCE", nonce, "COUNT", "7"));
    errors = NixTestSupport.flake(tmp, "pool-errors", Map.of("NONCE", nonce));
  }

  /** A nix that logs each start, and on start number {@code killAt} kills itself (SIGKILL). */
  private static Path wrapper(String name, int killAt) throws Exception {
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir);
    Path log = dir.resolve("invocations.log");
    Path nix = dir.resolve("nix");
    Files.writeString(
        nix,
        "#!/bin/sh\n"
            + "echo \"$1\" >> '"
            + log
            + "'\n"
            + "n=$(wc -l < '"
            + log
            + "')\n"
            + "if [ \"$n\" -eq "
            + killAt
            + " ]; then echo 'killed by the test' >&2; kill -9 $$; fi\n"
            + "exec '"
            + realNix
            + "' \"$@\"\n");
    Files.setPosixFilePermissions(nix, PosixFilePermissions.fromString("rwxr-xr-x"));
    return nix;
  }

  private static List<String> invocations(Path wrapper) throws Exception {
    return Files.readAllLines(wrapper.resolveSibling("invocations.log"));
  }

  @Test
  void chunksAreSeparateProcessesAndGiveTheSingleProcessResult() throws Exception {
    Path single = wrapper("single", 0);
    Fleet one;
    try (NixEvaluator nix = NixTestSupport.offline().nixBinary(single.toString()).build()) {
      one = nix.evaluate(many, "default");
    }
    assertThat(invocations(single)).containsExactly("eval");
    assertThat(one.hosts()).hasSize(7);

    Path pooled = wrapper("pooled", 0);
    Map<String, Integer> totals = new ConcurrentHashMap<>();
    List<String> order = new CopyOnWriteArrayList<>();
    EvaluationListener listener =
        new EvaluationListener() {
          @Override
          public void hostEvaluated(String host, int done, int total) {
            totals.put(host, total);
            order.add(host);
          }
        };
    Fleet chunked;
    try (NixEvaluator nix =
        NixTestSupport.offline()
            .nixBinary(pooled.toString())
            .evaluationChunkSize(2)
            .evaluationWorkers(2)
            .evaluationListener(listener)
            .build()) {
      chunked = nix.evaluate(many, "default");
      // The derivations the chunks wrote are known to build() (no new evaluation).
      Map<String, String> built = nix.build(chunked, List.of("host-5"), null);
      assertThat(Files.readString(Path.of(built.get("host-5"), "host-name")).trim())
          .isEqualTo("host-5");
    }
    // One process for the fleet's data and names, then 7 hosts in chunks of at most 2, as many
    // chunks as a multiple of the 2 workers: 4 chunks (2, 2, 2, 1).
    assertThat(invocations(pooled))
        .containsExactly("eval", "eval", "eval", "eval", "eval", "build");
    assertThat(chunked).isEqualTo(one);
    assertThat(List.copyOf(chunked.hosts().keySet())).isEqualTo(List.copyOf(one.hosts().keySet()));
    assertThat(order).containsExactlyInAnyOrderElementsOf(one.hosts().keySet());
    assertThat(totals.values()).containsOnly(7);
  }

  @Test
  void failedHostsAreAllNamedAndTheOthersStillEvaluate() {
    for (NixEvaluator.Builder b :
        List.of(
            NixTestSupport.offline(), // one process, then the others apart after the failure
            NixTestSupport.offline().evaluationChunkSize(3).evaluationWorkers(2))) {
      List<String> failedSeen = new CopyOnWriteArrayList<>();
      b.evaluationListener(
          new EvaluationListener() {
            @Override
            public void hostFailed(String host, EvaluationException failure) {
              failedSeen.add(host);
            }
          });
      try (NixEvaluator nix = b.build()) {
        assertThatThrownBy(() -> nix.evaluate(errors, "default"))
            .isInstanceOfSatisfying(
                PartialEvaluationException.class,
                e -> {
                  assertThat(e.failedHosts()).containsExactly("h2", "h4");
                  assertThat(e.host()).contains("h2");
                  assertThat(e.failures().get("h2").host()).contains("h2");
                  assertThat(e.failures().get("h4").host()).contains("h4");
                  assertThat(e.failures().get("h4").getMessage())
                      .contains("in host 'h4'")
                      .contains("cannot add a string to an integer");
                  assertThat(e.getMessage())
                      .contains("failed in 2 hosts")
                      .contains("in host 'h2'")
                      .contains("in host 'h4'");
                  Fleet rest = e.evaluated();
                  assertThat(rest.hosts().keySet()).containsExactly("h0", "h1", "h3", "h5");
                  assertThat(rest.host("h3").tags()).contains("t3");
                  assertThat(rest.sharedSecrets()).containsKey("token");
                });
      }
      assertThat(failedSeen).containsExactlyInAnyOrder("h2", "h4");
    }
  }

  @Test
  void aChunkWhoseProcessIsKilledNamesItsHosts() throws Exception {
    // Start 2 is the first chunk (one worker: chunks run in order).
    Path killing = wrapper("killing", 2);
    try (NixEvaluator nix =
        NixTestSupport.offline()
            .nixBinary(killing.toString())
            .evaluationChunkSize(3)
            .evaluationWorkers(1)
            .build()) {
      assertThatThrownBy(() -> nix.evaluate(many, "default"))
          .isInstanceOfSatisfying(
              PartialEvaluationException.class,
              e -> {
                // 7 hosts, chunks of at most 3: (3, 3, 1); the first one's process was killed.
                assertThat(e.failedHosts()).containsExactly("host-0", "host-1", "host-2");
                assertThat(e.host()).isEmpty();
                assertThat(e.exitCode()).isEqualTo(137);
                assertThat(e.getMessage())
                    .contains("'host-0', 'host-1', 'host-2'")
                    .contains("killed by the test");
                assertThat(e.evaluated().hosts().keySet())
                    .containsExactly("host-3", "host-4", "host-5", "host-6");
              });
    }
    assertThat(invocations(killing)).containsExactly("eval", "eval", "eval", "eval");
  }

  @Test
  void poolSettingsAreChecked() {
    assertThatThrownBy(() -> NixEvaluator.builder().evaluationWorkers(0))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("at least 1");
    assertThatThrownBy(() -> NixEvaluator.builder().evaluationChunkSize(0))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("at least 1 host");
  }
}
