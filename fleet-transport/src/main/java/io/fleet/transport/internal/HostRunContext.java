package io.fleet.transport.internal;

import io.fleet.api.Host;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What one {@link HostRun} knows about its host as it goes: the plan, the report being built, the
 * current step and connection, the host's state before the deployment, and the ways a run ends.
 * Shared by the run and its {@link HostLink}, {@link Activation}, {@link Confirmation} and {@link
 * Rollback}.
 */
final class HostRunContext {
  /** Thrown inside the run to end it with a report. */
  static final class End extends RuntimeException {
    private static final long serialVersionUID = 1L;

    End() {
      super(null, null, false, false);
    }
  }

  final DeploymentPlan plan;
  final Host host;
  final String name;
  final String system;
  final Events events;
  final Clock clock;
  final BooleanSupplier cancelled;
  final boolean sudo;
  final HostReport.Builder report = HostReport.builder();
  final Map<DeployStep, Duration> stepTimes = new EnumMap<>(DeployStep.class);

  Instant start;
  Instant deadline;
  Connection conn;
  HostStatus before;

  /**
   * The host's generation and running system before the deployment (from arming, under the lock).
   */
  long previousGeneration;

  String previousCurrent;
  Instant armedAt;
  int roundTrips;
  DeployStep step;
  Instant stepStart;
  DeployStep failedStep;
  boolean rebooted;

  /**
   * Whether the host was armed and confirmed at once because the plan disables rollback: from then
   * on no watchdog and no marker exist, and a failure ends the run without rolling back.
   */
  boolean disarmed;

  HostRunContext(
      DeploymentPlan plan, Host host, Events events, Clock clock, BooleanSupplier cancelled) {
    this.plan = plan;
    this.host = host;
    this.name = host.name();
    this.system = plan.systems().get(name);
    this.events = events;
    this.clock = clock;
    this.cancelled = cancelled;
    this.sudo = host.deployTarget().needsSudo();
    report.host(name).system(system);
  }

  /** Whether {@code st} shows the host on the new system (running it, or as its profile). */
  boolean isOnTarget(HostStatus st) {
    return plan.action().runsNewSystem() ? system.equals(st.current) : system.equals(st.profile);
  }

  /** Whether the host's last rollback was of this deployment. */
  boolean rolledBack(HostStatus st) {
    return st.rollbackExitOf(plan.id()).isPresent();
  }

  /** The generation and running system of the host as {@code st} shows them. */
  void state(HostStatus st) {
    report.generationAfter(st.generation).systemAfter(st.current);
  }

  /** The time left before the host timeout, at most {@code cap} and at least a second. */
  Duration remaining(Duration cap) {
    Duration left = Duration.between(clock.instant(), deadline);
    return left.isNegative() || left.isZero() ? Duration.ofSeconds(1) : min(left, cap);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  void checkCancelledBeforeChange() {
    if (cancelled.getAsBoolean()) {
      failedStep = step;
      end(HostOutcome.CANCELLED, "cancelled before anything was activated; nothing changed");
    }
  }

  void checkDeadlineBeforeChange() {
    if (clock.instant().isAfter(deadline)) {
      fail(
          HostOutcome.FAILED,
          "the host timeout of " + plan.hostTimeout() + " passed; nothing was activated");
    }
  }

  void begin(DeployStep s) {
    recordStepTime();
    step = s;
    stepStart = clock.instant();
    events.started(name, s);
  }

  void recordStepTime() {
    if (step != null && stepStart != null) {
      stepTimes.merge(step, Duration.between(stepStart, clock.instant()), Duration::plus);
      stepStart = null;
    }
  }

  void done(String message) {
    events.finished(name, step, message);
  }

  void pending(String reason) {
    failedStep = step;
    pendingKeepStep(reason);
  }

  void pendingKeepStep(String reason) {
    if (failedStep == null) {
      failedStep = step;
    }
    if (disarmed) {
      report.generationAfter(Optional.empty());
      end(
          HostOutcome.FAILED,
          reason
              + "; rollback is disabled, so the host may run the new system, the old, or neither");
    }
    if (armedAt == null) {
      end(HostOutcome.FAILED, reason + "; the rollback was not armed, so nothing changed");
    }
    report.generationAfter(Optional.empty());
    end(
        HostOutcome.ROLLBACK_PENDING,
        reason + "; its watchdog rolls it back at " + armedAt.plus(plan.rollbackWindow()));
  }

  void fail(HostOutcome outcome, String error) {
    failedStep = step;
    events.failed(name, step, error);
    end(outcome, error);
  }

  void end(HostOutcome outcome, String error) {
    recordStepTime();
    report.outcome(outcome);
    if (error != null) {
      report.error(error);
    }
    if (outcome != HostOutcome.ROLLBACK_PENDING) {
      report.rollbackDueAt(Optional.empty());
    }
    throw new End();
  }
}
