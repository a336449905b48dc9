package io.fleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.FleetJson;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.pipeline.PipelineHostReport;
import io.fleet.api.pipeline.PipelineReport;
import io.fleet.api.pipeline.StageOutcome;
import io.fleet.nix.FleetNixFile;
import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationPlan;
import io.fleet.secrets.RotationStep;
import io.fleet.secrets.age.Age;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every CLI command against {@code --fake} hosts, in this JVM, with its output parsed back. */
class FleetCliTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {
    JsonNode json() {
      try {
        return FleetJson.mapper().readTree(out);
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
      }
    }
  }

  static Run runWithInput(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        FleetCli.run(
            args,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false);
    return new Run(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Run run(String... args) {
    return runWithInput("", args);
  }

  @ParameterizedTest
  @ValueSource(strings = {"upload", "test", "boot", "switch"})
  void deploysEveryActionToFakeHostsAndPrintsTheReportAsJson(String action) {
    Run r = run("--fake", "4", "deploy", action, "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.OK);
    DeploymentReport report = DeploymentReport.fromJson(r.out());
    assertThat(report.action().name()).isEqualToIgnoringCase(action);
    assertThat(report.hosts())
        .extracting(HostReport::host)
        .containsExactly("db-1", "web-1", "web-2", "web-3");
    HostOutcome expected = action.equals("upload") ? HostOutcome.UPLOADED : HostOutcome.CONFIRMED;
    assertThat(report.hosts()).extracting(HostReport::outcome).containsOnly(expected);
    // Piped (not a terminal): one plain progress line per host step on stderr.
    assertThat(r.err()).contains("web-1: preflight ...", "web-1: " + expected);
  }

  @Test
  void aFailedActivationIsRolledBackAndExitsOne() {
    Run r =
        run(
            "--fake",
            "3",
            "deploy",
            "switch",
            "--json",
            "--fake-fail-activation",
            "web-2",
            "--canary",
            "1");
    assertThat(r.exit()).isEqualTo(ExitCode.FAILED_HOSTS);
    DeploymentReport report = DeploymentReport.fromJson(r.out());
    assertThat(report.host("web-2").outcome()).isEqualTo(HostOutcome.ROLLED_BACK);
    assertThat(report.host("web-1").outcome()).isEqualTo(HostOutcome.CONFIRMED);
    assertThat(r.err()).contains("web-2: activate failed", "web-2: ROLLED_BACK");
  }

  @Test
  void pipelineDeploysEachHostWhenItIsBuiltAndPrintsThePipelineReport() {
    Run r = run("--fake", "4", "deploy", "switch", "--pipeline", "--json", "--on", "@web");
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.OK);
    PipelineReport report = PipelineReport.fromJson(r.out());
    assertThat(report.hosts())
        .extracting(PipelineHostReport::host)
        .containsExactlyInAnyOrder("web-1", "web-2", "web-3");
    for (PipelineHostReport h : report.hosts()) {
      assertThat(h.build().outcome()).isEqualTo(StageOutcome.SUCCEEDED);
      assertThat(h.hostReport().orElseThrow().outcome()).isEqualTo(HostOutcome.CONFIRMED);
    }
    assertThat(r.err())
        .contains(
            "web-1: build ...", "web-1: build done", "web-1: preflight ...", "web-1: CONFIRMED");

    Run failed =
        run("--fake", "3", "deploy", "switch", "--pipeline", "--fake-fail-activation", "web-2");
    assertThat(failed.exit()).as(failed.err()).isEqualTo(ExitCode.FAILED_HOSTS);
    assertThat(failed.out()).contains("HOST", "BUILD", "web-2", "ROLLED_BACK", "failed at DEPLOY");

    Run batches = run("--fake", "3", "deploy", "switch", "--pipeline", "--batch-size", "2");
    assertThat(batches.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(batches.err()).contains("--batch-size does not apply to --pipeline");
  }

  @Test
  void buildOnTargetBuildsOnTheHostsWithAndWithoutThePipeline() {
    Run r = run("--fake", "2", "deploy", "switch", "--build-on-target", "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.OK);
    DeploymentReport report = DeploymentReport.fromJson(r.out());
    for (HostReport h : report.hosts()) {
      assertThat(h.outcome()).isEqualTo(HostOutcome.CONFIRMED);
      assertThat(h.stepTimes()).containsKey(DeployStep.BUILD);
      assertThat(h.copiedPaths()).allMatch(p -> p.endsWith(".drv") || p.endsWith(".sh"));
    }
    assertThat(r.err()).contains("web-1: build ...");

    Run p = run("--fake", "2", "deploy", "switch", "--build-on-target", "--pipeline", "--json");
    assertThat(p.exit()).as(p.err()).isEqualTo(ExitCode.OK);
    for (PipelineHostReport h : PipelineReport.fromJson(p.out()).hosts()) {
      assertThat(h.hostReport().orElseThrow().stepTimes()).containsKey(DeployStep.BUILD);
      assertThat(h.build().message().orElse("")).contains("built on the host");
    }
  }

  @Test
  void selectsHostsByNameTagAndGlobAndSkips() {
    Run r = run("--fake", "6", "deploy", "switch", "--json", "--on", "@db,web-1", "--skip", "db-2");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(DeploymentReport.fromJson(r.out()).hosts())
        .extracting(HostReport::host)
        .containsExactly("db-1", "web-1");

    JsonNode info = run("--fake", "6", "info", "--json", "--on", "web-*", "--skip", "web-2").json();
    assertThat(names(info.get("hosts"))).containsExactly("web-1", "web-3", "web-4");
  }

  @Test
  void onATerminalProgressIsABarRedrawnInPlace() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        FleetCli.run(
            new String[] {"--fake", "3", "deploy", "switch"},
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            true);
    assertThat(exit).isZero();
    String bar = err.toString(StandardCharsets.UTF_8);
    assertThat(bar).contains("\r[", "] 3/3 hosts").doesNotContain("web-1: preflight");
    assertThat(bar).endsWith("\n");
  }

  @Test
  void textOutputIsATable() {
    Run r = run("--fake", "2", "deploy", "switch");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("HOST", "OUTCOME", "web-1", "CONFIRMED", "1->2");
  }

  @Test
  void disableRollbackLeavesAFailedHostOnTheNewGeneration() throws Exception {
    Run r =
        run(
            "--fake",
            "2",
            "deploy",
            "switch",
            "--json",
            "--disable-rollback",
            "--fake-fail-activation",
            "web-1");
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.FAILED_HOSTS);
    DeploymentReport report = DeploymentReport.fromJson(r.out());
    assertThat(report.rollback()).isFalse();
    assertThat(r.json().get("rollback").asBoolean(true)).isFalse();
    HostReport failed = report.host("web-1");
    assertThat(failed.outcome()).isEqualTo(HostOutcome.FAILED);
    assertThat(failed.rolledBackBy()).isEmpty();
    assertThat(failed.generationBefore()).hasValue(1L);
    assertThat(failed.generationAfter()).hasValue(2L);
    assertThat(failed.systemAfter()).hasValue(failed.system());
    assertThat(failed.error()).hasValueSatisfying(e -> assertThat(e).contains("not rolled back"));
    assertThat(report.host("db-1").outcome()).isEqualTo(HostOutcome.CONFIRMED);
    Run text = run("--fake", "1", "deploy", "switch", "--disable-rollback");
    assertThat(text.exit()).as(text.err()).isZero();
    assertThat(text.out()).contains("rollback disabled", "CONFIRMED");
  }

  @Test
  void buildSystemsPrintsEachHostsStorePath() {
    Run r = run("--fake", "3", "build-systems", "--json", "--on", "@web");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode systems = r.json();
    assertThat(names(systems)).containsExactly("web-1", "web-2");
    assertThat(systems.get("web-1").asText()).startsWith("/nix/store/").contains("web-1");
    Run text = run("--fake", "3", "build-systems", "--on", "db-1");
    assertThat(text.out().trim()).startsWith("db-1 /nix/store/");
  }

  @Test
  void infoJsonDescribesTheFleet() {
    JsonNode info = run("--fake", "3", "info", "--json").json();
    assertThat(info.get("fleet").asText()).isEqualTo("example");
    assertThat(names(info.get("hosts"))).containsExactly("db-1", "web-1", "web-2");
    assertThat(info.at("/hosts/db-1/tags").toString()).contains("\"db\"");
    assertThat(info.at("/hosts/web-1/secrets/0").asText()).isEqualTo("wireguard-wg0");
    assertThat(info.at("/sharedSecrets/db-password/owners").toString())
        .isEqualTo("[\"db-1\",\"web-1\"]");
  }

  @Test
  void secretsRegenerateListAndReadOnFakeHosts() throws Exception {
    Path data = dir.resolve("fleet.nix");
    Run regen = run("--fake", "3", "--data", data.toString(), "secrets", "regenerate", "--json");
    assertThat(regen.exit()).as(regen.err()).isZero();
    RotationPlan plan = RotationPlan.fromJson(regen.out());
    assertThat(plan.steps()).extracting(RotationStep::action).containsOnly(RotationAction.GENERATE);
    assertThat(plan.shared("db-password")).isPresent();
    assertThat(FleetNixFile.at(data).load().sharedSecret("db-password")).isPresent();

    JsonNode list = run("--fake", "3", "secrets", "list", "--json").json();
    List<String> listed = new ArrayList<>();
    list.forEach(
        n ->
            listed.add(
                (n.has("host") ? n.get("host").asText() + "/" : "")
                    + n.get("name").asText()
                    + "="
                    + n.get("state").asText()));
    assertThat(listed)
        .containsExactly(
            "db-1/wireguard-wg0=stored",
            "web-1/wireguard-wg0=stored",
            "web-2/wireguard-wg0=stored",
            "db-password=stored");

    // Without --identity the secret is decrypted on an owner host, with its host key.
    Run read = run("--fake", "3", "secrets", "read", "db-password");
    assertThat(read.exit()).as(read.err()).isZero();
    assertThat(read.out()).hasSize(32).matches("[A-Za-z0-9]+");
  }

  @Test
  void addReadUpdateSharedAndPruneAcrossRunsWithAnOperatorIdentity() throws Exception {
    Path data = dir.resolve("fleet.nix");
    Path key = dir.resolve("operator.key");
    Files.writeString(key, Age.generateIdentity());
    String[] base = {"--fake", "3", "--data", data.toString(), "--identity", key.toString()};

    assertThat(
            runWithInput("s3cret-token", cat(base, "secrets", "add", "api-token", "--on", "web-2"))
                .exit())
        .isZero();
    Run read = run(cat(base, "secrets", "read", "api-token", "--on", "web-2"));
    assertThat(read.exit()).as(read.err()).isZero();
    assertThat(read.out()).isEqualTo("s3cret-token");
    Run again = runWithInput("x", cat(base, "secrets", "add", "api-token", "--on", "web-2"));
    assertThat(again.exit()).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(again.err()).contains("already has secret", "--force");

    assertThat(
            runWithInput("hunter2", cat(base, "secrets", "add-shared", "ldap", "--on", "@web"))
                .exit())
        .isZero();
    assertThat(FleetNixFile.at(data).load().sharedSecret("ldap").get().owners())
        .containsExactly("web-1", "web-2");
    Run update = run(cat(base, "secrets", "update-shared", "ldap", "--on", "db-1,web-1"));
    assertThat(update.exit()).as(update.err()).isZero();
    assertThat(FleetNixFile.at(data).load().sharedSecret("ldap").get().owners())
        .containsExactly("db-1", "web-1");
    assertThat(run(cat(base, "secrets", "read", "ldap")).out()).isEqualTo("hunter2");

    // api-token and ldap are not declared by the fleet: prune removes them.
    Run dry = run(cat(base, "secrets", "prune", "--dry-run", "--json"));
    assertThat(RotationPlan.fromJson(dry.out()).steps())
        .extracting(RotationStep::id)
        .containsExactlyInAnyOrder("host/web-2/api-token", "shared/ldap");
    assertThat(FleetNixFile.at(data).load().sharedSecret("ldap")).isPresent();
    assertThat(run(cat(base, "secrets", "prune")).exit()).isZero();
    assertThat(FleetNixFile.at(data).load().sharedSecret("ldap")).isEmpty();
    assertThat(FleetNixFile.at(data).load().hostSecret("web-2", "api-token")).isEmpty();
    assertThat(FleetNixFile.at(data).load().sharedSecret("db-password")).isPresent();
    // No plaintext in the data file.
    assertThat(Files.readString(data)).doesNotContain("hunter2", "s3cret-token");
  }

  @Test
  void anUnknownHostIsBadInputAndNamesTheHosts() {
    Run r = run("--fake", "3", "deploy", "switch", "--on", "web-9");
    assertThat(r.exit()).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(r.err()).startsWith("fleet: ").contains("web-9", "web-1");
    assertThat(run("--fake", "3", "secrets", "read", "nope").exit()).isEqualTo(ExitCode.BAD_INPUT);
  }

  @Test
  void aMissingDataFileIsBadInputAndIsNotCreated() {
    Path missing = dir.resolve("nope/fleet.nix");
    for (String[] cmd :
        List.of(
            new String[] {"secrets", "list"},
            new String[] {"info"},
            new String[] {"deploy", "switch"},
            new String[] {"secrets", "prune"})) {
      Run r = run(cat(new String[] {"--fake", "2", "--data", missing.toString()}, cmd));
      assertThat(r.exit()).as(String.join(" ", cmd) + ": " + r.err()).isEqualTo(ExitCode.BAD_INPUT);
      assertThat(r.err()).contains(missing.toString(), "does not exist");
    }
    Path other = dir.resolve("fleet.nix");
    Run r = run("--fake", "2", "--data", other.toString(), "secrets", "list");
    assertThat(r.exit()).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(other).doesNotExist();
  }

  @Test
  void malformedFlakePathsAreBadInputBeforeNixRuns() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("not-a-flake"));
    for (String flake :
        List.of(
            dir.resolve("missing").toString(),
            "path:" + empty,
            empty + "#",
            empty + "#bad name",
            "",
            "path:")) {
      Run r = run("--fleet", flake, "info");
      assertThat(r.exit()).as(flake + ": " + r.err()).isEqualTo(ExitCode.BAD_INPUT);
      assertThat(r.err()).startsWith("fleet: --fleet");
    }
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run("--fake", "2", "deploy", "sideways").exit()).isEqualTo(ExitCode.USAGE);
    assertThat(run("--fake", "two", "info").exit()).isEqualTo(ExitCode.USAGE);
    assertThat(run("--fake", "2", "--fleet", ".", "info").exit()).isEqualTo(ExitCode.USAGE);
    assertThat(run("--fake", "0", "info").exit()).isEqualTo(ExitCode.BAD_INPUT);
    Run help = run("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("Exit codes:", "deploy", "secrets", "build-systems", "info");
  }

  private static List<String> names(JsonNode object) {
    List<String> n = new ArrayList<>();
    object.fieldNames().forEachRemaining(n::add);
    return n.stream().sorted().collect(Collectors.toList());
  }

  private static String[] cat(String[] a, String... b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
