package io.fleet.transport.internal;

import io.fleet.api.FleetException;
import io.fleet.api.Host;
import io.fleet.api.TransportException;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.api.spi.Transport;
import io.fleet.transport.Deployer;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Deploys one host by {@link HostProtocol}: preflight, copy, (for a host built on the target) the
 * build there, arm, activate, checks, confirm, and the rollback when a step after arming fails.
 * Never throws: every end is a {@link HostReport}.
 */
public final class HostRun {
  private final HostRunContext ctx;
  private final ClosureCopy copy;
  private final HostLink link;
  private final Rollback rollback;
  private final Arming arming;
  private final Activation activation;
  private final HealthChecks checks;
  private final Confirmation confirmation;

  /** A run of {@code plan} on {@code host}. */
  public HostRun(
      DeploymentPlan plan,
      Host host,
      Transport transport,
      ClosureCopyFactory copies,
      Events events,
      Clock clock,
      Deployer.Sleeper sleeper,
      Deployer.HttpProbe http,
      BooleanSupplier cancelled) {
    this.ctx = new HostRunContext(plan, host, events, clock, cancelled);
    this.copy = copies.create(events);
    this.link = new HostLink(ctx, transport, sleeper);
    this.rollback = new Rollback(ctx, link);
    this.arming = new Arming(ctx, link, rollback);
    this.activation = new Activation(ctx, link, rollback);
    this.checks = new HealthChecks(ctx, link, rollback, http);
    this.confirmation = new Confirmation(ctx, link, rollback);
  }

  /**
   * Whether the copy can be compressed: the host's preflight reported {@code zstd} and zstd-jni
   * loads here. Otherwise says in a progress event why the copy goes uncompressed.
   */
  private boolean compressible() {
    String why;
    if (!ctx.before.zstd) {
      why = "the host has no zstd on its PATH";
    } else if (!ClosureCopy.zstdAvailable()) {
      why = "zstd-jni's native library does not load on this controller";
    } else {
      return true;
    }
    ctx.events.progress(ctx.name, DeployStep.COPY, "copying uncompressed: " + why, 0, 0);
    return false;
  }

  /** Makes the copier (it needs the evaluator, which the deployer holds). */
  @FunctionalInterface
  public interface ClosureCopyFactory {
    /** A copier sending events to {@code events}. */
    ClosureCopy create(Events events);
  }

  /** A copier over {@code evaluator}. */
  public static ClosureCopyFactory copies(io.fleet.api.spi.Evaluator evaluator) {
    return events -> new ClosureCopy(evaluator, events);
  }

  /** Runs the deployment of this host. */
  public HostReport run() {
    ctx.start = ctx.clock.instant();
    ctx.deadline = ctx.start.plus(ctx.plan.hostTimeout());
    ctx.report.startedAt(ctx.start);
    try {
      runSteps();
    } catch (HostRunContext.End e) {
      // the report is complete
    } catch (RuntimeException e) {
      // A bug or an unexpected failure: make sure the host is not left armed.
      String msg = "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
      if (ctx.armedAt != null) {
        try {
          rollback.rollback(msg);
        } catch (HostRunContext.End ignored) {
          // reported
        }
      } else {
        try {
          ctx.fail(HostOutcome.FAILED, msg + "; nothing was armed");
        } catch (HostRunContext.End ignored) {
          // reported: run() returns the report, it never throws
        }
      }
    } finally {
      link.closeAll();
    }
    if (ctx.failedStep != null) {
      ctx.report.failedStep(ctx.failedStep);
    }
    HostReport r =
        ctx.report
            .roundTrips(ctx.roundTrips)
            .rebooted(ctx.rebooted)
            .stepTimes(ctx.stepTimes)
            .duration(Duration.between(ctx.start, ctx.clock.instant()))
            .build();
    ctx.events.hostFinished(ctx.name, r.outcome(), r.error().orElse(""));
    return r;
  }

  private void runSteps() {
    DeployAction action = ctx.plan.action();
    // 1. preflight: one round trip
    ctx.begin(DeployStep.PREFLIGHT);
    List<StorePathInfo> closure = ctx.plan.closureOf(ctx.name);
    boolean buildOnTarget = ctx.plan.buildsOnTarget(ctx.name);
    List<String> query = closure.stream().map(StorePathInfo::path).collect(Collectors.toList());
    if (buildOnTarget) {
      query.add(ctx.system); // already built there: nothing to copy or build
    }
    try {
      ctx.conn = link.connect();
      ctx.before = link.status(ctx.conn, query);
    } catch (TransportException e) {
      ctx.fail(
          HostOutcome.FAILED, "cannot reach the host: " + e.getMessage() + "; nothing changed");
    }
    ctx.previousGeneration = ctx.before.generation;
    ctx.previousCurrent = ctx.before.current;
    ctx.report
        .generationBefore(ctx.before.generation)
        .systemBefore(ctx.before.current)
        .generationAfter(ctx.before.generation);
    if (ctx.before.marker.isPresent()) {
      ctx.fail(
          HostOutcome.FAILED,
          "the host has a rollback marker "
              + ctx.before.marker.get()
              + " (another deployment is armed or its watchdog is pending); wait for it to end,"
              + " or remove "
              + HostProtocol.MARKER
              + " if it is stale; nothing changed");
    }
    Set<String> missingSet = new HashSet<>(ctx.before.missing);
    boolean built = buildOnTarget && !missingSet.contains(ctx.system);
    List<StorePathInfo> missing =
        built
            ? List.of()
            : closure.stream()
                .filter(p -> missingSet.contains(p.path()))
                .collect(Collectors.toList());
    long need = missing.stream().mapToLong(StorePathInfo::narSize).sum();
    if (need > ctx.before.freeBytes) {
      ctx.fail(
          HostOutcome.FAILED,
          "the copy needs "
              + need
              + " bytes in /nix/store but only "
              + ctx.before.freeBytes
              + " are free; collect garbage on the host (nix-collect-garbage -d) and retry;"
              + " nothing changed");
    }
    ctx.done(
        built
            ? "the host already has the system " + ctx.system + ": nothing to copy or build"
            : missing.size() + " of " + closure.size() + " paths missing, " + need + " bytes");
    ctx.checkCancelledBeforeChange();

    // 2. copy
    ctx.begin(DeployStep.COPY);
    boolean compress = ctx.plan.compress() && !missing.isEmpty() && compressible();
    try {
      ClosureCopy.Result r =
          copy.copy(
              ctx.conn,
              ctx.name,
              missing,
              ctx.plan.substituteOnHost(),
              compress,
              ctx.sudo,
              ctx.remaining(ctx.plan.hostTimeout()));
      ctx.report
          .copiedPaths(r.copied)
          .copiedBytes(r.bytes)
          .substitutedPaths(r.substituted)
          .wireBytes(r.wireBytes)
          .compressed(r.compressed);
      ctx.done(
          r.copied.size()
              + " paths, "
              + r.bytes
              + " bytes copied"
              + (r.compressed ? ", " + r.wireBytes + " bytes on the wire with zstd" : ""));
    } catch (FleetException e) {
      ctx.fail(HostOutcome.FAILED, "copy failed: " + e.getMessage() + "; nothing was activated");
    }
    if (buildOnTarget && !built) {
      ctx.checkCancelledBeforeChange();
      ctx.checkDeadlineBeforeChange();
      ctx.begin(DeployStep.BUILD);
      String drv = ctx.plan.derivations().get(ctx.name);
      ctx.events.progress(
          ctx.name, DeployStep.BUILD, "nix-store --realise " + drv + " on the host", 0, 1);
      Optional<String> error =
          new TargetBuild(link::rt, ctx.report, ctx.name, ctx.sudo)
              .run(ctx.conn, drv, ctx.system, ctx.remaining(ctx.plan.hostTimeout()));
      if (error.isPresent()) {
        ctx.fail(HostOutcome.FAILED, error.get());
      }
      ctx.done("built " + ctx.system + " on the host from " + drv);
    }
    if (action == DeployAction.UPLOAD) {
      ctx.end(HostOutcome.UPLOADED, null);
    }
    ctx.checkCancelledBeforeChange();
    ctx.checkDeadlineBeforeChange();

    // 3. arm
    arming.arm();

    // 4. activate
    if (ctx.cancelled.getAsBoolean()) {
      rollback.rollback("cancelled before activation");
    }
    if (ctx.clock.instant().isAfter(ctx.deadline)) {
      rollback.rollback(
          "the host timeout of " + ctx.plan.hostTimeout() + " passed before activation");
    }
    activation.activate(false);

    // 5. checks
    ctx.begin(DeployStep.CHECK);
    for (HealthCheck check : ctx.plan.healthChecks()) {
      checks.run(check);
    }
    ctx.done(ctx.plan.healthChecks().size() + " checks passed");
    if (ctx.clock.instant().isAfter(ctx.deadline)) {
      rollback.rollback(
          "the host timeout of " + ctx.plan.hostTimeout() + " passed before confirmation");
    }

    // 6. confirm over a new connection
    if (ctx.disarmed) {
      ctx.begin(DeployStep.CONFIRM);
      link.stateIfReachable();
      ctx.done("confirmed when armed: rollback disabled");
      ctx.end(HostOutcome.CONFIRMED, null);
    }
    confirmation.confirm(true);
  }
}
