package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.nix.internal.FleetFlakeSources;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Nix files as shipped: all of them in the jar, all parseable by nix, and the parts of the
 * NixOS modules that can run without NixOS (the secret installer, the rollback script) checked for
 * real.
 */
class NixModulesTest {
  @TempDir Path tmp;

  @Test
  void theJarShipsEveryNixFileOfTheFlake() throws IOException {
    Set<String> onDisk = new TreeSet<>();
    onDisk.add("flake.nix");
    try (Stream<Path> files = Files.walk(Path.of("src/main/nix"))) {
      files.filter(Files::isRegularFile).forEach(p -> onDisk.add(p.toString().replace('\\', '/')));
    }
    assertThat(new TreeSet<>(FleetFlakeSources.FILES)).isEqualTo(onDisk);
    Path written = NixEvaluator.writeFleetFlake(tmp.resolve("fleet"));
    for (String f : FleetFlakeSources.FILES) {
      assertThat(written.resolve(f)).hasSameTextualContentAs(Path.of(f));
    }
  }

  @Test
  void everyNixFileParses() throws Exception {
    NixTestSupport.requireNix();
    Path written = NixEvaluator.writeFleetFlake(tmp.resolve("fleet"));
    List<String> nixFiles =
        FleetFlakeSources.FILES.stream()
            .filter(f -> f.endsWith(".nix"))
            .collect(Collectors.toList());
    assertThat(nixFiles)
        .contains("src/main/nix/nixos/secrets.nix", "src/main/nix/nixos/rollback-watchdog.nix");
    for (String f : nixFiles) {
      Result r = run(List.of("nix-instantiate", "--parse", written.resolve(f).toString()), null);
      assertThat(r.exit).as("nix-instantiate --parse %s: %s", f, r.err).isZero();
    }
  }

  @Test
  void theFlakePartsModuleOutputsEvaluatedFleetConfigurations() throws Exception {
    NixTestSupport.requireNix();
    Path fleet = NixEvaluator.writeFleetFlake(tmp.resolve("fleet"));
    Result r =
        run(
            List.of(
                "nix-instantiate",
                "--eval",
                "--strict",
                "--json",
                "--argstr",
                "fleetDir",
                fleet.toString(),
                Path.of("src/test/resources/nix/flake-module-smoke.nix")
                    .toAbsolutePath()
                    .toString()),
            null);
    assertThat(r.exit).as(r.err).isZero();
    JsonNode out = new ObjectMapper().readTree(r.out);
    assertThat(out.path("optionType").asText()).isEqualTo("deferredModule");
    assertThat(out.path("hosts").path("a").path("system").asText()).isEqualTo("aarch64-linux");
    assertThat(out.path("hosts").path("b").path("tags").toString())
        .isEqualTo("[\"all\",\"from-import\"]");
    assertThat(out.path("sharedSecretOwners").toString()).isEqualTo("[\"a\",\"b\"]");
    assertThat(out.path("generatorKind").asText()).isEqualTo("password");
  }

  @Test
  void theRollbackModuleInstallsTheBootTimeWatchdog() throws Exception {
    NixTestSupport.requireNix();
    Path fleet = NixEvaluator.writeFleetFlake(tmp.resolve("fleet"));
    Result r =
        run(
            List.of(
                "nix-instantiate",
                "--read-write-mode",
                "--eval",
                "--strict",
                "--json",
                "--argstr",
                "fleetDir",
                fleet.toString(),
                Path.of("src/test/resources/nix/rollback-module.nix").toAbsolutePath().toString()),
            null);
    assertThat(r.exit).as(r.err).isZero();
    JsonNode out = new ObjectMapper().readTree(r.out);
    JsonNode timer = out.path("timers").path("fleet-rollback-boot");
    assertThat(timer.path("wantedBy").toString()).isEqualTo("[\"timers.target\"]");
    assertThat(timer.path("timerConfig").path("OnBootSec").asText()).isEqualTo("600s");
    assertThat(timer.path("unitConfig").path("ConditionPathExists").asText())
        .isEqualTo("/var/lib/fleet/rollback-marker");
    assertThat(out.path("service").path("restartIfChanged").asBoolean(true)).isFalse();
    assertThat(out.path("tmpfiles").path("rules").toString())
        .contains("d /var/lib/fleet 0700 root root -");
    assertThat(out.path("execStart").asText())
        .isEqualTo("#!/bin/sh\n" + Files.readString(Path.of("src/main/nix/nixos/rollback.sh")));
    assertThat(out.path("execCondition").asText()).contains("sed -n 4p", "boot_id");
    assertThat(out.path("defaultWindow").asInt()).isEqualTo(600);
  }

  @Test
  void theRollbackScriptIsTheProtocolsScript() throws Exception {
    Class<?> protocol;
    try {
      protocol = Class.forName("io.fleet.api.deploy.HostProtocol");
    } catch (ClassNotFoundException e) {
      Assumptions.abort("io.fleet.api.deploy.HostProtocol is not on this branch yet");
      return;
    }
    String expected = (String) protocol.getField("ROLLBACK_SCRIPT").get(null);
    assertThat(Files.readString(Path.of("src/main/nix/nixos/rollback.sh"))).isEqualTo(expected);
  }

  @Test
  void theSecretInstallerDecryptsStoredPartsWithTheHostKey() throws Exception {
    NixTestSupport.requireNix();
    ExternalTools.require("age");
    Path installer =
        NixEvaluator.writeFleetFlake(tmp.resolve("fleet"))
            .resolve("src/main/nix/nixos/install-secret-part.sh");
    Path data = ExternalTools.testData("fleet-nix/shared-secrets.fleet.nix");
    Path keys = ExternalTools.testData("fleet-nix/keys");
    Result json =
        run(List.of("nix-instantiate", "--eval", "--strict", "--json", data.toString()), null);
    assertThat(json.exit).as(json.err).isZero();
    JsonNode secrets = new ObjectMapper().readTree(json.out).path("sharedSecrets");
    String user = run(List.of("id", "-un"), null).out.trim();
    String group = run(List.of("id", "-gn"), null).out.trim();
    Path root = tmp.resolve("run-secrets");

    // alpha owns ca.pem: its key decrypts the private part.
    Path identity = copyKey(keys.resolve("alpha"));
    assertThat(install(installer, root, identity, secrets, "ca.pem", "secret", user, group, "0440"))
        .isZero();
    Path secret = root.resolve("ca.pem/secret");
    assertThat(sha256(Files.readAllBytes(secret)))
        .isEqualTo("2e5c706aba1f3dca2dc27a5dff660c8e01b18acbf32bd0a424f44eb2b40644db");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
        .isEqualTo("r--r-----");
    // Public parts in both plaintext encodings.
    assertThat(install(installer, root, identity, secrets, "ca.pem", "public", user, group, "0444"))
        .isZero();
    assertThat(Files.readString(root.resolve("ca.pem/public")))
        .isEqualTo("-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n");
    assertThat(
            install(
                installer,
                root,
                identity,
                secrets,
                "wireguard-mesh",
                "public",
                user,
                group,
                "0444"))
        .isZero();
    assertThat(Files.readString(root.resolve("wireguard-mesh/public")))
        .isEqualTo("wg-pub \"quoted\" ${notinterpolated} \\ back");

    // gamma does not own ca.pem: nothing is installed, no temporary file is left.
    Path gamma = copyKey(keys.resolve("gamma"));
    Path other = tmp.resolve("gamma-secrets");
    assertThat(install(installer, other, gamma, secrets, "ca.pem", "secret", user, group, "0400"))
        .isNotZero();
    try (Stream<Path> left = Files.list(other.resolve("ca.pem"))) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void theSecretsModulesActivationInstallsTheHostsSecrets() throws Exception {
    NixTestSupport.requireNix();
    ExternalTools.require("age");
    Path fleet = NixEvaluator.writeFleetFlake(tmp.resolve("fleet"));
    Path data = ExternalTools.testData("fleet-nix/shared-secrets.fleet.nix");
    Path keys = ExternalTools.testData("fleet-nix/keys");
    String user = run(List.of("id", "-un"), null).out.trim();
    String group = run(List.of("id", "-gn"), null).out.trim();

    Path root = tmp.resolve("alpha/run/secrets");
    Files.createDirectories(root.resolve("no-longer-stored"));
    Result alpha = activate(fleet, data, root, copyKey(keys.resolve("alpha")), user, group);
    assertThat(alpha.exit).as(alpha.err).isZero();
    assertThat(alpha.err).doesNotContain("could not be installed");
    assertThat(root.resolve("no-longer-stored")).doesNotExist();
    assertThat(sha256(Files.readAllBytes(root.resolve("ca.pem/secret"))))
        .isEqualTo("2e5c706aba1f3dca2dc27a5dff660c8e01b18acbf32bd0a424f44eb2b40644db");
    assertThat(sha256(Files.readAllBytes(root.resolve("wireguard-mesh/secret"))))
        .isEqualTo("1d21d81ae4b249070ba68bb1ec594a3c83889d89f1d59d6bcbd3de313fde083c");
    assertThat(Files.readString(root.resolve("wireguard-mesh/public")))
        .isEqualTo("wg-pub \"quoted\" ${notinterpolated} \\ back");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(root.resolve("ca.pem/secret"))))
        .isEqualTo("r--r-----");

    // With a key the secret was not encrypted to, the part is reported and not installed.
    Path other = tmp.resolve("wrong-key/run/secrets");
    Result wrong = activate(fleet, data, other, copyKey(keys.resolve("gamma")), user, group);
    assertThat(wrong.err).contains("cannot install secret ca.pem part secret");
    assertThat(other.resolve("ca.pem/secret")).doesNotExist();
    assertThat(other.resolve("ca.pem/public")).exists();
    try (Stream<Path> left = Files.list(other.resolve("ca.pem"))) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("public");
    }
  }

  /** The activation script of secrets.nix for host alpha, evaluated with a stand-in lib, run. */
  private Result activate(Path fleet, Path data, Path root, Path key, String user, String group)
      throws Exception {
    Result eval =
        run(
            List.of(
                "nix-instantiate",
                "--read-write-mode",
                "--eval",
                "--strict",
                "--json",
                "--argstr",
                "fleetDir",
                fleet.toString(),
                "--argstr",
                "dataFile",
                data.toString(),
                "--argstr",
                "host",
                "alpha",
                "--argstr",
                "secretsDir",
                root.toString(),
                "--argstr",
                "hostKey",
                key.toString(),
                "--argstr",
                "owner",
                user,
                "--argstr",
                "group",
                group,
                Path.of("src/test/resources/nix/secrets-activation.nix")
                    .toAbsolutePath()
                    .toString()),
            null);
    assertThat(eval.exit).as(eval.err).isZero();
    JsonNode out = new ObjectMapper().readTree(eval.out);
    assertThat(out.path("secretPathDefault").asText()).isEqualTo(root + "/x/secret");
    Path script = tmp.resolve("activate-" + root.getParent().getParent().getFileName() + ".sh");
    Files.writeString(script, out.path("activation").asText());
    return run(List.of("bash", script.toString()), null);
  }

  private Path copyKey(Path key) throws IOException {
    Path copy = Files.createTempFile(tmp, "key-" + key.getFileName(), "");
    Files.copy(key, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-------"));
    return copy;
  }

  private int install(
      Path installer,
      Path root,
      Path identity,
      JsonNode secrets,
      String name,
      String part,
      String owner,
      String group,
      String mode)
      throws Exception {
    Path raw = tmp.resolve("raw-" + name + "-" + part);
    Files.writeString(raw, secrets.path(name).path(part).path("raw").asText());
    Result r =
        run(
            List.of(
                "sh",
                installer.toString(),
                root.toString(),
                identity.toString(),
                name,
                part,
                raw.toString(),
                owner,
                group,
                mode),
            null);
    return r.exit;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static final class Result {
    int exit;
    String out;
    String err;
  }

  private static Result run(List<String> cmd, Path dir) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd));
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    Process p = pb.start();
    p.getOutputStream().close();
    // nix's stderr here is a short error at most, so reading stdout first cannot block.
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    Result r = new Result();
    r.exit = p.waitFor();
    r.out = new String(out, StandardCharsets.UTF_8);
    r.err = new String(err, StandardCharsets.UTF_8);
    return r;
  }
}
