package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NixEvaluator.Builder#evaluationMemoryLimit} against the real nix, with hosts whose
 * evaluation allocates (flake {@code hungry}): a process over the limit is replaced, keeping the
 * hosts it finished, and every host is still evaluated; a host over the limit alone fails, naming
 * itself and the limit.
 */
class NixEvaluatorMemoryLimitTest {
  @TempDir static Path tmp;
  static Path realNix;
  static String hungry;

  @BeforeAll
  static void createFlake() {
    realNix = NixTestSupport.requireNix();
    hungry =
        NixTestSupport.flake(
            tmp,
            "hungry",
            Map.of(
                "NONCE", UUID.randomUUID().toString(),
                "COUNT", "8",
                "SIZE", "1500000",
                "GLUTTON", "12000000"));
  }

  /**
   * A nix that logs the hosts each start evaluates (the {@code only} list), then runs nix as its
   * child (not exec'd: the limit must count a wrapper's descendants).
   */
  private static Path wrapper(String name) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Path nix = dir.resolve("nix");
    Files.writeString(
        nix,
        "#!/bin/sh\n"
            + "for a in \"$@\"; do case \"$a\" in *'only = '*) echo \"$a\" | grep -o 'host-[0-9][0-9]*'"
            + " | tr '\\n' ' ' >> '"
            + dir.resolve("chunks.log")
            + "'; echo >> '"
            + dir.resolve("chunks.log")
            + "';; esac; done\n"
            + "'"
            + realNix
            + "' \"$@\"\n"
            + "exit $?\n");
    Files.setPosixFilePermissions(nix, PosixFilePermissions.fromString("rwxr-xr-x"));
    return nix;
  }

  @Test
  void aProcessOverTheLimitIsReplacedKeepingTheHostsItFinished() throws Exception {
    Fleet unlimited;
    try (NixEvaluator nix = NixTestSupport.offline().evaluationChunkSize(4).build()) {
      unlimited = nix.evaluate(hungry, "default");
    }
    Path wrapped = wrapper("split");
    Fleet limited;
    try (NixEvaluator nix =
        NixTestSupport.offline()
            .nixBinary(wrapped.toString())
            .evaluationChunkSize(4)
            .evaluationWorkers(1)
            .evaluationMemoryLimit(LIMIT)
            .build()) {
      limited = nix.evaluate(hungry, "default");
    }
    assertThat(limited).isEqualTo(unlimited);
    assertThat(limited.hosts()).hasSize(8);
    List<String> chunks = Files.readAllLines(wrapped.resolveSibling("chunks.log"));
    // Two chunks of 4, each stopped past the limit while on its third host; the two hosts each had
    // finished are kept (traced as they were done), and only the other two go to a fresh process.
    assertThat(chunks.stream().map(String::trim).filter(c -> c.split(" ").length == 4)).hasSize(2);
    assertThat(chunks.stream().map(String::trim).filter(c -> c.split(" ").length == 2))
        .containsExactlyInAnyOrder("host-2 host-3", "host-6 host-7");
    assertThat(chunks.stream().filter(c -> !c.isBlank())).hasSize(4);
  }

  /**
   * Measured here (nix 2.8): about 26 MiB for the fleet's data alone, 115 to 140 MiB with one host
   * of the 1.5-million list, about 230 with two, 440 with four; the glutton needs some 800.
   */
  static final long LIMIT = 300L << 20;

  @Test
  void aHostOverTheLimitAloneFailsNamingItAndTheLimit() {
    // Two hosts fit one chunk: the first process, with both inline, passes the limit; then the
    // fleet's data alone, then the hosts apart.
    try (NixEvaluator nix = NixTestSupport.offline().evaluationMemoryLimit(LIMIT).build()) {
      assertThatThrownBy(() -> nix.evaluate(hungry, "glutton"))
          .isInstanceOfSatisfying(
              PartialEvaluationException.class,
              e -> {
                assertThat(e.failedHosts()).containsExactly("glutton");
                assertThat(e.failures().get("glutton").host()).contains("glutton");
                assertThat(e.failures().get("glutton").getMessage())
                    .contains("host 'glutton' alone needs more than")
                    .contains("limit of 300 MiB")
                    .contains("raise NixEvaluator.Builder.evaluationMemoryLimit");
                assertThat(e.evaluated().hosts()).containsOnlyKeys("small");
              });
    }
  }

  @Test
  void aLimitUnderWhatNixNeedsIsRefused() {
    assertThatThrownBy(() -> NixEvaluator.builder().evaluationMemoryLimit(1 << 20))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("at least 16 MiB");
  }
}
