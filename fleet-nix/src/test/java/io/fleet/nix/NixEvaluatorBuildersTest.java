package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.api.spi.SystemDerivation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-host remote builders group the build into one {@code nix build} per builders setting; and the
 * derivations for building on the target come from the evaluation, unbuilt, with their derivation
 * closure. Against the real nix (a wrapper records each command line).
 */
class NixEvaluatorBuildersTest {
  @TempDir Path tmp;

  @Test
  void hostsWithDifferentBuildersAreBuiltInSeparateRunsEachWithItsSetting() throws Exception {
    Path realNix = NixTestSupport.requireNix();
    String flake =
        NixTestSupport.flake(
            tmp, "many", Map.of("NONCE", UUID.randomUUID().toString(), "COUNT", "3"));
    Path log = tmp.resolve("nix-argv.log");
    Path wrapper = tmp.resolve("bin/nix");
    Files.createDirectories(wrapper.getParent());
    Files.writeString(
        wrapper, "#!/bin/sh\necho \"$*\" >> '" + log + "'\nexec '" + realNix + "' \"$@\"\n");
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    // Machines files with no machine: valid settings that make nix build locally.
    Path none = Files.writeString(tmp.resolve("machines-none"), "");
    Path other = Files.writeString(tmp.resolve("machines-other"), "\n");

    try (NixEvaluator nix =
        NixTestSupport.offline()
            .nixBinary(wrapper.toString())
            .builders("@" + none)
            .hostBuilders("host-1", "@" + other)
            .build()) {
      Fleet fleet = nix.evaluate(flake, "default");
      Map<String, String> built =
          nix.build(fleet, List.of("host-0", "host-1", "host-2"), BuildListener.NONE);
      assertThat(built.keySet()).containsExactly("host-0", "host-1", "host-2");
      for (Map.Entry<String, String> e : built.entrySet()) {
        assertThat(Files.readString(Path.of(e.getValue(), "host-name")).trim())
            .isEqualTo(e.getKey());
      }
    }
    List<String> builds =
        Files.readAllLines(log).stream().filter(l -> l.startsWith("build ")).toList();
    assertThat(builds).hasSize(2);
    assertThat(builds.get(0)).contains("--option builders @" + none).doesNotContain("host-1");
    assertThat(builds.get(1)).contains("--option builders @" + other);
    assertThat(drvs(builds.get(0))).as("derivations in run 1").isEqualTo(2);
    assertThat(drvs(builds.get(1))).as("derivations in run 2").isEqualTo(1);
    assertThat(Files.readAllLines(log))
        .noneMatch(l -> l.startsWith("eval") && l.contains("builders"));
  }

  static long drvs(String argv) {
    return java.util.Arrays.stream(argv.split(" ")).filter(a -> a.endsWith(".drv")).count();
  }

  @Test
  void derivationsAreEvaluatedNotBuiltAndTheirClosureIsDrvFilesAndSources() {
    NixTestSupport.requireNix();
    String flake =
        NixTestSupport.flake(
            tmp, "many", Map.of("NONCE", UUID.randomUUID().toString(), "COUNT", "2"));
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      Fleet fleet = nix.evaluate(flake, "default");
      Map<String, SystemDerivation> drvs = nix.derivations(fleet, List.of("host-0", "host-1"));
      assertThat(drvs.keySet()).containsExactly("host-0", "host-1");
      SystemDerivation d = drvs.get("host-0");
      assertThat(d.drvPath()).endsWith(".drv");
      assertThat(Path.of(d.drvPath())).exists();
      // evaluated, not built (the nonce makes the output new)
      assertThat(Path.of(d.outPath())).doesNotExist();

      List<StorePathInfo> closure = nix.derivationClosure(List.of(d.drvPath()));
      assertThat(closure).extracting(StorePathInfo::path).contains(d.drvPath());
      assertThat(closure).extracting(StorePathInfo::path).doesNotContain(d.outPath());
      assertThat(closure).allMatch(i -> i.narSize() > 0);
      assertThat(Path.of(d.outPath())).doesNotExist();

      // A fresh evaluator, which did not evaluate the fleet, evaluates the attribute itself.
      try (NixEvaluator other = NixTestSupport.offline().build()) {
        assertThat(other.derivations(fleet, List.of("host-1")).get("host-1"))
            .isEqualTo(drvs.get("host-1"));
      }
    }
  }
}
