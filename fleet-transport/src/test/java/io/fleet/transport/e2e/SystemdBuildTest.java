package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.data.FleetData;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.ExternalTools;
import io.fleet.transport.Deployer;
import io.fleet.transport.SshTransport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nix's distributed builds against a real host with its own nix store ({@link SystemdHost}: Debian
 * 12 under systemd-nspawn, sshd, Debian's nix 2.8, its own {@code /nix}): building on the target
 * (the controller's nix only evaluates; the host realises the copied derivation) and the
 * controller's nix using the host as a remote builder ({@code ssh-ng://}, {@code nix-daemon
 * --stdio} there). The derivations read {@code /var/lib/fleet-test/build-marker}, a file only the
 * container has, so a build that ran here would fail or differ.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdBuildTest {
  @TempDir static Path tmp;

  private static final String NONCE =
      UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private static final String MARKER = "built-in-the-container-" + NONCE;

  private static SystemdHost host;
  private static Path flake;
  private static String v1;
  private static SshTransport ssh;
  private static NixEvaluator nix;

  @BeforeAll
  static void setUp() throws Exception {
    SystemdHost.rootTree();
    Path base = SystemFlake.write(tmp);
    String text = Files.readString(base.resolve("flake.nix"));
    String extra =
        String.join(
            "\n",
            "          v3 = version \"v3\" 768;",
            "          ontarget = version \"ontarget-" + NONCE + "\" 16;",
            "          broken = builtins.derivation {",
            "            name = \"fleet-test-system-broken-" + NONCE + "\";",
            "            inherit system;",
            "            builder = \"/bin/sh\";",
            "            args = [ \"-c\" \"echo compiling the broken system;"
                + " echo 'error: the broken system does not build (test)' >&2; exit 3\" ];",
            "          };",
            "          remote = builtins.derivation {",
            "            name = \"fleet-test-remote-" + NONCE + "\";",
            "            inherit system;",
            "            builder = \"/bin/sh\";",
            "            args = [ \"-c\" \"/bin/mkdir $out && /bin/cat /var/lib/fleet-test/build-marker"
                + " > $out/built-on\" ];",
            "          };");
    text =
        text.replace("          v3 = version \"v3\" 768;", extra)
            .replace(
                "echo ${v} > $out/version\n",
                "echo ${v} > $out/version\n"
                    + "                /bin/cat /var/lib/fleet-test/build-marker > $out/built-on"
                    + " 2>/dev/null || true\n");
    assertThat(text).contains("ontarget").contains("$out/built-on 2>/dev/null");
    flake = Files.createDirectories(tmp.resolve("build-flake"));
    Files.writeString(flake.resolve("flake.nix"), text);
    v1 = SystemFlake.build(flake, "v1").get("v1");
    host = SystemdHost.start("bt1");
    host.installSystem(v1);
    host.control("build-marker", MARKER);
    ssh =
        SshTransport.builder()
            .pinnedHostKeys(FleetData.empty().withHostKey(host.name(), host.hostKeyLine()))
            .identityFile(SshdHost.clientKey())
            .noSshAgent()
            .connectTimeout(Duration.ofSeconds(3))
            .build();
    nix = NixEvaluator.builder().option("substituters", "").option("flake-registry", "").build();
  }

  @AfterAll
  static void tearDown() {
    if (ssh != null) {
      ssh.close();
    }
    if (nix != null) {
      nix.close();
    }
    if (host != null) {
      host.close();
    }
  }

  private static Fleet fleet(String attribute) {
    return Fleet.builder()
        .host(
            host.name(),
            h ->
                h.system(SystemFlake.nixSystem())
                    .target(host.target("root"))
                    .systemAttribute("path:" + flake + "#" + SystemFlake.attribute(attribute)))
        .build();
  }

  private static boolean validHere(String path) {
    return SshdHost.runProcess(List.of("nix-store", "--check-validity", path), null).isSuccess();
  }

  @Test
  @Order(1)
  void buildOnTargetRealisesTheCopiedDerivationInTheContainerThenActivatesAndConfirms() {
    List<DeploymentEvent> events = new CopyOnWriteArrayList<>();
    Deployer deployer =
        Deployer.builder().transport(ssh).evaluator(nix).listener(events::add).build();
    long t0 = System.nanoTime();
    DeploymentPlan plan = deployer.plan(fleet("ontarget")).buildOnTarget(true).build();
    String system = plan.systems().get(host.name());
    String drv = plan.derivations().get(host.name());
    assertThat(drv).endsWith(".drv");
    assertThat(plan.closureOf(host.name()))
        .extracting(StorePathInfo::path)
        .contains(drv)
        .doesNotContain(system);
    // The controller evaluated only: the system is not in this machine's store.
    assertThat(validHere(system)).as("built here?").isFalse();

    DeploymentReport report = deployer.execute(plan);
    long ms = (System.nanoTime() - t0) / 1_000_000;

    HostReport r = report.host(host.name());
    assertThat(r.outcome())
        .as(r.error().orElse("") + "\n" + host.journal())
        .isEqualTo(HostOutcome.CONFIRMED);
    assertThat(r.copiedPaths())
        .allMatch(p -> p.endsWith(".drv") || !p.contains("fleet-test-system"));
    assertThat(r.copiedPaths()).contains(drv).doesNotContain(system);
    // Built there: valid in the container's store, with the container's marker; still not here.
    CommandResult valid = host.exec("nix-store", "--check-validity", system);
    assertThat(valid.isSuccess()).as(valid.stderrText()).isTrue();
    assertThat(host.exec("cat", system + "/built-on").stdoutText().trim()).isEqualTo(MARKER);
    assertThat(validHere(system)).isFalse();
    assertThat(Files.exists(Path.of(system))).isFalse();
    assertThat(host.currentSystem()).contains(system);
    assertThat(host.systemProfile()).contains(system);
    assertThat(host.hasMarker()).isFalse();
    assertThat(
            events.stream()
                .filter(e -> e.kind() == DeploymentEvent.Kind.STEP_STARTED)
                .map(e -> e.step().orElseThrow()))
        .containsExactly(
            DeployStep.PREFLIGHT,
            DeployStep.COPY,
            DeployStep.BUILD,
            DeployStep.ARM,
            DeployStep.ACTIVATE,
            DeployStep.CHECK,
            DeployStep.CONFIRM);
    System.out.printf(
        "e2e figures: build on target (plan + copy %d drv paths + realise + switch) %d ms;"
            + " build step %d ms%n",
        r.copiedPaths().size(), ms, r.stepTimes().get(DeployStep.BUILD).toMillis());
  }

  @Test
  @Order(2)
  void aDerivationThatFailsToBuildEndsTheHostFailedWithTheBuildOutputAndNothingArmed() {
    Deployer deployer = Deployer.builder().transport(ssh).evaluator(nix).build();
    int generation = host.systemGeneration();
    String current = host.currentSystem().orElseThrow();
    DeploymentPlan plan = deployer.plan(fleet("broken")).buildOnTarget(true).build();
    String drv = plan.derivations().get(host.name());

    HostReport r = deployer.execute(plan).host(host.name());

    assertThat(r.outcome()).isEqualTo(HostOutcome.FAILED);
    assertThat(r.failedStep()).contains(DeployStep.BUILD);
    assertThat(r.error().orElseThrow())
        .contains("building the system derivation " + drv + " on " + host.name() + " failed")
        .contains("the broken system does not build (test)")
        .contains("nothing was activated");
    assertThat(r.buildOutput().orElseThrow())
        .contains("compiling the broken system")
        .contains("builder for '" + drv + "' failed");
    assertThat(host.hasMarker()).isFalse();
    assertThat(host.isActive("fleet-rollback-watchdog.timer")).isNotEqualTo("active");
    assertThat(host.systemGeneration()).isEqualTo(generation);
    assertThat(host.currentSystem()).contains(current);
  }

  @Test
  @Order(3)
  void theControllersNixBuildsOnTheContainerAsARemoteBuilderAndCopiesTheOutputBack()
      throws Exception {
    Path realNix = ExternalTools.require("nix");
    // The port and the pinned key's name: nix 2.8 takes no port in the store URI, and pins the
    // key under the bare host name, so ssh must look it up under that name (HostKeyAlias). No
    // ssh config of this machine is read (-F /dev/null) or written.
    Path wrapper = tmp.resolve("bin/nix");
    Files.createDirectories(wrapper.getParent());
    Files.writeString(
        wrapper,
        "#!/bin/sh\nNIX_SSHOPTS='-F /dev/null -p "
            + host.port()
            + " -o HostKeyAlias=127.0.0.1 -o StrictHostKeyChecking=yes -o BatchMode=yes'\n"
            + "export NIX_SSHOPTS\nexec '"
            + realNix
            + "' \"$@\"\n");
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    String key =
        Base64.getEncoder().encodeToString(host.hostKeyLine().getBytes(StandardCharsets.UTF_8));
    String spec =
        "ssh-ng://root@127.0.0.1?ssh-key="
            + SshdHost.clientKey()
            + "&base64-ssh-public-host-key="
            + key
            + " "
            + SystemFlake.nixSystem()
            + " - 2";
    Fleet fleet = fleet("remote");
    long t0 = System.nanoTime();
    Map<String, String> built;
    try (NixEvaluator remote =
        NixEvaluator.builder()
            .nixBinary(wrapper.toString())
            .option("substituters", "")
            .option("flake-registry", "")
            .option("max-jobs", "0")
            .builders(spec)
            .build()) {
      built = remote.build(fleet, List.of(host.name()), BuildListener.NONE);
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    String out = built.get(host.name());
    // Here now (copied back), built there: the marker exists only in the container.
    assertThat(validHere(out)).isTrue();
    assertThat(Files.readString(Path.of(out, "built-on")).trim()).isEqualTo(MARKER);
    assertThat(Files.exists(Path.of(SystemdHost.CONTROL, "build-marker"))).isFalse();
    assertThat(host.exec("nix-store", "--check-validity", out).isSuccess()).isTrue();
    System.out.printf("e2e figures: remote build on the container over ssh-ng %d ms%n", ms);
  }

  @Test
  @Order(4)
  void aRemoteBuilderWhoseHostKeyIsNotThePinnedOneIsRefused() throws Exception {
    Path wrapper = tmp.resolve("bin/nix");
    Path other = SshdHost.generateKey(tmp.resolve("other-key"), "someone-else");
    String wrong =
        Base64.getEncoder()
            .encodeToString(
                Files.readString(Path.of(other + ".pub")).trim().getBytes(StandardCharsets.UTF_8));
    String spec =
        "ssh-ng://root@127.0.0.1?ssh-key="
            + SshdHost.clientKey()
            + "&base64-ssh-public-host-key="
            + wrong
            + " "
            + SystemFlake.nixSystem()
            + " - 2";
    // A derivation new to both stores, so nothing is already built.
    String attr = "remote";
    Files.writeString(
        flake.resolve("flake.nix"),
        Files.readString(flake.resolve("flake.nix"))
            .replace("fleet-test-remote-", "fleet-test-remote-2-"));
    try (NixEvaluator remote =
        NixEvaluator.builder()
            .nixBinary(wrapper.toString())
            .option("substituters", "")
            .option("flake-registry", "")
            .option("max-jobs", "0")
            .builders(spec)
            .build()) {
      assertThatThrownBy(() -> remote.build(fleet(attr), List.of(host.name()), BuildListener.NONE))
          .isInstanceOf(EvaluationException.class)
          .satisfies(
              e ->
                  assertThat(((EvaluationException) e).stderr())
                      .contains("Host key verification failed")
                      .contains("cannot build on 'ssh-ng://root@127.0.0.1"))
          .hasMessageContaining(host.name());
    }
  }
}
