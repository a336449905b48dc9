package io.fleet.examples.cli;

import io.fleet.api.Host;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.transport.Deployer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code deploy upload|test|boot|switch}: builds the selected hosts' systems and deploys them. */
@Command(
    name = "deploy",
    description = "Build the selected hosts' systems and deploy them.",
    subcommands = {
      DeployCommand.Upload.class,
      DeployCommand.Test.class,
      DeployCommand.Boot.class,
      DeployCommand.Switch.class
    })
final class DeployCommand {
  @ParentCommand FleetCli cli;

  /** The options and the run shared by the four actions. */
  abstract static class Action implements Callable<Integer> {
    @ParentCommand DeployCommand deploy;

    @Option(
        names = "--disable-rollback",
        description =
            "Deploy without automatic rollback: no watchdog stays armed, and a host whose"
                + " activation or health check fails stays on the new generation and is reported"
                + " FAILED (exit 1).")
    boolean disableRollback;

    @Option(
        names = "--canary",
        paramLabel = "N",
        description = "Deploy N hosts first, alone; stop if one of them fails (default 0).")
    int canary;

    @Option(
        names = "--batch-size",
        paramLabel = "N",
        description = "Hosts per batch after the canaries (default: all).")
    Integer batchSize;

    @Option(
        names = "--parallel",
        paramLabel = "N",
        description = "Hosts deployed at the same time (default 10).")
    int parallel = 10;

    @Option(
        names = "--stop-on-failure",
        description = "Start no more hosts once one fails (default: keep going).")
    boolean stopOnFailure;

    @Option(
        names = "--health-check",
        paramLabel = "COMMAND",
        description =
            "A command run on each host after activation; the host is rolled back if it fails"
                + " (unless --disable-rollback).")
    List<String> healthChecks = new ArrayList<>();

    @Option(
        names = "--build-on-target",
        description =
            "Build each system on its own host: this machine only evaluates, copies the"
                + " derivations the host lacks, and the host runs nix-store --realise before the"
                + " activation.")
    boolean buildOnTarget;

    @Option(
        names = "--pipeline",
        description =
            "Deploy each host as soon as its own system is built, instead of after every build"
                + " (--parallel bounds the deployments, --stop-on-failure stops the fleet at the"
                + " first failure; --batch-size does not apply).")
    boolean pipeline;

    @Option(
        names = "--fake-fail-activation",
        paramLabel = "HOST",
        split = ",",
        description = "With --fake: these hosts' new system fails to activate (to see a rollback).")
    List<String> failActivation = new ArrayList<>();

    abstract DeployAction action();

    @Override
    public Integer call() {
      FleetCli cli = deploy.cli;
      try (Session s = pipeline ? Session.openUnevaluated(cli) : Session.open(cli)) {
        if (!failActivation.isEmpty()) {
          if (s.fake.isEmpty()) {
            throw new FleetCli.UsageException("--fake-fail-activation needs --fake");
          }
          for (String h : failActivation) {
            s.fake.get().host(h).failNextActivation();
          }
        }
        s.requireDataFile();
        if (pipeline) {
          return PipelineDeploy.run(s, this, action());
        }
        List<Host> hosts = s.selected();
        Deployer deployer =
            s.deployer()
                .listener(new Progress(cli.err, cli.terminal && !cli.json, hosts.size()))
                .build();
        Deployer.Planner planner =
            deployer
                .plan(s.fleet)
                .action(action())
                .canary(canary)
                .parallelism(parallel)
                .keepGoing(!stopOnFailure)
                .rollback(!disableRollback)
                .buildOnTarget(buildOnTarget);
        if (batchSize != null) {
          planner.batchSize(batchSize);
        }
        for (Host h : hosts) {
          planner.select(h.name());
        }
        for (String c : healthChecks) {
          planner.healthCheck(io.fleet.api.deploy.HealthCheck.command("sh", "-c", c));
        }
        DeploymentPlan plan = planner.build();
        DeploymentReport report = deployer.execute(plan);
        print(cli, report);
        return exitCode(report);
      }
    }
  }

  static int exitCode(DeploymentReport report) {
    return exitCode(report.hosts().stream().map(HostReport::outcome), report.isSuccess());
  }

  /**
   * The exit code of a deployment whose hosts ended with {@code outcomes}: a host whose rollback
   * failed or is pending needs an operator; otherwise any failure is a failed host.
   */
  static int exitCode(Stream<HostOutcome> outcomes, boolean success) {
    if (outcomes.anyMatch(
        o -> o == HostOutcome.ROLLBACK_FAILED || o == HostOutcome.ROLLBACK_PENDING)) {
      return ExitCode.NEEDS_OPERATOR;
    }
    return success ? ExitCode.OK : ExitCode.FAILED_HOSTS;
  }

  private static void print(FleetCli cli, DeploymentReport report) {
    PrintStream out = cli.out;
    if (cli.json) {
      out.println(report.toJson());
      return;
    }
    out.println(report.summary());
    out.printf("%-16s %-16s %-10s %s%n", "HOST", "OUTCOME", "GENERATION", "DETAIL");
    for (HostReport r : report.hosts()) {
      String gen =
          r.generationBefore().map(String::valueOf).orElse("?")
              + "->"
              + r.generationAfter().map(String::valueOf).orElse("?");
      String detail =
          r.failedStep()
              .map(st -> "failed at " + st + r.error().map(e -> ": " + firstLine(e)).orElse(""))
              .orElse(r.copiedPaths().size() + " paths copied");
      out.printf("%-16s %-16s %-10s %s%n", r.host(), r.outcome(), gen, detail);
    }
  }

  /** The first line of {@code s}, at most 160 characters, for a table cell or a progress line. */
  static String firstLine(String s) {
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 160 ? line.substring(0, 160) + "…" : line;
  }

  /** {@code deploy upload}. */
  @Command(
      name = "upload",
      description = "Copy each system's closure to its host; change nothing else.")
  static final class Upload extends Action {
    @Override
    DeployAction action() {
      return DeployAction.UPLOAD;
    }
  }

  /** {@code deploy test}. */
  @Command(
      name = "test",
      description = "Activate the new systems now, without making them the boot default.")
  static final class Test extends Action {
    @Override
    DeployAction action() {
      return DeployAction.TEST;
    }
  }

  /** {@code deploy boot}. */
  @Command(
      name = "boot",
      description = "Make the new systems the boot default, without activating them now.")
  static final class Boot extends Action {
    @Override
    DeployAction action() {
      return DeployAction.BOOT;
    }
  }

  /** {@code deploy switch}. */
  @Command(
      name = "switch",
      description = "Make the new systems the boot default and activate them now.")
  static final class Switch extends Action {
    @Override
    DeployAction action() {
      return DeployAction.SWITCH;
    }
  }
}
