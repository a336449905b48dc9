package io.fleet.transport;

import io.fleet.api.Host;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.pipeline.PipelineHostReport;
import io.fleet.api.pipeline.PipelineStage;
import io.fleet.api.pipeline.StageOutcome;
import io.fleet.api.pipeline.StageReport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a pipeline run knows of one host, stage by stage; guarded by the run's lock. {@link
 * #toReport()} makes the host's {@link PipelineHostReport} (a stage that never got a report, which
 * only a bug could cause, reads as not started).
 */
final class PipelineHostState {
  final String name;
  final List<String> sharedWith = new ArrayList<>();
  Host host;
  StageReport evaluation;
  StageReport build;
  StageReport deployment;
  Instant buildStarted;
  Instant deployStarted;
  String system;

  /** The system's derivation when the host builds it itself, else null. */
  String derivation;

  boolean canary;
  HostReport hostReport;

  /** The one-host plan its deployment ran, once it has run. */
  io.fleet.api.deploy.DeploymentPlan plan;

  PipelineHostState(String name) {
    this.name = name;
  }

  StageReport get(PipelineStage stage) {
    switch (stage) {
      case EVALUATE:
        return evaluation;
      case BUILD:
        return build;
      default:
        return deployment;
    }
  }

  void set(PipelineStage stage, StageReport r) {
    switch (stage) {
      case EVALUATE:
        evaluation = r;
        break;
      case BUILD:
        build = r;
        break;
      default:
        deployment = r;
    }
  }

  PipelineHostReport toReport() {
    PipelineHostReport.Builder b =
        PipelineHostReport.builder()
            .host(name)
            .evaluation(orNotRun(evaluation))
            .build(orNotRun(build))
            .deployment(orNotRun(deployment))
            .canary(canary)
            .sharedBuildWith(sharedWith.stream().sorted().toList());
    if (system != null) {
      b.system(system);
    }
    if (hostReport != null) {
      b.hostReport(hostReport);
    }
    return b.build();
  }

  private static StageReport orNotRun(StageReport r) {
    return r != null ? r : StageReport.of(StageOutcome.SKIPPED, "not started");
  }
}
