package io.fleet.testkit.internal;

import io.fleet.api.spi.StorePathInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * What a fake host's NixOS side holds: its Nix store, the system profile's generations, the running
 * system, the boot id, free space, the rollback marker and watchdogs, the records of the last
 * activation and rollback, and the one-shot failures a test scripted. {@link FakeHostProtocol}
 * changes it as the host's commands do; {@code FakeHost} reads it for verification.
 *
 * <p>Not thread-safe: guarded by the owning {@code FakeHost}'s lock.
 */
public final class FakeHostState {
  final Map<String, StorePathInfo> store = new HashMap<>();
  final Set<String> substitutable = new HashSet<>();
  final TreeMap<Long, String> generations = new TreeMap<>();
  final List<String> rollbackLog = new ArrayList<>();
  final List<String> built = new ArrayList<>();

  long profileGeneration;
  String currentSystem;
  String bootId = UUID.randomUUID().toString();
  long freeBytes = 64L << 30;
  List<String> marker;
  Instant watchdogDue;
  Instant bootWatchdogDue;
  Duration bootWatchdogWindow = Duration.ofMinutes(10);
  boolean activating;
  boolean failActivation;
  boolean failRollbackActivation;
  String watchdogId;
  String lastRollback;
  String activationExit;
  String activationLog = "";
  boolean hangActivation;
  boolean diskFullOnCopy;
  String buildFailure;
  Function<String, Optional<FakeRealisation.Derivation>> derivations = d -> Optional.empty();
  boolean zstd = true;
  long importBytesReceived;
  String unhealthyExceptOn;
  int reboots;
  int confirmations;

  /** A host running {@code initialSystem} as generation 1, whose store holds {@code closure}. */
  public FakeHostState(String initialSystem, Collection<StorePathInfo> closure) {
    for (StorePathInfo p : closure) {
      store.put(p.path(), p);
    }
    generations.put(1L, initialSystem);
    profileGeneration = 1;
    currentSystem = initialSystem;
  }

  // ---------------------------------------------------------------- for verification

  /** The system profile's current generation number. */
  public long generation() {
    return profileGeneration;
  }

  /** The system path of generation {@code n}, if it exists. */
  public Optional<String> systemOfGeneration(long n) {
    return Optional.ofNullable(generations.get(n));
  }

  /** Every generation, number to system path (a copy). */
  public Map<Long, String> generations() {
    return new TreeMap<>(generations);
  }

  /** The system the host runs. */
  public String currentSystem() {
    return currentSystem;
  }

  /** The system the profile points at. */
  public String profileSystem() {
    return generations.get(profileGeneration);
  }

  /** The boot id. */
  public String bootId() {
    return bootId;
  }

  /** How many times the host rebooted. */
  public int reboots() {
    return reboots;
  }

  /** The rollback marker's lines, if any (a copy). */
  public Optional<List<String>> rollbackMarker() {
    return Optional.ofNullable(marker).map(List::copyOf);
  }

  /** When the transient watchdog timer fires, if it is armed. */
  public Optional<Instant> watchdogDue() {
    return Optional.ofNullable(watchdogDue);
  }

  /** When the boot-time watchdog fires, if it is armed. */
  public Optional<Instant> bootWatchdogDue() {
    return Optional.ofNullable(bootWatchdogDue);
  }

  /** Whether {@code switch-to-configuration} is (still) running. */
  public boolean isActivating() {
    return activating;
  }

  /** Every rollback the host ran, oldest first. */
  public List<String> rollbacks() {
    return List.copyOf(rollbackLog);
  }

  /** Whether the store holds {@code path}. */
  public boolean hasPath(String path) {
    return store.containsKey(path);
  }

  /** The store's paths (a copy). */
  public Set<String> storePaths() {
    return new HashSet<>(store.keySet());
  }

  /** Free bytes in {@code /nix/store}. */
  public long freeBytes() {
    return freeBytes;
  }

  /** The bytes the host's imports read from standard input so far. */
  public long importBytesReceived() {
    return importBytesReceived;
  }

  /** The store paths this host built itself, in order. */
  public List<String> builtPaths() {
    return List.copyOf(built);
  }

  /** How many deployments this host confirmed. */
  public int confirmations() {
    return confirmations;
  }

  /** Whether health checks pass: on every system unless new systems were made unhealthy. */
  public boolean healthy() {
    return unhealthyExceptOn == null || unhealthyExceptOn.equals(currentSystem);
  }

  // ---------------------------------------------------------------- scripting

  /** Lets the host's binary cache serve {@code paths}. */
  public void cacheHas(Collection<String> paths) {
    substitutable.addAll(paths);
  }

  /** Whether the host has {@code zstd}. */
  public void zstd(boolean has) {
    zstd = has;
  }

  /** Sets the free bytes in {@code /nix/store}. */
  public void freeBytes(long bytes) {
    freeBytes = bytes;
  }

  /** How long after a reboot the boot-time watchdog fires. */
  public void bootWatchdogWindow(Duration d) {
    bootWatchdogWindow = d;
  }

  /** The next activation fails after switching (exit 4). */
  public void failNextActivation() {
    failActivation = true;
  }

  /** The next rollback's activation of the previous generation fails (exit 4). */
  public void failNextRollbackActivation() {
    failRollbackActivation = true;
  }

  /** The next activation hangs. */
  public void hangNextActivation() {
    hangActivation = true;
  }

  /** The next build fails after printing {@code log}. */
  public void failNextBuild(String log) {
    buildFailure = log;
  }

  /** The next copy fails half way with a full disk. */
  public void diskFullOnNextCopy() {
    diskFullOnCopy = true;
  }

  /** Health checks fail on every system but the one running now. */
  public void failHealthChecksOfNewSystems() {
    unhealthyExceptOn = currentSystem;
  }

  /** Where the host finds what a derivation builds. */
  public void derivations(Function<String, Optional<FakeRealisation.Derivation>> lookup) {
    derivations = lookup;
  }

  /**
   * The host reboots at {@code now}: a new boot id, transient timers gone, the profile's system
   * running, and the boot-time watchdog armed if a marker exists.
   */
  public void reboot(Instant now) {
    reboots++;
    bootId = UUID.randomUUID().toString();
    watchdogDue = null;
    activating = false;
    currentSystem = generations.get(profileGeneration);
    if (marker != null) {
      bootWatchdogDue = now.plus(bootWatchdogWindow);
    }
  }

  /** For {@code FakeHost.toString()}. */
  @Override
  public String toString() {
    return "generation "
        + profileGeneration
        + ", running "
        + currentSystem
        + (marker != null ? ", marker " + marker : "");
  }
}
