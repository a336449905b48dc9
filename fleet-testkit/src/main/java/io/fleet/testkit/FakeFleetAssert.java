package io.fleet.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.assertj.core.api.AbstractAssert;

/**
 * Assertions on every host of a {@link FakeFleet}; get one with {@link
 * FleetAssertions#assertThat(FakeFleet)}. Each one checks all hosts and names every host that
 * fails, not only the first.
 */
public final class FakeFleetAssert extends AbstractAssert<FakeFleetAssert, FakeFleet> {
  FakeFleetAssert(FakeFleet actual) {
    super(actual, FakeFleetAssert.class);
  }

  /** Every host is on a new system ({@link FakeHostAssert#isOnNewSystem()}). */
  public FakeFleetAssert allOnNewSystem() {
    return every("to be on a new system", h -> FleetAssertions.assertThat(h).isOnNewSystem());
  }

  /** Every host confirmed a deployment ({@link FakeHostAssert#wasConfirmed()}). */
  public FakeFleetAssert allConfirmed() {
    return every(
        "to have confirmed a deployment", h -> FleetAssertions.assertThat(h).wasConfirmed());
  }

  /** No host has a rollback marker or an armed watchdog. */
  public FakeFleetAssert hasNoRollbackMarkers() {
    return every(
        "to have no rollback marker", h -> FleetAssertions.assertThat(h).hasNoRollbackMarker());
  }

  /** No host received a command it did not understand. */
  public FakeFleetAssert receivedOnlyKnownCommands() {
    return every(
        "to understand every command",
        h -> FleetAssertions.assertThat(h).receivedOnlyKnownCommands());
  }

  /**
   * Exactly {@code hosts} are on a new system and every other host is still on the system it
   * started with: what a deployment of those hosts, with the others skipped or rolled back, leaves.
   */
  public FakeFleetAssert hasOnNewSystemExactly(String... hosts) {
    isNotNull();
    Set<String> expected = new TreeSet<>(Arrays.asList(hosts));
    Set<String> unknown = new TreeSet<>(expected);
    actual.hosts().forEach(h -> unknown.remove(h.name()));
    if (!unknown.isEmpty()) {
      failWithMessage(
          "Expected hosts %s of fake fleet <%s>, which has no such hosts", unknown, actual);
    }
    Set<String> onNew = new TreeSet<>();
    for (FakeHost h : actual.hosts()) {
      if (passes(h, x -> FleetAssertions.assertThat(x).isOnNewSystem())) {
        onNew.add(h.name());
      }
    }
    List<String> notInitial = new ArrayList<>();
    for (FakeHost h : actual.hosts()) {
      if (!expected.contains(h.name())
          && !passes(h, x -> FleetAssertions.assertThat(x).isOnInitialSystem())) {
        notInitial.add(h.name() + " runs " + h.currentSystem());
      }
    }
    if (!onNew.equals(expected) || !notInitial.isEmpty()) {
      failWithMessage(
          "Expected exactly %s on a new system but %s are%s",
          expected,
          onNew,
          notInitial.isEmpty() ? "" : "; and not on their initial system: " + notInitial);
    }
    return this;
  }

  /** Exactly {@code hosts} were rolled back (by anyone), the others never. */
  public FakeFleetAssert hasRolledBackExactly(String... hosts) {
    isNotNull();
    Set<String> expected = new TreeSet<>(Arrays.asList(hosts));
    Set<String> rolled =
        actual.hosts().stream()
            .filter(h -> !h.rollbacks().isEmpty())
            .map(FakeHost::name)
            .collect(Collectors.toCollection(TreeSet::new));
    if (!rolled.equals(expected)) {
      failWithMessage("Expected exactly %s to have been rolled back but %s were", expected, rolled);
    }
    return this;
  }

  private FakeFleetAssert every(String what, Consumer<FakeHost> check) {
    isNotNull();
    List<String> failures = new ArrayList<>();
    for (FakeHost h : actual.hosts()) {
      try {
        check.accept(h);
      } catch (AssertionError e) {
        failures.add(e.getMessage().trim());
      }
    }
    if (!failures.isEmpty()) {
      failWithMessage(
          "Expected every host of <%s> %s but %s of %s did not:%n  %s",
          actual,
          what,
          failures.size(),
          actual.hosts().size(),
          String.join(System.lineSeparator() + "  ", failures));
    }
    return this;
  }

  private static boolean passes(FakeHost h, Consumer<FakeHost> check) {
    try {
      check.accept(h);
      return true;
    } catch (AssertionError e) {
      return false;
    }
  }
}
