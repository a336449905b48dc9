package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.testkit.SharedNixTrees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every failure of nix becomes an EvaluationException with nix's own message and the host. */
class NixEvaluatorErrorsTest {
  @TempDir static Path tmp;
  static String flake;

  @BeforeAll
  static void createFlake() {
    NixTestSupport.requireNix();
    flake = NixTestSupport.flake(tmp, "errors", Map.of("NONCE", UUID.randomUUID().toString()));
  }

  @Test
  void anEvaluationErrorInOneHostNamesThatHost() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "evalError"))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.host()).contains("bad-eval");
                assertThat(e.exitCode()).isNotZero();
                assertThat(e.stderr()).contains("cannot add a string to an integer");
                assertThat(e.getMessage())
                    .contains("in host 'bad-eval'")
                    .contains("cannot add a string to an integer");
              });
    }
  }

  @Test
  void aBuildFailureInOneHostNamesThatHostAndShowsTheBuildersOutput() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      Fleet fleet = nix.evaluate(flake, "buildError");
      assertThatThrownBy(() -> nix.build(fleet, List.of("ok", "bad-build"), null))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.host()).contains("bad-build");
                assertThat(e.stderr())
                    .contains("failed with exit code 9")
                    .contains("the-builder-says-boom");
                assertThat(e.getMessage()).contains("in host 'bad-build'").contains("exit code 9");
              });
      // The healthy host still builds on its own.
      assertThat(nix.build(fleet, List.of("ok"), null)).containsOnlyKeys("ok");
    }
  }

  @Test
  void conflictingDefinitionsNameTheHostTheOptionAndTheFiles() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "conflict"))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.host()).contains("a");
                // nixpkgs' module system's message, with the values and where they are defined.
                assertThat(e.getMessage())
                    .contains("in host 'a'")
                    .contains("The option `hosts.a.system' has conflicting definition values")
                    .contains("\"x86_64-linux\"")
                    .contains("\"aarch64-linux\"")
                    .contains("<fleetConfiguration modules, element 1>")
                    .contains("<fleetConfiguration modules, element 2>")
                    .doesNotContain("not writing modified lock file");
              });
    }
  }

  @Test
  void aDefinitionOfTheWrongTypeNamesTheHostAndTheOption() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "wrongType"))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.host()).contains("typo");
                assertThat(e.getMessage())
                    .contains("in host 'typo'")
                    .contains("`hosts.typo.tags' is not of type `list of string'")
                    .contains("\"web\"");
              });
    }
  }

  @Test
  void anUndeclaredOptionNamesTheHostAndTheOption() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "undeclared"))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.host()).contains("typo");
                assertThat(e.getMessage())
                    .contains("in host 'typo'")
                    .contains("The option `hosts.typo.colour' does not exist");
              });
    }
  }

  @Test
  void aFailedFleetAssertionIsReportedForTheFleetNotAHost() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "failedAssertion"))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.host()).isEmpty();
                assertThat(e.getMessage())
                    .contains("failed assertions")
                    .contains("- the fleet needs a host b");
              });
    }
  }

  @Test
  void anUnknownGeneratorNamesTheSharedSecret() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "unknownGenerator"))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.host()).isEmpty();
                assertThat(e.getMessage())
                    .contains("in shared secret 'token'")
                    .contains("mkNope")
                    .contains("secretGenerators");
              });
    }
  }

  @Test
  void aDerivationCollectedBetweenEvaluationAndBuildIsWrittenAgain() throws Exception {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      Fleet fleet = nix.evaluate(flake, "buildError");
      // Remove the system derivation evaluate() wrote, as the garbage collector would.
      List<String> eval =
          new ArrayList<>(
              List.of(
                  "nix",
                  "eval",
                  "--raw",
                  "--extra-experimental-features",
                  "nix-command flakes",
                  "--option",
                  "substituters",
                  "",
                  "--option",
                  "flake-registry",
                  "",
                  "--override-input",
                  "fleet/nixpkgs-lib",
                  SharedNixTrees.inTarget().locked(SharedNixTrees.NIXPKGS_LIB)));
      eval.add(fleet.host("ok").systemAttribute().orElseThrow() + ".drvPath");
      Process p = new ProcessBuilder(eval).start();
      String drv = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertThat(p.waitFor()).isZero();
      assertThat(drv).endsWith("-fleet-system-ok.drv");
      // With keep-derivations (nix's default) a derivation whose output is valid stays alive, so
      // the output goes too (it may exist from an earlier run).
      List<String> delete = new ArrayList<>(List.of("nix-store", "--delete", drv));
      Process outputs = new ProcessBuilder("nix-store", "-q", "--outputs", drv).start();
      for (String line :
          new String(outputs.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && Files.exists(Path.of(line.trim()))) {
          delete.add(line.trim());
        }
      }
      assertThat(outputs.waitFor()).isZero();
      new ProcessBuilder(delete)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor();
      assertThat(Path.of(drv)).doesNotExist();

      assertThat(nix.build(fleet, List.of("ok"), null)).containsOnlyKeys("ok");
      assertThat(Path.of(drv)).exists();
    }
  }

  @Test
  void aConfigurationNotMadeByTheFleetLibraryIsReported() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "notAFleet"))
          .isInstanceOf(EvaluationException.class)
          .hasMessageContaining("not a fleet configuration");
    }
  }

  @Test
  void badArgumentsAreConfigErrorsBeforeNixRuns() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "x\"; builtins.abort \"y"))
          .isInstanceOf(FleetConfigException.class);
      assertThatThrownBy(() -> nix.evaluate(flake + "#other", "default"))
          .isInstanceOf(FleetConfigException.class);
      assertThatThrownBy(() -> NixEvaluator.builder().overrideInput("../x", "path:/tmp"))
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("../x");
      assertThatThrownBy(() -> NixEvaluator.builder().overrideInput("fleet", "--impure"))
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("fleet");
      assertThatThrownBy(() -> nix.build(Fleet.builder().build(), List.of("ghost"), null))
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("ghost");
    }
  }
}
