package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.spi.StorePathInfo;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** build, closure and export against the real nix, with hosts given by flake attribute. */
class StoreOperationsTest {
  @TempDir static Path dir;
  static String flake;
  static final String NONCE = UUID.randomUUID().toString();

  @BeforeAll
  static void flake() {
    NixTestSupport.requireNix();
    NixTestSupport.write(
        dir.resolve("flake.nix"),
        "{ outputs = { self }: let\n"
            + "  mk = name: script: builtins.derivation {\n"
            + "    inherit name; system = builtins.currentSystem or \"x86_64-linux\";\n"
            + "    builder = \"/bin/sh\"; args = [ \"-c\" script ]; };\n"
            + "  lib = mk \"lib-"
            + NONCE
            + "\" \"echo library > $out\";\n"
            + "in {\n"
            + "  top = mk \"top\" \"echo uses ${lib} > $out\";\n"
            + "  broken = mk \"broken-"
            + NONCE
            + "\" \"echo this-builder-fails; exit 7\";\n"
            + "}; }\n");
    flake = "path:" + dir;
  }

  private static Fleet fleetOf(String host, String attribute) {
    return Fleet.builder().host(host, h -> h.systemAttribute(flake + "#" + attribute)).build();
  }

  @Test
  void buildsClosureAndExportInReferenceOrder() throws Exception {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      Map<String, String> built = nix.build(fleetOf("web", "top"), List.of("web"), null);
      String top = built.get("web");
      assertThat(top).startsWith("/nix/store/").endsWith("-top");
      assertThat(Files.readString(Path.of(top))).startsWith("uses /nix/store/");
      String lib = Files.readString(Path.of(top)).trim().substring("uses ".length());

      List<StorePathInfo> closure = nix.closure(List.of(top));
      assertThat(closure).extracting(StorePathInfo::path).containsExactlyInAnyOrder(top, lib);
      StorePathInfo topInfo =
          closure.stream().filter(i -> i.path().equals(top)).findFirst().orElseThrow();
      assertThat(topInfo.references()).contains(lib);
      assertThat(topInfo.narSize()).isPositive();

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      nix.export(List.of(top, lib), out);
      String nar = new String(out.toByteArray(), StandardCharsets.ISO_8859_1);
      // nix-store --export writes paths so that references come first.
      assertThat(nar.indexOf(lib)).isNotNegative();
      assertThat(nar.indexOf(lib)).isLessThan(nar.indexOf(top + "\0"));
    }
  }

  @Test
  void buildFailureCarriesTheBuildersOutputAndTheHost() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.build(fleetOf("db", "broken"), List.of("db"), null))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.exitCode()).isNotZero();
                assertThat(e.stderr())
                    .contains("failed with exit code 7")
                    .contains("this-builder-fails");
                assertThat(e.command()).contains("build");
                assertThat(e.getMessage()).contains("failed with exit code 7");
              });
    }
  }

  @Test
  void closureOfAPathNotInTheStoreIsATypedError() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(
              () -> nix.closure(List.of("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing")))
          .isInstanceOf(EvaluationException.class)
          .hasMessageContaining("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing");
      assertThatThrownBy(() -> nix.closure(List.of("github:someone/else")))
          .isInstanceOf(FleetConfigException.class);
    }
  }

  @Test
  void missingNixSaysHowToInstallIt() {
    try (NixEvaluator nix =
        NixEvaluator.builder().nixBinary("/nonexistent/bin/nix-" + NONCE).build()) {
      assertThatThrownBy(() -> nix.closure(List.of("/nix/store/x")))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.getMessage())
                    .contains("apt-get install nix-bin")
                    .contains("nixos.org");
                assertThat(e.exitCode()).isEqualTo(-1);
                assertThat(e.command().get(0)).isEqualTo("/nonexistent/bin/nix-" + NONCE);
              });
      assertThatThrownBy(() -> nix.evaluate("path:/tmp", "default"))
          .isInstanceOf(EvaluationException.class)
          .hasMessageContaining("apt-get install nix-bin");
    }
  }

  static String joined(List<String> l) {
    return l.stream().collect(Collectors.joining(" "));
  }
}
