package io.fleet.testkit;

import java.util.List;
import org.assertj.core.api.AbstractAssert;

/** Assertions on a {@link FakeHost}; get one with {@link FleetAssertions#assertThat(FakeHost)}. */
public final class FakeHostAssert extends AbstractAssert<FakeHostAssert, FakeHost> {
  FakeHostAssert(FakeHost actual) {
    super(actual, FakeHostAssert.class);
  }

  /** The profile is on generation {@code n}. */
  public FakeHostAssert isOnGeneration(long n) {
    isNotNull();
    if (actual.generation() != n) {
      failWithMessage(
          "Expected host <%s> to be on generation <%s> but it is on <%s> (generations %s)",
          actual.name(), n, actual.generation(), actual.generations());
    }
    return this;
  }

  /** The host runs {@code systemPath} ({@code /run/current-system}). */
  public FakeHostAssert isRunning(String systemPath) {
    isNotNull();
    if (!systemPath.equals(actual.currentSystem())) {
      failWithMessage(
          "Expected host <%s> to run <%s> but it runs <%s>",
          actual.name(), systemPath, actual.currentSystem());
    }
    return this;
  }

  /** The profile points at {@code systemPath} (what the host boots). */
  public FakeHostAssert boots(String systemPath) {
    isNotNull();
    if (!systemPath.equals(actual.profileSystem())) {
      failWithMessage(
          "Expected host <%s> to boot <%s> but its profile is <%s>",
          actual.name(), systemPath, actual.profileSystem());
    }
    return this;
  }

  /** No rollback marker and no watchdog armed: nothing will roll the host back. */
  public FakeHostAssert hasNoRollbackMarker() {
    isNotNull();
    if (actual.rollbackMarker().isPresent()) {
      failWithMessage(
          "Expected host <%s> to have no rollback marker but it has <%s>",
          actual.name(), actual.rollbackMarker().get());
    }
    if (actual.watchdogDue().isPresent() || actual.bootWatchdogDue().isPresent()) {
      failWithMessage(
          "Expected host <%s> to have no watchdog armed but one is due at <%s>",
          actual.name(), actual.watchdogDue().or(actual::bootWatchdogDue).get());
    }
    return this;
  }

  /** A rollback marker exists. */
  public FakeHostAssert hasRollbackMarker() {
    isNotNull();
    if (actual.rollbackMarker().isEmpty()) {
      failWithMessage(
          "Expected host <%s> to have a rollback marker but it has none", actual.name());
    }
    return this;
  }

  /** The host was rolled back at least once (by the deployer, a watchdog or a revert). */
  public FakeHostAssert rolledBack() {
    isNotNull();
    if (actual.rollbacks().isEmpty()) {
      failWithMessage(
          "Expected host <%s> to have been rolled back but it never was", actual.name());
    }
    return this;
  }

  /**
   * The host was rolled back, the last time by {@code who} ({@code deployer}, {@code watchdog}…).
   */
  public FakeHostAssert rolledBackBy(String who) {
    rolledBack();
    List<String> all = actual.rollbacks();
    String last = all.get(all.size() - 1);
    if (!last.startsWith(who + ":")) {
      failWithMessage(
          "Expected host <%s> to have been rolled back by <%s> but its rollbacks are %s",
          actual.name(), who, all);
    }
    return this;
  }

  /** The host was never rolled back. */
  public FakeHostAssert wasNotRolledBack() {
    isNotNull();
    if (!actual.rollbacks().isEmpty()) {
      failWithMessage(
          "Expected host <%s> never to have been rolled back but it was: %s",
          actual.name(), actual.rollbacks());
    }
    return this;
  }

  /** The host received no command it did not understand. */
  public FakeHostAssert receivedOnlyKnownCommands() {
    isNotNull();
    if (!actual.unsupportedCommands().isEmpty()) {
      failWithMessage(
          "Expected host <%s> to understand every command but it did not understand %s",
          actual.name(), actual.unsupportedCommands());
    }
    return this;
  }

  /**
   * A deployment was confirmed on the host (it received a confirmation that found its own rollback
   * marker) and no rollback marker is left, so no watchdog will roll it back.
   */
  public FakeHostAssert wasConfirmed() {
    isNotNull();
    if (actual.confirmations() == 0) {
      failWithMessage(
          "Expected host <%s> to have confirmed a deployment but it never did (rollbacks %s,"
              + " generation %s, marker %s)",
          actual.name(),
          actual.rollbacks(),
          actual.generation(),
          actual.rollbackMarker().map(Object::toString).orElse("none"));
    }
    return hasNoRollbackMarker();
  }

  /** No deployment was ever confirmed on the host. */
  public FakeHostAssert wasNotConfirmed() {
    isNotNull();
    if (actual.confirmations() != 0) {
      failWithMessage(
          "Expected host <%s> never to have confirmed a deployment but it confirmed %s",
          actual.name(), actual.confirmations());
    }
    return this;
  }

  /**
   * The host runs and boots a system other than the one it started with (generation 1's), on its
   * newest generation, with no rollback marker left: a deployment took effect and stayed.
   */
  public FakeHostAssert isOnNewSystem() {
    isNotNull();
    String initial = actual.systemOfGeneration(1).orElse(null);
    long newest = actual.generations().keySet().stream().mapToLong(Long::longValue).max().orElse(1);
    if (actual.currentSystem().equals(initial)
        || !actual.currentSystem().equals(actual.profileSystem())
        || actual.generation() != newest
        || actual.rollbackMarker().isPresent()) {
      failWithMessage(
          "Expected host <%s> to be on a new system but it runs <%s> and boots <%s> (generation"
              + " %s of %s; it started with <%s>; marker %s; rollbacks %s)",
          actual.name(),
          actual.currentSystem(),
          actual.profileSystem(),
          actual.generation(),
          newest,
          initial,
          actual.rollbackMarker().map(Object::toString).orElse("none"),
          actual.rollbacks());
    }
    return this;
  }

  /** The host runs and boots the system it started with (generation 1's). */
  public FakeHostAssert isOnInitialSystem() {
    isNotNull();
    String initial = actual.systemOfGeneration(1).orElse(null);
    if (!actual.currentSystem().equals(initial) || !actual.profileSystem().equals(initial)) {
      failWithMessage(
          "Expected host <%s> to be on the system it started with <%s> but it runs <%s> and"
              + " boots <%s>",
          actual.name(), initial, actual.currentSystem(), actual.profileSystem());
    }
    return this;
  }

  /** The host has file {@code path} (such as an installed secret). */
  public FakeHostAssert hasFile(String path) {
    isNotNull();
    if (actual.readFile(path).isEmpty()) {
      failWithMessage("Expected host <%s> to have file <%s> but it does not", actual.name(), path);
    }
    return this;
  }
}
