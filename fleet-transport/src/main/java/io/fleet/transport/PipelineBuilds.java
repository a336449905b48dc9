package io.fleet.transport;

import io.fleet.api.Fleet;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.pipeline.PipelineEvent.Kind;
import io.fleet.api.pipeline.PipelineStage;
import io.fleet.api.pipeline.StageOutcome;
import io.fleet.api.spi.SystemDerivation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * The build stage of a {@link PipelineExecution}: one build per distinct system (derivation, or
 * system attribute), on a bounded pool, shared by every host that has that system; a host built on
 * the target only has its derivation evaluated here. All state is guarded by the execution's lock.
 */
final class PipelineBuilds {
  private final PipelineExecution x;
  private final FleetPipeline pipeline;
  private final FleetPipeline.Run run;
  private final PipelineEvents events;
  private final ExecutorService pool;
  private final Map<String, BuildJob> byKey = new HashMap<>();

  PipelineBuilds(
      PipelineExecution x,
      FleetPipeline pipeline,
      FleetPipeline.Run run,
      PipelineEvents events,
      ExecutorService pool) {
    this.x = x;
    this.pipeline = pipeline;
    this.run = run;
    this.events = events;
    this.pool = pool;
  }

  /** Starts the build of {@code s}'s system, or has it share a build of the same system. */
  void start(PipelineHostState s) {
    if (x.skipIfStopped(s, PipelineStage.BUILD)) {
      return;
    }
    Host h = s.host;
    if (h.systemPath().isPresent()) { // as Deployer.Planner: a given system is not built
      s.system = h.systemPath().get();
      Instant t = x.now();
      s.build =
          x.ended(StageOutcome.SUCCEEDED, t, "the host's system path is given: nothing to build");
      events.emit(h.name(), PipelineStage.BUILD, Kind.FINISHED, s.build.message().orElse(""));
      x.startDeploy(s);
      return;
    }
    String key =
        pipeline
            .evaluator
            .systemDerivation(h)
            .map(d -> "derivation " + d)
            .orElse(h.systemAttribute().map(a -> "attribute " + a).orElse("host " + h.name()));
    BuildJob job = byKey.get(key);
    if (job == null) {
      job = new BuildJob(key, s);
      byKey.put(key, job);
      job.hosts.add(s);
      x.pending++;
      pool.execute(job);
      return;
    }
    job.hosts.add(s);
    if (job.startedAt != null) {
      s.buildStarted = x.now();
      events.emit(
          h.name(), PipelineStage.BUILD, Kind.STARTED, "shares the build of " + job.first.name);
    }
    if (job.done) {
      finish(job, s);
    }
  }

  /** Builds one system, for every host that has it. */
  private final class BuildJob implements Runnable {
    final String key;
    final PipelineHostState first;
    final List<PipelineHostState> hosts = new ArrayList<>();
    Instant startedAt;
    boolean done;
    String system;
    String derivation;
    String error;
    boolean interrupted;

    BuildJob(String key, PipelineHostState first) {
      this.key = key;
      this.first = first;
    }

    @Override
    public void run() {
      Fleet f;
      synchronized (x) {
        if (x.cancelled || x.stopped) {
          done = true;
          for (PipelineHostState s : List.copyOf(hosts)) {
            x.skipIfStopped(s, PipelineStage.BUILD);
          }
          x.pending--;
          x.notifyAll();
          return;
        }
        startedAt = x.now();
        for (PipelineHostState s : hosts) {
          s.buildStarted = startedAt;
          events.emit(
              s.name,
              PipelineStage.BUILD,
              Kind.STARTED,
              s == first ? key : "shares the build of " + first.name);
        }
        f = x.fleetLevel.toBuilder().host(first.host).build();
      }
      try {
        if (run.buildOnTarget) {
          SystemDerivation d =
              pipeline.evaluator.derivations(f, List.of(first.name)).get(first.name);
          if (d == null) {
            error = "the evaluator gave no system derivation for host " + Names.quote(first.name);
          } else {
            system = d.outPath();
            derivation = d.drvPath();
          }
        } else {
          Map<String, String> built =
              pipeline.evaluator.build(
                  f, List.of(first.name), (d, total, message) -> progress(message));
          system = built.get(first.name);
          if (system == null) {
            error = "the evaluator built no system for host " + Names.quote(first.name);
          }
        }
      } catch (RuntimeException e) {
        error = e.getMessage() == null ? e.toString() : e.getMessage();
        interrupted = Thread.currentThread().isInterrupted();
      }
      Thread.interrupted(); // a cancelled build's interrupt ends here, not in the next task
      synchronized (x) {
        done = true;
        for (PipelineHostState s : List.copyOf(hosts)) {
          finish(this, s);
        }
        x.pending--;
        x.notifyAll();
      }
    }

    private void progress(String message) {
      if (message == null || message.isEmpty()) {
        return;
      }
      List<String> names;
      synchronized (x) {
        names = hosts.stream().map(h -> h.name).toList();
      }
      for (String n : names) {
        events.emit(n, PipelineStage.BUILD, Kind.PROGRESS, message);
      }
    }
  }

  private void finish(BuildJob job, PipelineHostState s) {
    if (s.build != null) {
      return;
    }
    Instant t = x.now();
    Instant from = s.buildStarted != null ? s.buildStarted : t;
    for (PipelineHostState other : job.hosts) {
      if (other != s) {
        s.sharedWith.add(other.name);
      }
    }
    if (job.error == null) {
      s.system = job.system;
      s.derivation = job.derivation;
      String note = s == job.first ? null : "shared the build of " + job.first.name;
      if (job.derivation != null) {
        note =
            "evaluated "
                + job.derivation
                + ": built on the host when deployed"
                + (note == null ? "" : "; " + note);
      }
      s.build = x.ended(StageOutcome.SUCCEEDED, from, note);
      events.emit(s.name, PipelineStage.BUILD, Kind.FINISHED, job.system);
      x.startDeploy(s);
    } else if (x.cancelled) {
      s.build = x.ended(StageOutcome.CANCELLED, from, "cancelled: " + job.error);
      events.emit(s.name, PipelineStage.BUILD, Kind.CANCELLED, job.error);
      x.skipLater(s, PipelineStage.BUILD, null);
    } else {
      s.build = x.ended(StageOutcome.FAILED, from, job.error);
      events.emit(s.name, PipelineStage.BUILD, Kind.FAILED, job.error);
      x.skipLater(s, PipelineStage.BUILD, "its build failed");
      x.hostFailedPolicy(s.name, "build");
    }
  }

  /** Cancels: builds not started yet never start, and their hosts are marked cancelled. */
  void cancelQueued() {
    for (Runnable r : pool.shutdownNow()) {
      BuildJob job = (BuildJob) r;
      job.done = true;
      for (PipelineHostState s : List.copyOf(job.hosts)) {
        x.skipIfStopped(s, PipelineStage.BUILD);
      }
      x.pending--;
    }
  }

  /** Stops the pool (interrupting running builds). */
  void shutdown() {
    pool.shutdownNow();
  }
}
