package io.fleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.examples.ProcessRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's main in a new JVM: real process exit codes, quiet logging, JSON on stdout only. */
class FleetCliProcessTest {
  static ProcessRun cli(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                ProcessRun.jdkTool("java"),
                "-cp",
                ProcessRun.moduleClassPath(),
                FleetCli.class.getName()));
    cmd.addAll(List.of(args));
    return ProcessRun.run(cmd, Map.of(), 120);
  }

  @Test
  void exitCodesReachTheShell() {
    ProcessRun ok = cli("--fake", "3", "deploy", "switch", "--json");
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(DeploymentReport.fromJson(ok.out()).hostsWith(HostOutcome.CONFIRMED)).hasSize(3);
    assertThat(ok.err()).doesNotContain("SLF4J", "INFO", "WARN");

    ProcessRun failed = cli("--fake", "3", "deploy", "test", "--fake-fail-activation", "db-1");
    assertThat(failed.exit()).isEqualTo(ExitCode.FAILED_HOSTS);

    ProcessRun unknown = cli("--fake", "3", "info", "--on", "db-7");
    assertThat(unknown.exit()).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(unknown.err()).contains("fleet: ", "db-7");

    assertThat(cli("--fake", "3", "deploy", "--bogus").exit()).isEqualTo(ExitCode.USAGE);
  }

  @Test
  void loggingIsQuietByDefaultAndVerboseRaisesIt() {
    ProcessRun quiet = cli("--fake", "2", "secrets", "regenerate");
    assertThat(quiet.exit()).as(quiet.err()).isZero();
    assertThat(quiet.err()).doesNotContain("INFO", "SLF4J");
    ProcessRun verbose = cli("--fake", "2", "-v", "secrets", "regenerate");
    assertThat(verbose.exit()).isZero();
    assertThat(verbose.err()).contains("INFO SecretRotation - recorded the key of host web-1");
  }
}
