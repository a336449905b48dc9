package io.fleet.transport;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.HostSelector;
import io.fleet.api.Names;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.pipeline.FailurePolicy;
import io.fleet.api.pipeline.PipelineListener;
import io.fleet.api.pipeline.PipelineReport;
import io.fleet.api.spi.EvaluationSink;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.Transport;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Evaluates, builds and deploys a fleet as a stream: a host's build starts as soon as the evaluator
 * delivers it ({@link Evaluator#evaluate(String, String, EvaluationSink)}), and its deployment as
 * soon as its build is done, instead of evaluating every host, then building every host, then
 * deploying every host. Each stage is bounded: evaluation by the evaluator's own pool, builds by
 * {@link Run#buildParallelism}, deployments by {@link Run#deployParallelism}. Hosts whose systems
 * are the same derivation ({@link Evaluator#systemDerivation}) share one build.
 *
 * <pre>{@code
 * FleetPipeline pipeline =
 *     FleetPipeline.builder().transport(transport).evaluator(nixEvaluator).build();
 * PipelineReport report = pipeline.on("path:/srv/cluster", "default")
 *     .select("@web")
 *     .action(DeployAction.SWITCH)
 *     .buildParallelism(2).deployParallelism(10)
 *     .canary(1)
 *     .healthCheck(HealthCheck.command("systemctl", "is-system-running", "--wait"))
 *     .execute();
 * System.out.println(report.summary());
 * }</pre>
 *
 * <p>Each host is deployed by the {@link Deployer} (the same protocol, rollback and events) with a
 * one-host {@link DeploymentPlan} whose id is the pipeline's. Failure policy ({@link
 * FailurePolicy}): by default a failed host (evaluation, build or deployment) stops only its own
 * later stages; {@link FailurePolicy#STOP_FLEET} starts no new build or deployment after a failure
 * (running ones finish normally: armed hosts are confirmed or rolled back). With {@link
 * Run#canary(int) canary(n)} the first {@code n} hosts to be built deploy first, and the others
 * deploy only once all of them are confirmed; a failed canary skips the others' deployments.
 * Returning already confirmed hosts to their previous generation when another fails (the plan's
 * {@code rollbackSucceededOnFailure}) is not offered here: each host is its own one-host plan.
 *
 * <p>Interrupting the thread that calls {@link Run#execute()} cancels, as {@link Deployer#execute}
 * does: evaluation and builds are interrupted, no new deployment starts, running deployments stop
 * as the deployer stops them (armed hosts rolled back, activating ones finish); {@code execute}
 * then returns the report with {@link PipelineReport#cancelled()} set and the interrupt flag set
 * again. Events for every stage go to the {@link PipelineListener}s, in order, from one thread.
 *
 * <p>A {@code FleetPipeline} is immutable and thread-safe; it does not own the transport or the
 * evaluator.
 */
public final class FleetPipeline {
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

  final Transport transport;
  final Evaluator evaluator;
  final List<PipelineListener> listeners;
  final Clock clock;
  final Deployer.Sleeper sleeper;
  final Deployer.HttpProbe http;

  private FleetPipeline(Builder b) {
    this.transport = b.transport;
    this.evaluator = b.evaluator;
    this.listeners = List.copyOf(b.listeners);
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.http = b.http;
  }

  /** A builder; {@link Builder#transport} and {@link Builder#evaluator} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A run that evaluates configuration {@code configuration} of the flake {@code flakeRef} with the
   * evaluator, streaming its hosts into the build and deploy stages.
   *
   * @throws FleetConfigException if {@code flakeRef} or {@code configuration} is null or blank
   */
  public Run on(String flakeRef, String configuration) {
    if (flakeRef == null || flakeRef.isBlank()) {
      throw new FleetConfigException(
          "FleetPipeline.on needs a flake reference (a path or flake URL); it was "
              + (flakeRef == null ? "null" : "blank"));
    }
    if (configuration == null || configuration.isBlank()) {
      throw new FleetConfigException(
          "FleetPipeline.on needs the name of a fleet configuration, such as \"default\"");
    }
    return new Run(flakeRef, configuration, null);
  }

  /**
   * A run over an already evaluated fleet: every chosen host goes to the build stage at once (its
   * evaluation is reported as succeeded when the run starts).
   *
   * @throws FleetConfigException if {@code fleet} is null or invalid ({@link Fleet#validate()})
   */
  public Run on(Fleet fleet) {
    if (fleet == null) {
      throw new FleetConfigException("FleetPipeline.on needs a fleet; give one");
    }
    return new Run(null, null, fleet.validate());
  }

  /** What this pipeline is: its transport, evaluator and listeners. */
  @Override
  public String toString() {
    return "FleetPipeline{transport "
        + transport
        + ", evaluator "
        + evaluator
        + ", "
        + listeners.size()
        + " listener(s)}";
  }

  /**
   * One run of the pipeline: which hosts, the stages' bounds, the failure policy, and the options
   * every host's deployment gets (as {@link Deployer.Planner}'s). Get one from {@link #on}; call
   * {@link #execute()}.
   */
  public final class Run {
    final String flakeRef;
    final String configuration;
    final Fleet fleet;
    final List<String> selectors = new ArrayList<>();
    final List<String> skips = new ArrayList<>();
    final DeploymentPlan.Builder deployOptions = DeploymentPlan.builder();
    DeployAction action = DeployAction.SWITCH;
    String id;
    int buildParallelism = Math.max(1, Runtime.getRuntime().availableProcessors());
    int deployParallelism = 10;
    int canary;
    boolean buildOnTarget;
    FailurePolicy policy = FailurePolicy.STOP_HOST;

    private Run(String flakeRef, String configuration, Fleet fleet) {
      this.flakeRef = flakeRef;
      this.configuration = configuration;
      this.fleet = fleet;
    }

    /** Chooses hosts by name, {@code @tag} or glob; none chosen means every host. */
    public Run select(String... selectors) {
      this.selectors.addAll(Arrays.asList(selectors));
      return this;
    }

    /** Leaves out hosts chosen by these names, tags or globs. */
    public Run skip(String... skips) {
      this.skips.addAll(Arrays.asList(skips));
      return this;
    }

    /** The action; {@link DeployAction#SWITCH} unless set. */
    public Run action(DeployAction action) {
      this.action = action;
      return this;
    }

    /**
     * The id (letters, digits, {@code . _ -}), which every host's deployment carries; generated
     * unless set.
     */
    public Run id(String id) {
      this.id = id;
      return this;
    }

    /** How many builds run at the same time (default: the machine's cores). */
    public Run buildParallelism(int n) {
      this.buildParallelism = n;
      return this;
    }

    /** How many hosts are deployed at the same time (default 10). */
    public Run deployParallelism(int n) {
      this.deployParallelism = n;
      return this;
    }

    /** What a failed host stops; {@link FailurePolicy#STOP_HOST} unless set. */
    public Run failurePolicy(FailurePolicy policy) {
      this.policy = policy;
      return this;
    }

    /**
     * The first {@code n} hosts to be built deploy as canaries; the others deploy only once every
     * canary is confirmed, and not at all if one fails (0, the default: no canary).
     */
    public Run canary(int n) {
      this.canary = n;
      return this;
    }

    /**
     * Builds every host's system on the host itself, as {@link Deployer.Planner#buildOnTarget}
     * does: the build stage only asks the evaluator for the system's derivation ({@link
     * io.fleet.api.spi.Evaluator#derivations}), and the deployment copies the derivation's closure
     * and realises it on the host (step {@link io.fleet.api.deploy.DeployStep#BUILD}) before
     * arming. Hosts with a given system path are deployed as they are. Default {@code false}: the
     * controller builds.
     */
    public Run buildOnTarget(boolean buildOnTarget) {
      this.buildOnTarget = buildOnTarget;
      return this;
    }

    /**
     * When any host fails (its evaluation, build or deployment), return the hosts already confirmed
     * to their previous generation once every stage has ended, as {@link
     * Deployer.Planner#rollbackSucceededOnFailure} does for one deployment; their deployment stage
     * ends {@link io.fleet.api.pipeline.StageOutcome#REVERTED}. Not after a cancellation. Default
     * {@code false}.
     */
    public Run rollbackSucceededOnFailure(boolean rollback) {
      deployOptions.rollbackSucceededOnFailure(rollback);
      return this;
    }

    /** As {@link Deployer.Planner#rollback}. */
    public Run rollback(boolean rollback) {
      deployOptions.rollback(rollback);
      return this;
    }

    /** As {@link Deployer.Planner#compress}. */
    public Run compress(boolean compress) {
      deployOptions.compress(compress);
      return this;
    }

    /** As {@link Deployer.Planner#substituteOnHost}. */
    public Run substituteOnHost(boolean substitute) {
      deployOptions.substituteOnHost(substitute);
      return this;
    }

    /** As {@link Deployer.Planner#hostTimeout}. */
    public Run hostTimeout(Duration d) {
      deployOptions.hostTimeout(d);
      return this;
    }

    /** As {@link Deployer.Planner#commandTimeout}. */
    public Run commandTimeout(Duration d) {
      deployOptions.commandTimeout(d);
      return this;
    }

    /** As {@link Deployer.Planner#activationTimeout}. */
    public Run activationTimeout(Duration d) {
      deployOptions.activationTimeout(d);
      return this;
    }

    /** As {@link Deployer.Planner#rollbackWindow}. */
    public Run rollbackWindow(Duration d) {
      deployOptions.rollbackWindow(d);
      return this;
    }

    /** As {@link Deployer.Planner#reconnectTimeout}. */
    public Run reconnectTimeout(Duration d) {
      deployOptions.reconnectTimeout(d);
      return this;
    }

    /** Adds a health check, run on each host after activation and before confirmation. */
    public Run healthCheck(HealthCheck check) {
      deployOptions.addHealthChecks(Objects.requireNonNull(check, "health check"));
      return this;
    }

    /**
     * Runs the pipeline and reports what happened to every chosen host. Never throws for a host's
     * failure: that is in the report.
     *
     * @throws FleetConfigException if an option is invalid (checked before anything runs), a
     *     selector names a host the fleet does not have, or no host is chosen
     * @throws io.fleet.api.EvaluationException if the evaluation fails at the fleet level, before
     *     any host was delivered
     */
    public PipelineReport execute() {
      List<String> problems = new ArrayList<>();
      if (action == null) {
        problems.add("the action is null: give one of " + Arrays.toString(DeployAction.values()));
      }
      if (policy == null) {
        problems.add(
            "the failure policy is null: give one of " + Arrays.toString(FailurePolicy.values()));
      }
      if (buildParallelism < 1) {
        problems.add("build parallelism " + buildParallelism + " is less than 1");
      }
      if (deployParallelism < 1) {
        problems.add("deploy parallelism " + deployParallelism + " is less than 1");
      }
      if (canary < 0) {
        problems.add("canary " + canary + " is negative: give 0 (none) or more");
      }
      List<HostSelector> include = new ArrayList<>();
      List<HostSelector> exclude = new ArrayList<>();
      parse(selectors, include, problems);
      parse(skips, exclude, problems);
      if (!problems.isEmpty()) {
        throw new FleetConfigException("pipeline options are invalid:", problems);
      }
      String runId = id != null ? id : newId();
      // A plan of no host checks the deployment options (and the id) before anything runs.
      DeploymentPlan template = deployOptions.id(runId).action(action).build();
      if (fleet != null) {
        fleet.select(selectors, skips); // unknown names fail here, before anything runs
      }
      return new PipelineExecution(FleetPipeline.this, this, template, include, exclude).run();
    }

    private void parse(Collection<String> texts, List<HostSelector> out, List<String> problems) {
      for (String t : texts) {
        try {
          out.add(HostSelector.parse(t));
        } catch (FleetConfigException e) {
          problems.add(e.getMessage());
        }
      }
    }

    /** The run in one line: source, selectors and policies. */
    @Override
    public String toString() {
      return "FleetPipeline.Run{"
          + (fleet != null
              ? "fleet " + Names.quote(fleet.name())
              : flakeRef + "#" + Names.quote(configuration))
          + (selectors.isEmpty() ? "" : ", select " + selectors)
          + (skips.isEmpty() ? "" : ", skip " + skips)
          + ", "
          + action
          + ", build parallelism "
          + buildParallelism
          + ", deploy parallelism "
          + deployParallelism
          + ", "
          + policy
          + (canary > 0 ? ", canary " + canary : "")
          + "}";
    }
  }

  private String newId() {
    return "pipeline-"
        + ID_TIME.format(clock.instant())
        + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000000) | 0x1000000)
            .substring(1);
  }

  /** Builds a {@link FleetPipeline}. */
  public static final class Builder {
    private Transport transport;
    private Evaluator evaluator;
    private final List<PipelineListener> listeners = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private Deployer.Sleeper sleeper = d -> Thread.sleep(d.toMillis());
    private Deployer.HttpProbe http;

    private Builder() {}

    /** The transport to the hosts (required). */
    public Builder transport(Transport transport) {
      this.transport = transport;
      return this;
    }

    /** The evaluator that evaluates, builds, describes closures and exports paths (required). */
    public Builder evaluator(Evaluator evaluator) {
      this.evaluator = evaluator;
      return this;
    }

    /** Adds a listener for every stage's events (and the deployments' events, forwarded). */
    public Builder listener(PipelineListener listener) {
      if (listener == null) {
        throw new FleetConfigException("FleetPipeline listener is null: give one");
      }
      listeners.add(listener);
      return this;
    }

    /**
     * The clock for times and deadlines, and how to wait on it, as {@link Deployer.Builder#clock};
     * the default is the system clock.
     */
    public Builder clock(Clock clock, Deployer.Sleeper sleeper) {
      if (clock == null || sleeper == null) {
        throw new FleetConfigException("FleetPipeline clock and sleeper must both be given");
      }
      this.clock = clock;
      this.sleeper = sleeper;
      return this;
    }

    /** How HTTP health checks are fetched, as {@link Deployer.Builder#httpProbe}. */
    public Builder httpProbe(Deployer.HttpProbe probe) {
      this.http = probe;
      return this;
    }

    /**
     * The pipeline.
     *
     * @throws FleetConfigException if the transport or the evaluator is missing
     */
    public FleetPipeline build() {
      List<String> problems = new ArrayList<>();
      if (transport == null) {
        problems.add("no transport: call .transport(new SshTransport(...)) or a fake fleet's");
      }
      if (evaluator == null) {
        problems.add(
            "no evaluator (it evaluates, builds and copies): call .evaluator(NixEvaluator.create())");
      }
      if (!problems.isEmpty()) {
        throw new FleetConfigException("FleetPipeline.builder() is incomplete:", problems);
      }
      return new FleetPipeline(this);
    }
  }
}
