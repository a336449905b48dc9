package io.fleet.transport;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.HostSelector;
import io.fleet.api.Names;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.pipeline.PipelineEvent.Kind;
import io.fleet.api.pipeline.PipelineHostReport;
import io.fleet.api.pipeline.PipelineReport;
import io.fleet.api.pipeline.PipelineStage;
import io.fleet.api.pipeline.StageOutcome;
import io.fleet.api.pipeline.StageReport;
import io.fleet.api.spi.EvaluationSink;
import io.fleet.transport.internal.HostRevert;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One run of a {@link FleetPipeline}: the evaluator's thread delivers hosts, a bounded pool builds
 * them (one build per distinct system derivation), another deploys them with one-host plans through
 * a {@link Deployer}. All state changes happen under this object's lock; events are recorded in
 * that order and sent to the listeners by {@link PipelineEvents}' own thread.
 */
final class PipelineExecution implements EvaluationSink {
  private final FleetPipeline pipeline;
  private final FleetPipeline.Run run;
  private final DeploymentPlan template;
  private final PipelineSelection selection;
  private final PipelineEvents events;
  private final Deployer deployer;
  private final PipelineBuilds builds;
  private final ExecutorService deploys;
  private final OneHostPlans plans;

  // Everything below is guarded by `this` (PipelineBuilds, the build stage, shares some of it).
  private final Map<String, PipelineHostState> hosts = new TreeMap<>();
  private final List<PipelineHostState> waitingForCanaries = new ArrayList<>();
  Fleet fleetLevel;
  private List<String> hostNames = List.of();
  private Thread evaluation;
  private final Set<String> delivered = new HashSet<>();
  int pending;
  boolean stopped;
  private String stopReason;
  boolean cancelled;
  private RuntimeException fatal;
  private int canariesChosen;
  private int canariesDone;
  private boolean canariesPassed;
  private String canaryFailure;
  private Instant started;

  PipelineExecution(
      FleetPipeline pipeline,
      FleetPipeline.Run run,
      DeploymentPlan template,
      List<HostSelector> include,
      List<HostSelector> exclude) {
    this.pipeline = pipeline;
    this.run = run;
    this.template = template;
    this.selection = new PipelineSelection(include, exclude);
    this.events = new PipelineEvents(pipeline.listeners, pipeline.clock, template.id());
    Deployer.Builder d =
        Deployer.builder()
            .transport(pipeline.transport)
            .evaluator(pipeline.evaluator)
            .clock(pipeline.clock, pipeline.sleeper)
            .listener(events::forward);
    if (pipeline.http != null) {
      d.httpProbe(pipeline.http);
    }
    this.deployer = d.build();
    this.plans = new OneHostPlans(template, pipeline.evaluator);
    this.builds =
        new PipelineBuilds(
            this,
            pipeline,
            run,
            events,
            pool("fleet-pipeline-build-" + template.id(), run.buildParallelism));
    this.deploys = pool("fleet-pipeline-deploy-" + template.id(), run.deployParallelism);
  }

  private static ExecutorService pool(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** Runs every stage and waits for them; see {@link FleetPipeline.Run#execute()}. */
  PipelineReport run() {
    boolean interrupted = false;
    try {
      synchronized (this) {
        started = now();
        events.emit("", PipelineStage.EVALUATE, Kind.STARTED, evaluationSource());
        pending++;
        if (run.fleet != null) {
          fleetEvaluated(run.fleet.withoutHosts(), List.copyOf(run.fleet.hosts().keySet()));
          run.fleet.hosts().values().forEach(this::hostEvaluated);
          evaluationEnded(null);
        } else {
          evaluation = new Thread(this::evaluate, "fleet-pipeline-evaluate-" + template.id());
          evaluation.setDaemon(true);
          evaluation.start();
        }
        while (pending > 0 && fatal == null) {
          try {
            wait();
          } catch (InterruptedException e) {
            interrupted = true;
            cancel("the caller was interrupted");
          }
        }
        if (fatal != null) {
          cancel("stopped: " + messageOf(fatal));
        }
        while (pending > 0) {
          try {
            wait();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        if (fatal != null) {
          throw fatal;
        }
        if (hosts.isEmpty()) {
          throw new FleetConfigException(
              "no host of fleet "
                  + Names.quote(fleetLevel.name())
                  + " is chosen by "
                  + (run.selectors.isEmpty() ? "(all)" : run.selectors)
                  + (run.skips.isEmpty() ? "" : " minus " + run.skips)
                  + "; it has "
                  + hostNames);
        }
        if (template.rollbackSucceededOnFailure() && !cancelled) {
          revertConfirmed();
        }
        return report();
      }
    } finally {
      builds.shutdown();
      deploys.shutdownNow();
      events.close();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private String evaluationSource() {
    return run.fleet != null
        ? "fleet " + Names.quote(run.fleet.name()) + " is already evaluated"
        : "evaluating " + Names.quote(run.configuration) + " of " + run.flakeRef;
  }

  /** The evaluator's thread. */
  private void evaluate() {
    RuntimeException failure = null;
    try {
      pipeline.evaluator.evaluate(run.flakeRef, run.configuration, this);
    } catch (RuntimeException e) {
      failure = e;
    }
    synchronized (this) {
      evaluationEnded(failure);
    }
  }

  private void evaluationEnded(RuntimeException failure) {
    if (failure != null && fleetLevel == null) {
      if (!cancelled) {
        fatal = failure;
      }
      events.emit("", PipelineStage.EVALUATE, Kind.FAILED, failure.getMessage());
    } else {
      // Hosts the evaluator never delivered: it failed part way (or was cancelled).
      for (String name : hostNames) {
        if (!hosts.containsKey(name) && !delivered.contains(name) && selection.mayBeChosen(name)) {
          PipelineHostState s = state(name);
          s.evaluation =
              ended(
                  cancelled ? StageOutcome.CANCELLED : StageOutcome.FAILED,
                  started,
                  cancelled
                      ? "cancelled before the host was evaluated"
                      : "the evaluation ended without this host: " + messageOf(failure));
          events.emit(
              name,
              PipelineStage.EVALUATE,
              cancelled ? Kind.CANCELLED : Kind.FAILED,
              s.evaluation.message().orElse(""));
          skipLater(s, PipelineStage.EVALUATE, cancelled ? null : "its evaluation failed");
        }
      }
      if (failure == null) {
        events.emit("", PipelineStage.EVALUATE, Kind.FINISHED, hostNames.size() + " hosts");
      } else {
        events.emit("", PipelineStage.EVALUATE, Kind.FAILED, failure.getMessage());
      }
    }
    pending--;
    openCanaryGate();
    notifyAll();
  }

  @Override
  public synchronized void fleetEvaluated(Fleet level, List<String> names) {
    fleetLevel = level;
    hostNames = List.copyOf(names);
    FleetConfigException unknown = selection.unknownNames(level.name(), hostNames);
    if (unknown != null && fatal == null) {
      fatal = unknown;
      notifyAll();
    }
  }

  @Override
  public synchronized void hostEvaluated(Host host) {
    delivered.add(host.name());
    if (fatal != null || !selection.isChosen(host)) {
      return;
    }
    PipelineHostState s = state(host.name());
    s.host = host;
    s.evaluation = ended(StageOutcome.SUCCEEDED, started, null);
    events.emit(host.name(), PipelineStage.EVALUATE, Kind.FINISHED, "");
    builds.start(s);
  }

  @Override
  public synchronized void hostFailed(String host, EvaluationException failure) {
    delivered.add(host);
    if (fatal != null || !selection.mayBeChosen(host)) {
      return;
    }
    PipelineHostState s = state(host);
    s.evaluation = ended(StageOutcome.FAILED, started, failure.getMessage());
    events.emit(host, PipelineStage.EVALUATE, Kind.FAILED, failure.getMessage());
    skipLater(s, PipelineStage.EVALUATE, "its evaluation failed");
    hostFailedPolicy(host, "evaluation");
  }

  void startDeploy(PipelineHostState s) {
    if (skipIfStopped(s, PipelineStage.DEPLOY)) {
      return;
    }
    if (run.canary > 0 && !canariesPassed) {
      if (canariesChosen < run.canary) {
        canariesChosen++;
        s.canary = true;
      } else {
        pending++;
        waitingForCanaries.add(s);
        return;
      }
    }
    submitDeploy(s);
  }

  private void submitDeploy(PipelineHostState s) {
    pending++;
    deploys.execute(new DeployTask(s));
  }

  /** Deploys one host with a one-host plan. */
  private final class DeployTask implements Runnable {
    final PipelineHostState s;

    DeployTask(PipelineHostState s) {
      this.s = s;
    }

    @Override
    public void run() {
      synchronized (PipelineExecution.this) {
        if (skipIfStopped(s, PipelineStage.DEPLOY)) {
          finishedDeploy(false);
          return;
        }
        s.deployStarted = now();
        events.emit(
            s.name, PipelineStage.DEPLOY, Kind.STARTED, s.canary ? "canary " + s.system : s.system);
      }
      HostReport report = null;
      String error = null;
      DeploymentPlan plan = null;
      try {
        plan = plans.planFor(s.host, s.system, s.derivation);
        DeploymentReport r = deployer.execute(plan);
        report = r.hosts().get(0);
      } catch (RuntimeException e) {
        error = e.getMessage() == null ? e.toString() : e.getMessage();
      }
      Thread.interrupted(); // the deployer re-sets a cancellation's interrupt; it ends here
      synchronized (PipelineExecution.this) {
        s.plan = plan;
        recordDeploy(report, error);
        finishedDeploy(true);
      }
    }

    private void recordDeploy(HostReport report, String error) {
      Instant t = now();
      if (report == null) {
        s.deployment =
            StageReport.builder()
                .outcome(StageOutcome.FAILED)
                .startedAt(s.deployStarted)
                .finishedAt(t)
                .message(error)
                .build();
        events.emit(s.name, PipelineStage.DEPLOY, Kind.FAILED, error);
        failedDeploy();
        return;
      }
      s.hostReport = report;
      StageOutcome o = OneHostPlans.outcomeOf(report);
      String message = report.outcome() + report.error().map(e -> ": " + e).orElse("");
      s.deployment =
          StageReport.builder()
              .outcome(o)
              .startedAt(s.deployStarted)
              .finishedAt(t)
              .message(o.isSuccess() ? java.util.Optional.empty() : java.util.Optional.of(message))
              .build();
      events.emit(
          s.name,
          PipelineStage.DEPLOY,
          o == StageOutcome.SUCCEEDED
              ? Kind.FINISHED
              : o == StageOutcome.CANCELLED ? Kind.CANCELLED : Kind.FAILED,
          message);
      if (o == StageOutcome.FAILED) {
        failedDeploy();
      }
    }

    private void failedDeploy() {
      if (s.canary && canaryFailure == null) {
        canaryFailure = "canary " + s.name + " failed";
        for (PipelineHostState w : List.copyOf(waitingForCanaries)) {
          skipStage(w, PipelineStage.DEPLOY, "not started: " + canaryFailure);
          pending--;
        }
        waitingForCanaries.clear();
      }
      hostFailedPolicy(s.name, "deployment");
    }

    private void finishedDeploy(boolean ran) {
      if (s.canary && ran) {
        canariesDone++;
      }
      pending--;
      openCanaryGate();
      notifyAllLocked();
    }
  }

  /** Lets the hosts waiting for the canaries deploy, once every canary is confirmed. */
  private void openCanaryGate() {
    if (run.canary == 0 || canariesPassed || canaryFailure != null || cancelled || stopped) {
      return;
    }
    if (canariesDone == canariesChosen && canariesChosen == run.canary) {
      canariesPassed = true;
      events.emit("", PipelineStage.DEPLOY, Kind.PROGRESS, "the canaries are confirmed");
      for (PipelineHostState w : List.copyOf(waitingForCanaries)) {
        pending--;
        submitDeploy(w);
      }
      waitingForCanaries.clear();
    }
  }

  void hostFailedPolicy(String host, String stage) {
    if (run.policy == io.fleet.api.pipeline.FailurePolicy.STOP_FLEET && !stopped) {
      stopped = true;
      stopReason =
          "not started: the " + stage + " of " + host + " failed and the policy stops the fleet";
      events.emit("", PipelineStage.DEPLOY, Kind.PROGRESS, stopReason);
      for (PipelineHostState w : List.copyOf(waitingForCanaries)) {
        skipStage(w, PipelineStage.DEPLOY, stopReason);
        pending--;
      }
      waitingForCanaries.clear();
    }
  }

  /**
   * Cancels: the evaluation and builds are interrupted, queued work never starts, running
   * deployments are interrupted (the deployer cancels them as its own caller's interrupt would).
   */
  private void cancel(String why) {
    if (cancelled) {
      return;
    }
    cancelled = true;
    events.emit("", PipelineStage.EVALUATE, Kind.CANCELLED, why);
    if (evaluation != null) {
      evaluation.interrupt();
    }
    builds.cancelQueued();
    for (Runnable r : deploys.shutdownNow()) {
      PipelineHostState s = ((DeployTask) r).s;
      skipIfStopped(s, PipelineStage.DEPLOY);
      pending--;
    }
    for (PipelineHostState w : waitingForCanaries) {
      skipIfStopped(w, PipelineStage.DEPLOY);
      pending--;
    }
    waitingForCanaries.clear();
    notifyAll();
  }

  /** Marks {@code stage} and the later ones skipped or cancelled if the fleet is stopped. */
  boolean skipIfStopped(PipelineHostState s, PipelineStage stage) {
    if (cancelled) {
      s.set(
          stage, StageReport.of(StageOutcome.CANCELLED, "not started: the caller was interrupted"));
      events.emit(s.name, stage, Kind.CANCELLED, "the caller was interrupted");
      skipLater(s, stage, null);
      return true;
    }
    String why =
        stopped
            ? stopReason
            : canaryFailure != null && stage == PipelineStage.DEPLOY
                ? "not started: " + canaryFailure
                : null;
    if (why != null) {
      skipStage(s, stage, why);
      return true;
    }
    return false;
  }

  private void skipStage(PipelineHostState s, PipelineStage stage, String why) {
    s.set(stage, StageReport.of(StageOutcome.SKIPPED, why));
    events.emit(s.name, stage, Kind.SKIPPED, why);
    skipLater(s, stage, why);
  }

  /** The stages after {@code stage}: skipped because of {@code why}, or cancelled when null. */
  void skipLater(PipelineHostState s, PipelineStage stage, String why) {
    for (PipelineStage later : PipelineStage.values()) {
      if (later.ordinal() > stage.ordinal() && s.get(later) == null) {
        if (why == null) {
          s.set(
              later,
              StageReport.of(StageOutcome.CANCELLED, "not started: the caller was interrupted"));
          events.emit(s.name, later, Kind.CANCELLED, "the caller was interrupted");
        } else {
          String m = why.startsWith("not started") ? why : "not started: " + why;
          s.set(later, StageReport.of(StageOutcome.SKIPPED, m));
          events.emit(s.name, later, Kind.SKIPPED, m);
        }
      }
    }
  }

  private PipelineHostState state(String name) {
    return hosts.computeIfAbsent(name, PipelineHostState::new);
  }

  StageReport ended(StageOutcome outcome, Instant from, String message) {
    return StageReport.builder()
        .outcome(outcome)
        .startedAt(from)
        .finishedAt(now())
        .message(java.util.Optional.ofNullable(message))
        .build();
  }

  private static String messageOf(RuntimeException e) {
    return e == null ? "(no error)" : e.getMessage() == null ? e.toString() : e.getMessage();
  }

  Instant now() {
    return pipeline.clock.instant();
  }

  private synchronized void notifyAllLocked() {
    notifyAll();
  }

  /**
   * The fleet policy {@code rollbackSucceededOnFailure}: when a host failed, every confirmed host
   * returns to its previous generation (one after another; the run has ended).
   */
  private void revertConfirmed() {
    List<String> failed = new ArrayList<>();
    for (PipelineHostState s : hosts.values()) {
      if (s.toReport().failedStage().isPresent()) {
        failed.add(s.name);
      }
    }
    if (failed.isEmpty()) {
      return;
    }
    String why = "reverted because " + failed + " failed";
    for (PipelineHostState s : hosts.values()) {
      HostReport r = s.hostReport;
      if (s.plan == null || r == null || !HostRevert.canRevert(r)) {
        continue;
      }
      Instant from = now();
      HostReport out = HostRevert.revert(s.plan, r, pipeline.transport, why);
      s.hostReport = out;
      String message = out.outcome() + out.error().map(e -> ": " + e).orElse(": " + why);
      s.deployment =
          StageReport.builder()
              .from(s.deployment)
              .outcome(
                  out.outcome() == HostOutcome.REVERTED
                      ? StageOutcome.REVERTED
                      : StageOutcome.FAILED)
              .finishedAt(now())
              .message(message)
              .build();
      events.emit(
          s.name,
          PipelineStage.DEPLOY,
          out.outcome() == HostOutcome.REVERTED ? Kind.FINISHED : Kind.FAILED,
          message + " (in " + java.time.Duration.between(from, now()).toMillis() + " ms)");
    }
  }

  private PipelineReport report() {
    List<PipelineHostReport> out = new ArrayList<>();
    for (PipelineHostState s : hosts.values()) {
      out.add(s.toReport());
    }
    return PipelineReport.builder()
        .pipelineId(template.id())
        .action(template.action())
        .failurePolicy(run.policy)
        .canary(run.canary)
        .startedAt(started)
        .finishedAt(now())
        .cancelled(cancelled)
        .hosts(out)
        .build();
  }
}
