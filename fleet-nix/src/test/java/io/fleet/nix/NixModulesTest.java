package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.nix.internal.FleetFlakeSources;
import io.fleet.testkit.ExternalTools;
import io.fleet.testkit.SharedNixTrees;
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
  void underRealNixosTheRollbackModuleInstallsTheBootTimeWatchdog() throws Exception {
    JsonNode out = realNixos();
    assertThat(out.path("drvPath").asText())
        .matches("/nix/store/[0-9a-z]{32}-nixos-system-.*\\.drv");
    JsonNode timer = out.path("timer");
    assertThat(timer.path("wantedBy").toString()).isEqualTo("[\"timers.target\"]");
    assertThat(timer.path("timerConfig").path("OnBootSec").asText()).isEqualTo("600s");
    assertThat(timer.path("unitConfig").path("ConditionPathExists").asText())
        .isEqualTo("/var/lib/fleet/rollback-marker");
    // The unit files NixOS generates: the timer fires the rollback window after boot.
    assertThat(out.path("timerUnit").asText())
        .contains("[Timer]\n")
        .contains("OnBootSec=600s\n")
        .contains("ConditionPathExists=/var/lib/fleet/rollback-marker\n");
    assertThat(out.path("serviceUnit").asText()).contains("ExecStart=").contains("Type=oneshot");
    JsonNode service = out.path("service");
    assertThat(service.path("restartIfChanged").asBoolean(true)).isFalse();
    assertThat(service.path("stopIfChanged").asBoolean(true)).isFalse();
    // flock comes from util-linux (named utillinux in this 2020 nixpkgs).
    assertThat(service.path("path").asText()).contains("-util-linux-").contains("-systemd-");
    assertThat(out.path("tmpfiles").toString()).contains("d /var/lib/fleet 0700 root root -");
    // The script the service runs is the protocol's rollback script, as a plain store file.
    String shell = out.path("runtimeShell").asText();
    String[] exec = service.path("serviceConfig").path("ExecStart").asText().split(" ");
    assertThat(exec).hasSize(2);
    assertThat(exec[0]).isEqualTo(shell);
    assertThat(Files.readString(Path.of(exec[1])))
        .isEqualTo("#!/bin/sh\n" + Files.readString(Path.of("src/main/nix/nixos/rollback.sh")));
    String[] condition = service.path("serviceConfig").path("ExecCondition").asText().split(" ");
    assertThat(Files.readString(Path.of(condition[1]))).contains("sed -n 4p", "boot_id");
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
  void underRealNixosTheSecretsActivationInstallsTheHostsSecretsFromTheFleetData()
      throws Exception {
    ExternalTools.require("age");
    JsonNode out = realNixos();
    Path keys = ExternalTools.testData("fleet-nix/keys");
    String install = out.path("install").asText();
    // The snippet is part of NixOS' activation script.
    assertThat(out.path("activation").asText()).contains(install);
    // What NixOS modules see: the secrets the host owns, with versioned and stable paths.
    JsonNode ca = out.path("secrets").path("ca.pem");
    assertThat(ca.path("shared").asBoolean()).isTrue();
    String caHash = ca.path("secret").path("hash").asText();
    assertThat(ca.path("secret").path("path").asText())
        .isEqualTo(SECRETS_DIR + "/ca.pem/" + caHash + "-secret");
    assertThat(ca.path("secretPath").asText()).isEqualTo(ca.path("secret").path("path").asText());
    assertThat(ca.path("secret").path("stablePath").asText())
        .isEqualTo(SECRETS_DIR + "/ca.pem/secret");
    assertThat(ca.path("public").path("data").asText())
        .isEqualTo("-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n");
    assertThat(out.path("secrets").path("own").path("shared").asBoolean()).isFalse();
    assertThat(out.path("secrets").path("own").path("secretPath").asText())
        .isEqualTo(SECRETS_DIR + "/own/secret");

    // Run the snippet as NixOS would (its shell is not built here: the system's sh stands in).
    String script = install.replace(out.path("runtimeShell").asText(), "/bin/sh");
    Path root = tmp.resolve("alpha/run/secrets");
    Files.createDirectories(root.resolve("no-longer-stored"));
    Files.createDirectories(root.resolve("ca.pem"));
    Files.writeString(
        root.resolve("ca.pem/0000000000000000000000000000000000000000-secret"), "old");
    Result alpha = runScript(script, root, copyKey(keys.resolve("alpha")));
    assertThat(alpha.exit).as(alpha.err).isZero();
    assertThat(alpha.err).doesNotContain("could not be installed");
    assertThat(root.resolve("no-longer-stored")).doesNotExist();
    // The old version of a part goes; this version is at both paths.
    assertThat(root.resolve("ca.pem/0000000000000000000000000000000000000000-secret"))
        .doesNotExist();
    for (String file : List.of("ca.pem/secret", "ca.pem/" + caHash + "-secret")) {
      assertThat(sha256(Files.readAllBytes(root.resolve(file))))
          .isEqualTo("2e5c706aba1f3dca2dc27a5dff660c8e01b18acbf32bd0a424f44eb2b40644db");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(file))))
          .isEqualTo("r--r-----");
    }
    assertThat(sha256(Files.readAllBytes(root.resolve("wireguard-mesh/secret"))))
        .isEqualTo("1d21d81ae4b249070ba68bb1ec594a3c83889d89f1d59d6bcbd3de313fde083c");
    assertThat(Files.readString(root.resolve("wireguard-mesh/public")))
        .isEqualTo("wg-pub \"quoted\" ${notinterpolated} \\ back");

    // With a key the secret was not encrypted to, the part is reported and not installed.
    Path other = tmp.resolve("wrong-key/run/secrets");
    Result wrong = runScript(script, other, copyKey(keys.resolve("gamma")));
    assertThat(wrong.err).contains("cannot install secret ca.pem part secret");
    assertThat(other.resolve("ca.pem/secret")).doesNotExist();
    try (Stream<Path> left = Files.list(other.resolve("ca.pem"))) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "public",
              ca.path("public")
                  .path("path")
                  .asText()
                  .substring(SECRETS_DIR.length() + "/ca.pem/".length()));
    }
  }

  private static final String SECRETS_DIR = "/fleet-test-secrets-dir";
  private static final String HOST_KEY = "/fleet-test-host-key";
  private static JsonNode realNixos;

  /**
   * A real NixOS system of the shared 2020 nixpkgs with fleet-nix's NixOS modules, for host alpha
   * of the shared test data, read back as JSON: one evaluation for the whole class.
   */
  private static synchronized JsonNode realNixos() throws Exception {
    if (realNixos == null) {
      NixTestSupport.requireNix();
      Path fleet = NixEvaluator.writeFleetFlake(Files.createTempDirectory("fleet-nix-modules"));
      String user = run(List.of("id", "-un"), null).out.trim();
      String group = run(List.of("id", "-gn"), null).out.trim();
      Result r =
          run(
              List.of(
                  "nix-instantiate",
                  "--read-write-mode",
                  "--eval",
                  "--strict",
                  "--json",
                  "--option",
                  "substituters",
                  "",
                  "--arg",
                  "nixpkgs",
                  SharedNixTrees.inTarget().tree(SharedNixTrees.NIXPKGS_2020).toString(),
                  "--argstr",
                  "fleetDir",
                  fleet.toString(),
                  "--argstr",
                  "dataFile",
                  ExternalTools.testData("fleet-nix/shared-secrets.fleet.nix").toString(),
                  "--argstr",
                  "host",
                  "alpha",
                  "--argstr",
                  "secretsDir",
                  SECRETS_DIR,
                  "--argstr",
                  "hostKey",
                  HOST_KEY,
                  "--argstr",
                  "owner",
                  user,
                  "--argstr",
                  "group",
                  group,
                  Path.of("src/test/resources/nix/real-nixos-modules.nix")
                      .toAbsolutePath()
                      .toString()),
              null);
      assertThat(r.exit).as(r.err).isZero();
      realNixos = new ObjectMapper().readTree(r.out);
    }
    return realNixos;
  }

  /** Runs the install snippet with its secrets directory and host key pointed at test paths. */
  private Result runScript(String script, Path root, Path key) throws Exception {
    Path file = Files.createTempFile(tmp, "activate-", ".sh");
    Files.writeString(
        file, script.replace(SECRETS_DIR, root.toString()).replace(HOST_KEY, key.toString()));
    return run(List.of("sh", file.toString()), null);
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
