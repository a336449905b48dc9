package io.fleet.transport.internal;

import io.fleet.api.DeploymentException;
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
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.api.spi.Transport;
import io.fleet.transport.Deployer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
  /** Thrown inside the run to end it with a report. */
  private static final class End extends RuntimeException {
    private static final long serialVersionUID = 1L;

    End() {
      super(null, null, false, false);
    }
  }

  private final DeploymentPlan plan;
  private final Host host;
  private final String name;
  private final String system;
  private final Transport transport;
  private final Events events;
  private final ClosureCopy copy;
  private final Clock clock;
  private final Deployer.Sleeper sleeper;
  private final Deployer.HttpProbe http;
  private final BooleanSupplier cancelled;
  private final boolean sudo;
  private final HostReport.Builder report = HostReport.builder();
  private final List<Connection> opened = new ArrayList<>();

  private Instant start;
  private Instant deadline;
  private Connection conn;
  private HostStatus before;

  /**
   * The host's generation and running system before the deployment (from arming, under the lock).
   */
  private long previousGeneration;

  private String previousCurrent;
  private Instant armedAt;
  private int roundTrips;
  private DeployStep step;
  private Instant stepStart;
  private DeployStep failedStep;
  private boolean rebooted;

  /**
   * Whether the host was armed and confirmed at once because the plan disables rollback: from then
   * on no watchdog and no marker exist, and a failure ends the run without rolling back.
   */
  private boolean disarmed;

  private final Map<DeployStep, Duration> stepTimes = new java.util.EnumMap<>(DeployStep.class);

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
    this.plan = plan;
    this.host = host;
    this.name = host.name();
    this.system = plan.systems().get(name);
    this.transport = transport;
    this.events = events;
    this.copy = copies.create(events);
    this.clock = clock;
    this.sleeper = sleeper;
    this.http = http;
    this.cancelled = cancelled;
    this.sudo = host.deployTarget().needsSudo();
    report.host(name).system(system);
  }

  /**
   * Whether the copy can be compressed: the host's preflight reported {@code zstd} and zstd-jni
   * loads here. Otherwise says in a progress event why the copy goes uncompressed.
   */
  private boolean compressible() {
    String why;
    if (!before.zstd) {
      why = "the host has no zstd on its PATH";
    } else if (!ClosureCopy.zstdAvailable()) {
      why = "zstd-jni's native library does not load on this controller";
    } else {
      return true;
    }
    events.progress(name, DeployStep.COPY, "copying uncompressed: " + why, 0, 0);
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
    start = clock.instant();
    deadline = start.plus(plan.hostTimeout());
    report.startedAt(start);
    try {
      runSteps();
    } catch (End e) {
      // the report is complete
    } catch (RuntimeException e) {
      // A bug or an unexpected failure: make sure the host is not left armed.
      String msg = "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
      if (armedAt != null) {
        try {
          rollback(msg);
        } catch (End ignored) {
          // reported
        }
      } else {
        end(HostOutcome.FAILED, msg);
      }
    } finally {
      for (Connection c : opened) {
        try {
          c.close();
        } catch (RuntimeException ignored) {
          // closing a broken connection may fail; nothing to do
        }
      }
    }
    if (failedStep != null) {
      report.failedStep(failedStep);
    }
    HostReport r =
        report
            .roundTrips(roundTrips)
            .rebooted(rebooted)
            .stepTimes(stepTimes)
            .duration(Duration.between(start, clock.instant()))
            .build();
    events.hostFinished(name, r.outcome(), r.error().orElse(""));
    return r;
  }

  private void runSteps() {
    DeployAction action = plan.action();
    // 1. preflight: one round trip
    begin(DeployStep.PREFLIGHT);
    List<StorePathInfo> closure = plan.closureOf(name);
    boolean buildOnTarget = plan.buildsOnTarget(name);
    List<String> query = closure.stream().map(StorePathInfo::path).collect(Collectors.toList());
    if (buildOnTarget) {
      query.add(system); // already built there: nothing to copy or build
    }
    try {
      conn = connect();
      before = status(conn, query);
    } catch (TransportException e) {
      fail(HostOutcome.FAILED, "cannot reach the host: " + e.getMessage() + "; nothing changed");
    }
    previousGeneration = before.generation;
    previousCurrent = before.current;
    report
        .generationBefore(before.generation)
        .systemBefore(before.current)
        .generationAfter(before.generation);
    if (before.marker.isPresent()) {
      fail(
          HostOutcome.FAILED,
          "the host has a rollback marker "
              + before.marker.get()
              + " (another deployment is armed or its watchdog is pending); wait for it to end,"
              + " or remove "
              + HostProtocol.MARKER
              + " if it is stale; nothing changed");
    }
    Set<String> missingSet = new HashSet<>(before.missing);
    boolean built = buildOnTarget && !missingSet.contains(system);
    List<StorePathInfo> missing =
        built
            ? List.of()
            : closure.stream()
                .filter(p -> missingSet.contains(p.path()))
                .collect(Collectors.toList());
    long need = missing.stream().mapToLong(StorePathInfo::narSize).sum();
    if (need > before.freeBytes) {
      fail(
          HostOutcome.FAILED,
          "the copy needs "
              + need
              + " bytes in /nix/store but only "
              + before.freeBytes
              + " are free; collect garbage on the host (nix-collect-garbage -d) and retry;"
              + " nothing changed");
    }
    done(
        built
            ? "the host already has the system " + system + ": nothing to copy or build"
            : missing.size() + " of " + closure.size() + " paths missing, " + need + " bytes");
    checkCancelledBeforeChange();

    // 2. copy
    begin(DeployStep.COPY);
    boolean compress = plan.compress() && !missing.isEmpty() && compressible();
    try {
      ClosureCopy.Result r =
          copy.copy(
              conn,
              name,
              missing,
              plan.substituteOnHost(),
              compress,
              sudo,
              remaining(plan.hostTimeout()));
      report
          .copiedPaths(r.copied)
          .copiedBytes(r.bytes)
          .substitutedPaths(r.substituted)
          .wireBytes(r.wireBytes)
          .compressed(r.compressed);
      done(
          r.copied.size()
              + " paths, "
              + r.bytes
              + " bytes copied"
              + (r.compressed ? ", " + r.wireBytes + " bytes on the wire with zstd" : ""));
    } catch (FleetException e) {
      fail(HostOutcome.FAILED, "copy failed: " + e.getMessage() + "; nothing was activated");
    }
    if (buildOnTarget && !built) {
      checkCancelledBeforeChange();
      checkDeadlineBeforeChange();
      begin(DeployStep.BUILD);
      String drv = plan.derivations().get(name);
      events.progress(name, DeployStep.BUILD, "nix-store --realise " + drv + " on the host", 0, 1);
      Optional<String> error =
          new TargetBuild(this::rt, report, name, sudo)
              .run(conn, drv, system, remaining(plan.hostTimeout()));
      if (error.isPresent()) {
        fail(HostOutcome.FAILED, error.get());
      }
      done("built " + system + " on the host from " + drv);
    }
    if (action == DeployAction.UPLOAD) {
      end(HostOutcome.UPLOADED, null);
    }
    checkCancelledBeforeChange();
    checkDeadlineBeforeChange();

    // 3. arm
    begin(DeployStep.ARM);
    armedAt = clock.instant();
    report.rollbackDueAt(armedAt.plus(plan.rollbackWindow()));
    CommandResult armed;
    try {
      armed =
          rt(
              conn,
              HostProtocol.arm(
                  plan.id(),
                  Math.max(1, plan.rollbackWindow().toSeconds()),
                  action.setsProfile() ? Optional.of(system) : Optional.empty(),
                  sudo,
                  plan.commandTimeout()));
    } catch (TransportException e) {
      afterLostArm(e);
      return;
    }
    if (armed.exitCode() == HostProtocol.EXIT_MARKER_EXISTS) {
      armedAt = null;
      fail(
          HostOutcome.FAILED,
          "another deployment armed the host first: " + armed.stderrText().trim());
    }
    if (!armed.isSuccess()) {
      rollback("arming failed (exit " + armed.exitCode() + "): " + armed.stderrText().trim());
    }
    previousFromArm(armed.stdoutText());
    generationAfter(armed.stdoutText());
    if (!plan.rollback()) {
      disarm();
    } else {
      done("armed; watchdog due at " + armedAt.plus(plan.rollbackWindow()));
    }

    // 4. activate
    if (cancelled.getAsBoolean()) {
      rollback("cancelled before activation");
    }
    if (clock.instant().isAfter(deadline)) {
      rollback("the host timeout of " + plan.hostTimeout() + " passed before activation");
    }
    activate(false);

    // 5. checks
    begin(DeployStep.CHECK);
    for (HealthCheck check : plan.healthChecks()) {
      runCheck(check);
    }
    done(plan.healthChecks().size() + " checks passed");
    if (clock.instant().isAfter(deadline)) {
      rollback("the host timeout of " + plan.hostTimeout() + " passed before confirmation");
    }

    // 6. confirm over a new connection
    if (disarmed) {
      begin(DeployStep.CONFIRM);
      stateIfReachable();
      done("confirmed when armed: rollback disabled");
      end(HostOutcome.CONFIRMED, null);
    }
    confirm(true);
  }

  /**
   * Rollback is disabled: confirm the deployment just armed, over the same connection, so the
   * watchdog timer is stopped and the marker removed before anything is activated. Arming and
   * confirming keep the protocol's lock and deployment-id checks; until the confirmation succeeds a
   * failure is rolled back as usual (nothing was activated yet).
   */
  private void disarm() {
    CommandResult r;
    try {
      r = rt(conn, HostProtocol.confirm(plan.id(), sudo, plan.commandTimeout()));
    } catch (TransportException e) {
      HostStatus st = statusAfterLoss(e, "while disarming the watchdog");
      if (st.markerId().filter(plan.id()::equals).isPresent()) {
        rollback("the connection was lost while disarming the watchdog (" + e.getMessage() + ")");
      }
      if (rolledBack(st)) {
        afterRollback(st, "the watchdog rolled the host back before it was disarmed");
      }
      if (st.marker.isPresent()) {
        fail(
            HostOutcome.FAILED,
            "the connection was lost while disarming the watchdog ("
                + e.getMessage()
                + ") and another deployment has armed the host since; nothing was activated");
      }
      r = null; // the confirmation went through before the connection broke
    }
    if (r != null && !r.isSuccess()) {
      rollback(
          "disarming the watchdog failed (exit "
              + r.exitCode()
              + "): "
              + r.stderrText().trim()
              + "; nothing was activated");
    }
    disarmed = true;
    armedAt = null;
    report.rollbackDueAt(Optional.empty());
    done("armed and confirmed at once: rollback disabled, no watchdog");
  }

  /** Reads the host's state into the report over the current connection, if it answers. */
  private void stateIfReachable() {
    try {
      if (conn == null || !conn.isOpen()) {
        conn = reconnect(plan.reconnectTimeout());
      }
      state(status(conn, List.of()));
    } catch (FleetException e) {
      report.systemAfter(Optional.empty());
    }
  }

  // ------------------------------------------------------------------ steps

  private void activate(boolean retry) {
    begin(DeployStep.ACTIVATE);
    String act = plan.action().activation().orElseThrow();
    CommandResult r;
    try {
      r = rt(conn, HostProtocol.activate(system, act, sudo, plan.activationTimeout()));
    } catch (TransportException e) {
      if (e.reason() == TransportException.Reason.TIMEOUT) {
        rollback(
            "switch-to-configuration "
                + act
                + " did not finish within "
                + plan.activationTimeout()
                + ": "
                + e.getMessage());
      }
      afterLostActivation(e, retry);
      return;
    }
    Map<String, List<String>> kv = HostProtocol.parse(r.stdoutText());
    String output = activationOutput(kv.getOrDefault("activation-log", List.of()));
    if (!kv.containsKey("activation-exit")) {
      // systemd-run returned without the activation's result: it could not start the unit, or it
      // lost systemd (the host is shutting down). Look at the host before deciding.
      String why = r.stderrText().trim().isEmpty() ? "exit " + r.exitCode() : r.stderrText().trim();
      afterLostActivation(
          new TransportException(
              name,
              TransportException.Reason.CONNECTION_LOST,
              "switch-to-configuration " + act + " left no result: " + why),
          true);
      return;
    }
    if (!r.isSuccess()) {
      rollback(
          "switch-to-configuration "
              + act
              + " failed (exit "
              + r.exitCode()
              + "): "
              + (output.isEmpty() ? r.stderrText().trim() : output));
    }
    done("switch-to-configuration " + act + " succeeded");
  }

  /** Records the activation's output in the report; returns it trimmed. */
  private String activationOutput(List<String> lines) {
    String text = String.join("\n", lines).trim();
    if (!text.isEmpty()) {
      report.activationOutput(text);
    }
    return text;
  }

  /** The connection broke during activation: find out what the host did. */
  private void afterLostActivation(TransportException e, boolean retried) {
    events.failed(name, DeployStep.ACTIVATE, "connection lost: " + e.getMessage());
    HostStatus st = statusAfterLoss(e, "during activation");
    Instant waitUntil = clock.instant().plus(plan.activationTimeout());
    while (st.activating && clock.instant().isBefore(waitUntil)) {
      pause(Duration.ofSeconds(2));
      st = statusAfterLoss(e, "while waiting for activation");
    }
    if (st.activating) {
      rollback("switch-to-configuration was still running after " + plan.activationTimeout());
    }
    checkStillOurs(st, "during activation");
    String act = plan.action().activation().orElseThrow();
    String output = activationOutput(st.activationLog);
    if (plan.action() == DeployAction.BOOT && !retried && st.activationExit.isEmpty()) {
      // `switch-to-configuration boot` is idempotent: run it again to know its result.
      activate(true);
      return;
    }
    int exit = st.activationExit.orElse(0);
    if (exit != 0) {
      rollback(
          "switch-to-configuration "
              + act
              + " failed (exit "
              + exit
              + ") while the connection was down ("
              + e.getMessage()
              + "): "
              + output);
    }
    if (!isOnTarget(st)) {
      rollback(
          "the connection was lost during activation ("
              + e.getMessage()
              + ") and the host does not run the new system");
    }
    done("activation finished while the connection was down");
  }

  private void afterLostArm(TransportException e) {
    events.failed(name, DeployStep.ARM, "connection lost: " + e.getMessage());
    HostStatus st = statusAfterLoss(e, "while arming");
    if (st.markerId().filter(plan.id()::equals).isPresent()) {
      rollback("the connection was lost while arming (" + e.getMessage() + ")");
    }
    armedAt = null;
    report.rollbackDueAt(Optional.empty());
    fail(
        HostOutcome.FAILED,
        "the connection was lost before the rollback was armed ("
            + e.getMessage()
            + "); nothing changed");
  }

  private void runCheck(HealthCheck check) {
    String why = null;
    for (int attempt = 1; attempt <= check.attempts(); attempt++) {
      if (attempt > 1) {
        pause(check.interval());
      }
      if (!check.command().isEmpty()) {
        try {
          CommandResult r =
              rt(
                  conn,
                  Command.builder()
                      .argv(check.command())
                      .sudo(sudo)
                      .timeout(check.timeout())
                      .build());
          if (r.isSuccess()) {
            return;
          }
          why =
              "exit "
                  + r.exitCode()
                  + ": "
                  + (r.stdoutText().trim() + " " + r.stderrText().trim()).trim();
        } catch (TransportException e) {
          if (e.reason() == TransportException.Reason.UNSUPPORTED_COMMAND) {
            rollback("health check " + check.name() + " is not understood: " + e.getMessage());
          }
          why = e.getMessage();
          conn = reconnectOrPending("during the health check " + check.name());
        }
      } else {
        URI url = check.urlFor(host.deployTarget().address()).orElseThrow();
        Optional<String> problem = http.problem(url, check.timeout());
        if (problem.isEmpty()) {
          return;
        }
        why = "GET " + url + ": " + problem.get();
      }
    }
    events.failed(name, DeployStep.CHECK, check.name() + ": " + why);
    rollback(
        "health check '"
            + check.name()
            + "' failed after "
            + check.attempts()
            + " attempt(s): "
            + why);
  }

  private void confirm(boolean mayRetry) {
    begin(DeployStep.CONFIRM);
    Connection fresh;
    try {
      fresh = reconnect(plan.reconnectTimeout());
    } catch (TransportException e) {
      pending("the host could not be reached again to confirm: " + e.getMessage());
      return;
    }
    CommandResult r;
    try {
      r = rt(fresh, HostProtocol.confirm(plan.id(), sudo, plan.commandTimeout()));
    } catch (TransportException e) {
      conn = fresh;
      HostStatus st = statusAfterLoss(e, "during confirmation");
      if (st.marker.isEmpty() && isOnTarget(st) && !st.rollingBack && !rolledBack(st)) {
        state(st);
        end(HostOutcome.CONFIRMED, null);
      }
      if (st.markerId().filter(plan.id()::equals).isPresent() && mayRetry) {
        confirm(false);
        return;
      }
      checkStillOurs(st, "during confirmation");
      rollback("the confirmation was lost: " + e.getMessage());
      return;
    }
    HostStatus st =
        HostStatus.hasState(r.stdoutText()) ? HostStatus.parseState(r.stdoutText(), name) : null;
    if (r.exitCode() == HostProtocol.EXIT_NO_MARKER
        || (r.exitCode() == HostProtocol.EXIT_OTHER_DEPLOYMENT && st != null && rolledBack(st))) {
      failedStep = DeployStep.CONFIRM;
      String why =
          "the watchdog rolled the host back before it was confirmed (rollback window "
              + plan.rollbackWindow()
              + "); lengthen the window if activation and checks need longer";
      if (st == null) {
        report.rolledBackBy("watchdog");
        end(HostOutcome.ROLLED_BACK, why);
      }
      afterRollback(st, why);
    }
    if (!r.isSuccess() || st == null) {
      failedStep = DeployStep.CONFIRM;
      end(
          HostOutcome.ROLLBACK_FAILED,
          "confirmation refused (exit " + r.exitCode() + "): " + r.stderrText().trim());
    }
    state(st);
    if (!st.bootId.equals(before.bootId)) {
      rebooted = true;
    }
    done("confirmed");
    end(HostOutcome.CONFIRMED, null);
  }

  /** Rolls back at once (unless rollback is disabled and the host disarmed); ends the run. */
  private void rollback(String reason) {
    DeployStep failedAt = step;
    if (failedStep == null) {
      failedStep = failedAt;
    }
    events.failed(name, failedAt, reason);
    if (disarmed) {
      stateIfReachable();
      end(
          HostOutcome.FAILED,
          reason
              + "; rollback is disabled: the host was not rolled back and stays on the new"
              + " generation");
    }
    begin(DeployStep.ROLLBACK);
    Connection c;
    try {
      c = conn != null && conn.isOpen() ? conn : reconnect(plan.reconnectTimeout());
    } catch (TransportException e) {
      pendingKeepStep(reason + "; the host cannot be reached to roll back: " + e.getMessage());
      return;
    }
    CommandResult r;
    try {
      r = rt(c, HostProtocol.rollbackNow(plan.id(), sudo, plan.activationTimeout()));
    } catch (TransportException e) {
      // The rollback runs under systemd-run and survives a dropped connection; look, and if it
      // never started, try once more over a new connection.
      try {
        conn = reconnect(plan.reconnectTimeout());
        HostStatus st = status(conn, List.of());
        if (st.markerId().filter(plan.id()::equals).isEmpty()) {
          afterRollback(st, reason);
        }
        r = rt(conn, HostProtocol.rollbackNow(plan.id(), sudo, plan.activationTimeout()));
      } catch (TransportException e2) {
        pendingKeepStep(
            reason + "; the connection was lost while rolling back: " + e2.getMessage());
        return;
      }
    }
    HostStatus st =
        HostStatus.hasState(r.stdoutText()) ? HostStatus.parseState(r.stdoutText(), name) : null;
    if (st != null && r.exitCode() == HostProtocol.EXIT_OTHER_DEPLOYMENT && rolledBack(st)) {
      // Our watchdog rolled the host back, and another deployment has armed it since.
      afterRollback(st, reason);
    }
    if (!r.isSuccess() || st == null) {
      String log = st == null ? "" : String.join("\n", st.rollbackLog).trim();
      end(
          HostOutcome.ROLLBACK_FAILED,
          reason
              + "; rolling back failed (exit "
              + r.exitCode()
              + "): "
              + (r.stderrText().trim() + " " + log).trim()
              + "; the host needs an operator");
    }
    afterRollback(st, reason);
  }

  /**
   * Ends the run after a rollback, whoever performed it, with the host's state as read after it:
   * {@link HostOutcome#ROLLED_BACK} if the host is back on its previous generation and system,
   * {@link HostOutcome#ROLLBACK_INCOMPLETE} if it is on neither that nor the new one.
   */
  private void afterRollback(HostStatus st, String reason) {
    state(st);
    report.rolledBackBy(st.rolledBackBy(plan.id()).orElse("unknown"));
    Optional<Integer> exit = st.rollbackExitOf(plan.id());
    if (exit.isPresent() && exit.get() != 0) {
      done("rolled back to generation " + st.generation + ", whose activation failed");
      end(
          HostOutcome.ROLLBACK_INCOMPLETE,
          reason
              + "; rolled back to generation "
              + st.generation
              + ", but its activation failed (exit "
              + exit.get()
              + "): "
              + String.join("\n", st.rollbackLog).trim()
              + "; the host runs "
              + st.current
              + "; it needs an operator");
    }
    if (st.generation != previousGeneration || !st.current.equals(previousCurrent)) {
      done("rolled back, but to neither the previous nor the new system");
      end(
          HostOutcome.ROLLBACK_INCOMPLETE,
          reason
              + "; the rollback left the host on generation "
              + st.generation
              + " running "
              + st.current
              + ", neither its previous system "
              + previousCurrent
              + " (generation "
              + previousGeneration
              + ") nor the new one; it needs an operator");
    }
    done("rolled back to generation " + st.generation);
    end(HostOutcome.ROLLED_BACK, reason);
  }

  /** Whether the host's last rollback was of this deployment. */
  private boolean rolledBack(HostStatus st) {
    return st.rollbackExitOf(plan.id()).isPresent();
  }

  /** The generation and running system of the host as {@code st} shows them. */
  private void state(HostStatus st) {
    report.generationAfter(st.generation).systemAfter(st.current);
  }

  /** The previous generation and system, as the arm script read them under the lock. */
  private void previousFromArm(String stdout) {
    Map<String, List<String>> kv = HostProtocol.parse(stdout);
    List<String> g = kv.get("previous-generation");
    List<String> c = kv.get("previous-current");
    if (g != null && c != null) {
      try {
        previousGeneration = Long.parseLong(g.get(0).trim());
        previousCurrent = c.get(0);
        report.generationBefore(previousGeneration).systemBefore(previousCurrent);
      } catch (NumberFormatException e) {
        // keep the preflight's
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  private boolean isOnTarget(HostStatus st) {
    return plan.action().runsNewSystem() ? system.equals(st.current) : system.equals(st.profile);
  }

  /** After a lost connection: reconnect and query; unreachable means the watchdog takes over. */
  private HostStatus statusAfterLoss(TransportException e, String when) {
    conn = reconnectOrPending(when + " (" + e.getMessage() + ")");
    try {
      HostStatus st = status(conn, List.of());
      if (!st.bootId.equals(before.bootId)) {
        rebooted = true;
      }
      return st;
    } catch (TransportException e2) {
      pendingKeepStep("the connection was lost " + when + " and again: " + e2.getMessage());
      throw new End();
    }
  }

  /** If our marker is gone, a watchdog rolled the host back: end with that. */
  private void checkStillOurs(HostStatus st, String when) {
    if (disarmed) {
      return;
    }
    if (st.markerId().filter(plan.id()::equals).isEmpty()) {
      if (failedStep == null) {
        failedStep = step;
      }
      afterRollback(
          st,
          "the connection was lost "
              + when
              + " and the host rolled itself back"
              + (rebooted ? " after a reboot" : ""));
    }
  }

  private Connection reconnectOrPending(String when) {
    try {
      return reconnect(plan.reconnectTimeout());
    } catch (TransportException e) {
      pendingKeepStep("the connection was lost " + when + " and the host cannot be reached");
      throw new End();
    }
  }

  /** Opens a connection, retrying with backoff for up to {@code timeout}. */
  private Connection reconnect(Duration timeout) {
    Instant until = clock.instant().plus(timeout);
    Duration backoff = Duration.ofSeconds(1);
    while (true) {
      try {
        return connect();
      } catch (TransportException e) {
        if (e.reason() == TransportException.Reason.HOST_KEY_MISMATCH
            || e.reason() == TransportException.Reason.AUTHENTICATION
            || !clock.instant().plus(backoff).isBefore(until)) {
          throw e;
        }
        pause(backoff);
        backoff =
            backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                ? Duration.ofSeconds(10)
                : backoff.multipliedBy(2);
      }
    }
  }

  private Connection connect() {
    Connection c = transport.connect(host);
    opened.add(c);
    return c;
  }

  private void pause(Duration d) {
    try {
      sleeper.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HostStatus status(Connection c, List<String> paths) {
    CommandResult r = rt(c, HostProtocol.status(paths, sudo, plan.commandTimeout()));
    if (!r.isSuccess()) {
      throw new DeploymentException(
          name,
          "the status query on "
              + name
              + " failed (exit "
              + r.exitCode()
              + "): "
              + r.stderrText().trim(),
          null);
    }
    return HostStatus.parse(r.stdoutText(), name);
  }

  private CommandResult rt(Connection c, Command command) {
    roundTrips++;
    return c.run(command);
  }

  private void generationAfter(String stdout) {
    List<String> g = HostProtocol.parse(stdout).get("generation");
    if (g != null) {
      try {
        report.generationAfter(Long.parseLong(g.get(0).trim()));
      } catch (NumberFormatException e) {
        report.generationAfter(Optional.empty());
      }
    }
  }

  private Duration remaining(Duration cap) {
    Duration left = Duration.between(clock.instant(), deadline);
    return left.isNegative() || left.isZero() ? Duration.ofSeconds(1) : min(left, cap);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private void checkCancelledBeforeChange() {
    if (cancelled.getAsBoolean()) {
      failedStep = step;
      end(HostOutcome.CANCELLED, "cancelled before anything was activated; nothing changed");
    }
  }

  private void checkDeadlineBeforeChange() {
    if (clock.instant().isAfter(deadline)) {
      fail(
          HostOutcome.FAILED,
          "the host timeout of " + plan.hostTimeout() + " passed; nothing was activated");
    }
  }

  private void begin(DeployStep s) {
    recordStepTime();
    step = s;
    stepStart = clock.instant();
    events.started(name, s);
  }

  private void recordStepTime() {
    if (step != null && stepStart != null) {
      stepTimes.merge(step, Duration.between(stepStart, clock.instant()), Duration::plus);
      stepStart = null;
    }
  }

  private void done(String message) {
    events.finished(name, step, message);
  }

  private void pending(String reason) {
    failedStep = step;
    pendingKeepStep(reason);
  }

  private void pendingKeepStep(String reason) {
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

  private void fail(HostOutcome outcome, String error) {
    failedStep = step;
    events.failed(name, step, error);
    end(outcome, error);
  }

  private void end(HostOutcome outcome, String error) {
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
