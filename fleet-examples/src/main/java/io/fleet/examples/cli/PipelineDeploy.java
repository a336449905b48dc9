package io.fleet.examples.cli;

import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.pipeline.FailurePolicy;
import io.fleet.api.pipeline.PipelineEvent;
import io.fleet.api.pipeline.PipelineHostReport;
import io.fleet.api.pipeline.PipelineReport;
import io.fleet.api.pipeline.StageReport;
import io.fleet.transport.FleetPipeline;
import java.io.PrintStream;

/**
 * {@code deploy <action> --pipeline}: the selected hosts through {@link FleetPipeline}, so each
 * host deploys as soon as its own system is built instead of after every build. With {@code
 * --fleet} the flake is evaluated by the pipeline itself, so a host is built and deployed as soon
 * as its chunk of the evaluation is done; {@code --on}/{@code --skip} are decided host by host.
 */
final class PipelineDeploy {
  private PipelineDeploy() {}

  /** Runs the pipeline for the hosts {@code --on}/{@code --skip} choose; returns the exit code. */
  static int run(Session s, DeployCommand.Action options, DeployAction action) {
    FleetCli cli = s.cli;
    if (options.batchSize != null) {
      throw new FleetCli.UsageException(
          "--batch-size does not apply to --pipeline, which deploys each host when it is built:"
              + " use --parallel N to bound the deployments");
    }
    // The number of hosts is known only once the fleet-level evaluation is done: plain lines.
    Progress progress =
        s.fleet == null
            ? new Progress(cli.err, false, 0)
            : new Progress(
                cli.err, cli.terminal && !cli.json, s.fleet.select(cli.on, cli.skip).size());
    FleetPipeline pipeline =
        FleetPipeline.builder()
            .transport(s.transport)
            .evaluator(s.evaluator)
            .clock(s.clock, s.sleeper)
            .listener(
                (PipelineEvent e) -> {
                  if (e.deployment().isPresent()) {
                    progress.onEvent(e.deployment().get());
                  } else {
                    progress.onPipelineEvent(e);
                  }
                })
            .build();
    FleetPipeline.Run run =
        (s.fleet != null
                ? pipeline.on(s.fleet)
                : pipeline.on(s.flake.orElseThrow().ref(), s.flake.orElseThrow().configuration()))
            .select(cli.on.toArray(String[]::new))
            .skip(cli.skip.toArray(String[]::new))
            .action(action)
            .canary(options.canary)
            .deployParallelism(options.parallel)
            .failurePolicy(
                options.stopOnFailure ? FailurePolicy.STOP_FLEET : FailurePolicy.STOP_HOST)
            .rollback(!options.disableRollback)
            .buildOnTarget(options.buildOnTarget);
    for (String c : options.healthChecks) {
      run.healthCheck(io.fleet.api.deploy.HealthCheck.command("sh", "-c", c));
    }
    PipelineReport report = run.execute();
    print(cli.out, cli.json, report);
    return exitCode(report);
  }

  static int exitCode(PipelineReport report) {
    return DeployCommand.exitCode(
        report.hosts().stream().flatMap(h -> h.hostReport().map(HostReport::outcome).stream()),
        report.isSuccess());
  }

  private static void print(PrintStream out, boolean json, PipelineReport report) {
    if (json) {
      out.println(report.toJson());
      return;
    }
    out.println(report.summary());
    out.printf("%-16s %-10s %-10s %-16s %s%n", "HOST", "EVALUATE", "BUILD", "DEPLOY", "DETAIL");
    for (PipelineHostReport h : report.hosts()) {
      String deploy =
          h.hostReport().map(r -> r.outcome().name()).orElse(h.deployment().outcome().name());
      String detail =
          h.failedStage()
              .map(st -> "failed at " + st + message(h.stage(st)))
              .orElse(h.system().orElse(""));
      out.printf(
          "%-16s %-10s %-10s %-16s %s%n",
          h.host(), h.evaluation().outcome(), h.build().outcome(), deploy, detail);
    }
  }

  private static String message(StageReport stage) {
    return stage.message().map(m -> ": " + DeployCommand.firstLine(m)).orElse("");
  }
}
