package io.fleet.examples.cli;

import static io.fleet.examples.cli.FleetCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.exec.ExecHostResult;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.examples.cli.FleetCliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fleet exec} on {@code --fake} hosts (see {@link FakeShell} for what they can run). */
class FleetCliExecTest {
  @TempDir Path dir;

  @Test
  void runsOnTheSelectedHostsAndPrintsTheReportAsJson() {
    Run r =
        run("--fake", "6", "exec", "--on", "@web", "--skip", "web-2", "--json", "--", "hostname");
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.OK);
    ExecReport report = ExecReport.fromJson(r.out());
    assertThat(report.hostNames()).containsExactly("web-1", "web-3", "web-4");
    assertThat(report.hosts())
        .extracting(ExecHostResult::outcome)
        .containsOnly(ExecOutcome.SUCCESS);
    assertThat(report.host("web-3").stdoutTail()).isEqualTo("web-3\n");
    assertThat(report.host("web-3").exitCode()).contains(0);
    assertThat(report.argv()).containsExactly("hostname");
    // Progress: one line per finished host on stderr, none of it on stdout.
    assertThat(r.err()).contains("web-1: SUCCESS (exit 0", "[3/3]");
    assertThat(r.err()).doesNotContain("db-1");
  }

  @Test
  void globsAndNamesSelectAndTextOutputPrefixesEachHostsLines() {
    Run r = run("--fake", "6", "exec", "--on", "db-*,web-1", "--", "echo", "hello", "there");
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.OK);
    assertThat(r.out())
        .contains("db-1 | hello there\n", "db-2 | hello there\n", "web-1 | hello there\n")
        .contains("exec on 3 host(s)")
        .doesNotContain("web-2");
  }

  @Test
  void aNonZeroExitOnOneHostExitsOneAndIsInTheReport() throws Exception {
    Path script = Files.writeString(dir.resolve("check.sh"), "echo checking $1\nexit $2\n");
    Run r =
        run(
            "--fake",
            "3",
            "exec",
            "--on",
            "web-2",
            "--json",
            "--script",
            script.toString(),
            "x",
            "3");
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.FAILED_HOSTS);
    ExecHostResult h = ExecReport.fromJson(r.out()).host("web-2");
    assertThat(h.outcome()).isEqualTo(ExecOutcome.NONZERO_EXIT);
    assertThat(h.exitCode()).contains(3);
    assertThat(h.stdoutTail()).isEqualTo("checking x\n");
    assertThat(r.err()).contains("web-2: NONZERO_EXIT (exit 3)");

    Run mixed = run("--fake", "3", "exec", "--sudo", "--", "whoami");
    assertThat(mixed.exit()).as(mixed.err()).isEqualTo(ExitCode.OK);
    assertThat(mixed.out()).contains("web-1 | root");
    Run missing = run("--fake", "3", "exec", "--", "frobnicate");
    assertThat(missing.exit()).isEqualTo(ExitCode.FAILED_HOSTS);
    assertThat(missing.out())
        .contains("web-1: ERROR", "does not understand the command timeout", "frobnicate");
  }

  @Test
  void anUnreachableHostExitsFiveWhileTheOthersRun() {
    Run r =
        run(
            "--fake",
            "3",
            "exec",
            "--fake-unreachable",
            "db-1",
            "--json",
            "--timeout",
            "10s",
            "--",
            "true");
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.TRANSPORT);
    ExecReport report = ExecReport.fromJson(r.out());
    assertThat(report.host("db-1").outcome()).isEqualTo(ExecOutcome.UNREACHABLE);
    assertThat(report.host("web-1").outcome()).isEqualTo(ExecOutcome.SUCCESS);
    assertThat(report.host("web-2").outcome()).isEqualTo(ExecOutcome.SUCCESS);
    assertThat(report.timeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aCommandPastTheTimeoutIsStoppedAndReportedTimeout() {
    long t = System.nanoTime();
    Run r =
        run(
            "--fake",
            "3",
            "exec",
            "--timeout",
            "300ms",
            "--parallelism",
            "3",
            "--json",
            "--",
            "sleep",
            "20");
    long ms = (System.nanoTime() - t) / 1_000_000;
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.FAILED_HOSTS);
    ExecReport report = ExecReport.fromJson(r.out());
    assertThat(report.hosts())
        .extracting(ExecHostResult::outcome)
        .containsOnly(ExecOutcome.TIMEOUT);
    assertThat(report.parallelism()).isEqualTo(3);
    assertThat(ms).as("stopped at the limit, not after 20 s").isLessThan(10_000);
  }

  @Test
  void badUsageExitsTwo() {
    Run none = run("--fake", "3", "exec", "--on", "@web");
    assertThat(none.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(none.err()).contains("fleet: exec needs a command");
    Run badTimeout = run("--fake", "3", "exec", "--timeout", "soon", "--", "true");
    assertThat(badTimeout.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(badTimeout.err()).contains("'soon' is not a duration");
    Run zero = run("--fake", "3", "exec", "--parallelism", "0", "--", "true");
    assertThat(zero.exit()).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(zero.err()).contains("parallelism must be at least 1");
    Run noHost = run("--fake", "3", "exec", "--on", "@nope", "--", "true");
    assertThat(noHost.exit()).isEqualTo(ExitCode.BAD_INPUT);
    Run noScript = run("--fake", "3", "exec", "--script", dir.resolve("missing.sh").toString());
    assertThat(noScript.exit()).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(noScript.err()).contains("cannot read --script");
    Run help = run("help", "exec");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("--timeout", "--script", "--sudo", "Exit 0 if every host");
  }
}
