package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.spi.EvaluationSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NixEvaluator#evaluate(String, String, EvaluationSink)} against the real nix: each chunk's
 * hosts reach the sink as soon as that chunk's {@code nix eval} process ends, while later chunks'
 * processes have not even started; failures reach it too, and the call then throws as {@link
 * NixEvaluator#evaluate(String, String)} does.
 */
class NixEvaluatorStreamingTest {
  @TempDir static Path tmp;
  static Path realNix;
  static String many;
  static String errors;

  @BeforeAll
  static void createFlakes() {
    realNix = NixTestSupport.requireNix();
    String nonce = UUID.randomUUID().toString();
    many = NixTestSupport.flake(tmp, "many", Map.of("NONCE", nonce, "COUNT", "6"));
    errors = NixTestSupport.flake(tmp, "pool-errors", Map.of("NONCE", nonce));
  }

  /** A nix that logs each start (its first argument) before running the real one. */
  private static Path countingNix(String name) throws IOException {
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir);
    Path log = dir.resolve("invocations.log");
    Files.writeString(log, "");
    Path nix = dir.resolve("nix");
    Files.writeString(
        nix, "#!/bin/sh\necho \"$1\" >> '" + log + "'\nexec '" + realNix + "' \"$@\"\n");
    Files.setPosixFilePermissions(nix, PosixFilePermissions.fromString("rwxr-xr-x"));
    return nix;
  }

  private static int started(Path nix) {
    try {
      return Files.readAllLines(nix.resolveSibling("invocations.log")).size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void eachChunksHostsArriveWhenItsProcessEndsBeforeLaterChunksStart() throws Exception {
    Path nix = countingNix("streaming");
    List<String> calls = new CopyOnWriteArrayList<>();
    // host name -> how many nix processes had started when the sink got it
    Map<String, Integer> processesAtDelivery = new TreeMap<>();
    List<Host> delivered = new CopyOnWriteArrayList<>();
    EvaluationSink sink =
        new EvaluationSink() {
          @Override
          public void fleetEvaluated(Fleet fleetLevel, List<String> hostNames) {
            calls.add(
                "fleet " + fleetLevel.name() + " " + fleetLevel.hosts().size() + " " + hostNames);
          }

          @Override
          public synchronized void hostEvaluated(Host host) {
            calls.add("host " + host.name());
            processesAtDelivery.put(host.name(), started(nix));
            delivered.add(host);
          }
        };
    Fleet fleet;
    NixEvaluator evaluator =
        NixTestSupport.offline()
            .nixBinary(nix.toString())
            .evaluationChunkSize(2)
            .evaluationWorkers(1)
            .build();
    try (evaluator) {
      fleet = evaluator.evaluate(many, "default", sink);
      // Every delivered host's derivation is known: it can be built without evaluating again.
      for (Host h : delivered) {
        assertThat(evaluator.systemDerivation(h))
            .hasValueSatisfying(d -> assertThat(d).endsWith(".drv"));
      }
    }
    List<String> names = List.of("host-0", "host-1", "host-2", "host-3", "host-4", "host-5");
    assertThat(calls.get(0)).isEqualTo("fleet default 0 " + names);
    assertThat(delivered).extracting(Host::name).containsExactlyInAnyOrderElementsOf(names);
    // One process for the fleet-level part, then three chunks of two, one after another (one
    // worker): the first chunk's hosts arrived when 2 processes had started, before the processes
    // of the second (3) and third (4) chunks.
    assertThat(started(nix)).isEqualTo(4);
    assertThat(new ArrayList<>(processesAtDelivery.values())).containsExactly(2, 2, 3, 3, 4, 4);
    // The hosts delivered are the hosts returned.
    for (Host h : delivered) {
      assertThat(fleet.host(h.name())).isEqualTo(h);
    }
    assertThat(fleet).isEqualTo(NixTestSupport.offline().build().evaluate(many, "default"));
  }

  @Test
  void failedHostsReachTheSinkAndThePartialFailureIsThrownAfter() {
    List<String> got = new CopyOnWriteArrayList<>();
    EvaluationSink sink =
        new EvaluationSink() {
          @Override
          public void fleetEvaluated(Fleet fleetLevel, List<String> hostNames) {
            got.add("fleet " + fleetLevel.sharedSecrets().keySet());
          }

          @Override
          public void hostEvaluated(Host host) {
            got.add("ok " + host.name());
          }

          @Override
          public void hostFailed(String host, EvaluationException failure) {
            got.add("failed " + host + " " + failure.host().orElse("?"));
          }
        };
    for (NixEvaluator.Builder b :
        List.of(NixTestSupport.offline(), NixTestSupport.offline().evaluationChunkSize(3))) {
      got.clear();
      try (NixEvaluator nix = b.build()) {
        assertThatThrownBy(() -> nix.evaluate(errors, "default", sink))
            .isInstanceOfSatisfying(
                PartialEvaluationException.class,
                e -> assertThat(e.failedHosts()).containsExactly("h2", "h4"));
      }
      // The fleet-level part first (even when h2 failed inside the very first process), then
      // every host once.
      assertThat(got.get(0)).startsWith("fleet ");
      assertThat(got.subList(1, got.size()))
          .containsExactlyInAnyOrder(
              "ok h0", "ok h1", "failed h2 h2", "ok h3", "failed h4 h4", "ok h5");
    }
  }

  @Test
  void aNullSinkIsAConfigurationError() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(many, "default", null))
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("EvaluationSink.NONE");
    }
  }
}
