package io.fleet.testkit.internal;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.FakeHost.Op;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A fake host's interpreter of {@link HostProtocol}: tells which command an argv is ({@link
 * #classify}), and runs it against the host's {@link FakeHostState} as the real scripts would on
 * NixOS (status, substitution, import, build on the target, arm, activate, rollback, confirm,
 * revert, the health check and the host key), and fires the watchdogs as the clock passes them.
 *
 * <p>Not thread-safe: guarded by the owning {@code FakeHost}'s lock.
 */
public final class FakeHostProtocol {
  private final String name;
  private final Clock clock;
  private final FakeHostState state;
  private final String publicKey;
  private final FakeStoreCommands storeCommands;

  /**
   * The interpreter of host {@code name}, on {@code clock}, with host key line {@code publicKey}.
   */
  public FakeHostProtocol(String name, Clock clock, FakeHostState state, String publicKey) {
    this.name = name;
    this.clock = clock;
    this.state = state;
    this.publicKey = publicKey;
    this.storeCommands = new FakeStoreCommands(name, state);
  }

  /**
   * Which {@link HostProtocol} command (or health check, or host key read) {@code a} is; null for
   * anything else (a custom or unsupported command).
   */
  public static Op classify(List<String> a) {
    if (a.size() >= 4 && a.get(0).equals("sh") && a.get(1).equals("-c") && a.get(3).equals("sh")) {
      String s = a.get(2);
      int n = a.size();
      String last = a.get(n - 1);
      if (s.equals(HostProtocol.STATUS_SCRIPT) && n == 4) {
        return Op.STATUS;
      } else if (s.equals(HostProtocol.SUBSTITUTE_SCRIPT) && n == 4) {
        return Op.SUBSTITUTE;
      } else if (s.equals(HostProtocol.IMPORT_ZSTD_SCRIPT) && n == 4) {
        return Op.IMPORT;
      } else if (s.equals(HostProtocol.REALISE_SCRIPT) && n == 5) {
        return Op.BUILD;
      } else if (s.equals(HostProtocol.ARM_SCRIPT)
          && n == 9
          && a.get(7).equals(HostProtocol.ROLLBACK_SCRIPT)
          && last.equals(HostProtocol.ACTIVATION_WRAPPER)
          && a.get(5).matches("[0-9]+")) {
        return Op.ARM;
      } else if (s.equals(HostProtocol.ROLLBACK_NOW_SCRIPT) && n == 5) {
        return Op.ROLLBACK;
      } else if (s.equals(HostProtocol.CONFIRM_SCRIPT) && n == 5) {
        return Op.CONFIRM;
      } else if (s.equals(HostProtocol.REVERT_SCRIPT)
          && n == 8
          && last.equals(HostProtocol.ROLLBACK_SCRIPT)
          && a.get(5).matches("[0-9]+")) {
        return Op.REVERT;
      } else if (s.equals(HostProtocol.ACTIVATE_SCRIPT)
          && n == 6
          && HostProtocol.ACTIVATION_ACTIONS.contains(last)) {
        return Op.ACTIVATE;
      }
    }
    if (a.equals(List.of("nix-store", "--import"))) {
      return Op.IMPORT;
    }
    if (a.equals(List.of("cat", HostProtocol.HOST_KEY_PUB))) {
      return Op.HOST_KEY;
    }
    if (a.equals(List.of("systemctl", "is-system-running"))
        || a.equals(List.of("systemctl", "is-system-running", "--wait"))) {
      return Op.HEALTH;
    }
    return null; // CUSTOM or UNSUPPORTED, decided when run
  }

  /** Runs command {@code a} of kind {@code op} (not null), reading {@code in}. */
  public CommandResult run(
      Op op, List<String> a, InputStream in, OutputStream stdout, Optional<Duration> timeout) {
    switch (op) {
      case STATUS:
        return out(stdout, 0, status(readPaths(in)), "");
      case SUBSTITUTE:
        return out(stdout, 0, storeCommands.substitute(readPaths(in)), "");
      case IMPORT:
        return storeCommands.importPaths(in, stdout, !a.get(0).equals("nix-store"));
      case BUILD:
        return storeCommands.realise(a.get(4));
      case ARM:
        return arm(a.get(4), Long.parseLong(a.get(5)), a.get(6));
      case ACTIVATE:
        return activate(a.get(4), a.get(5), timeout);
      case ROLLBACK:
        return rollbackNow(a.get(4));
      case CONFIRM:
        return confirm(a.get(4));
      case REVERT:
        return revert(a.get(4), Long.parseLong(a.get(5)), a.get(6));
      case HOST_KEY:
        return out(stdout, 0, publicKey + "\n", "");
      case HEALTH:
        boolean healthy = state.healthy();
        return out(stdout, healthy ? 0 : 1, healthy ? "running\n" : "degraded\n", "");
      default:
        throw new IllegalStateException(op.toString());
    }
  }

  /**
   * A result with exit {@code exit}: {@code text} as stdout (or written to {@code stdout} when
   * given) and {@code err} as stderr.
   */
  public static CommandResult out(OutputStream stdout, int exit, String text, String err) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    if (stdout != null) {
      write(stdout, b);
      return new CommandResult(exit, new byte[0], err.getBytes(StandardCharsets.UTF_8));
    }
    return new CommandResult(exit, b, err.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes and flushes {@code b} to {@code o}. */
  public static void write(OutputStream o, byte[] b) {
    try {
      o.write(b);
      o.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> readPaths(InputStream in) {
    try {
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      List<String> paths = new ArrayList<>();
      for (String line : s.split("\n")) {
        if (!line.isEmpty()) {
          paths.add(line);
        }
      }
      return paths;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String status(List<String> paths) {
    StringBuilder sb = new StringBuilder();
    sb.append("generation=").append(state.profileGeneration).append('\n');
    sb.append("profile=").append(state.generations.get(state.profileGeneration)).append('\n');
    sb.append("current=").append(state.currentSystem).append('\n');
    sb.append("boot-id=").append(state.bootId).append('\n');
    sb.append("free-bytes=").append(state.freeBytes).append('\n');
    if (state.marker != null) {
      sb.append("marker=").append(String.join("|", state.marker)).append('\n');
    }
    appendRecords(sb);
    sb.append("activating=").append(state.activating ? "yes" : "no").append('\n');
    sb.append("rolling-back=no\n");
    sb.append("zstd=").append(state.zstd ? "yes" : "no").append('\n');
    storeCommands.appendMissing(sb, paths);
    return sb.toString();
  }

  /** The state lines that the scripts which change a host print ({@code state} in the scripts). */
  private String state() {
    StringBuilder sb = new StringBuilder();
    sb.append("generation=").append(state.profileGeneration).append('\n');
    sb.append("profile=").append(state.generations.get(state.profileGeneration)).append('\n');
    sb.append("current=").append(state.currentSystem).append('\n');
    sb.append("boot-id=").append(state.bootId).append('\n');
    if (state.marker != null) {
      sb.append("marker=").append(String.join("|", state.marker)).append('\n');
    }
    appendRecords(sb);
    return sb.toString();
  }

  /** The last rollback's and the last activation's records, as the scripts print them. */
  private void appendRecords(StringBuilder sb) {
    if (state.lastRollback != null) {
      sb.append("last-rollback=").append(state.lastRollback).append('\n');
      if (!state.lastRollback.split("\\|")[1].equals("0")) {
        sb.append("rollback-log=switch-to-configuration: a unit failed (fake)\n");
      }
    }
    if (state.activationExit != null) {
      sb.append("activation-exit=").append(state.activationExit).append('\n');
      for (String l : state.activationLog.split("\n")) {
        if (!l.isEmpty()) {
          sb.append("activation-log=").append(l).append('\n');
        }
      }
    }
  }

  private CommandResult arm(String id, long window, String system) {
    if (state.marker != null) {
      return CommandResult.of(
          HostProtocol.EXIT_MARKER_EXISTS, "", "fleet: " + HostProtocol.MARKER + " exists\n");
    }
    // Read here, under the host's lock, as the script reads it under flock.
    long prevGen = state.profileGeneration;
    String prevProfile = state.generations.get(prevGen);
    String prevCurrent = state.currentSystem;
    state.marker = List.of(Long.toString(prevGen), prevProfile, id, state.bootId, prevCurrent);
    state.activationExit = null;
    state.activationLog = "";
    state.watchdogDue = clock.instant().plusSeconds(window);
    state.watchdogId = id;
    if (!system.isEmpty()) {
      if (!state.store.containsKey(system)) {
        return CommandResult.of(1, "", "error: path '" + system + "' is not valid\n");
      }
      long next = state.generations.lastKey() + 1;
      state.generations.put(next, system);
      state.profileGeneration = next;
    }
    return CommandResult.of(
        0,
        "previous-generation="
            + prevGen
            + "\nprevious-profile="
            + prevProfile
            + "\nprevious-current="
            + prevCurrent
            + "\ngeneration="
            + state.profileGeneration
            + "\n",
        "");
  }

  private CommandResult activate(String system, String action, Optional<Duration> timeout) {
    if (!state.store.containsKey(system)) {
      return CommandResult.of(
          1, "", "fleet: systemd-run could not start the activation (exit 1)\n");
    }
    if (state.hangActivation) {
      state.hangActivation = false;
      state.activating = true;
      throw new TransportException(
          name,
          TransportException.Reason.TIMEOUT,
          "command on "
              + name
              + " timed out after "
              + timeout.map(Duration::toString).orElse("the default timeout")
              + ": switch-to-configuration "
              + action
              + " is still running");
    }
    if (!action.equals("boot")) {
      state.currentSystem = system;
    }
    int exit = 0;
    state.activationLog = "activating " + system + " (" + action + ")\n";
    if (state.failActivation) {
      state.failActivation = false;
      exit = 4;
      state.activationLog += "warning: the following units failed: broken.service\n";
    }
    state.activationExit = Integer.toString(exit);
    StringBuilder out = new StringBuilder();
    appendRecords(out);
    return CommandResult.of(exit, out.toString(), "");
  }

  /**
   * Runs ROLLBACK_SCRIPT's semantics for deployment {@code id} (null: any, as the boot-time
   * watchdog); returns false if there was nothing to roll back.
   */
  private boolean rollbackScript(String who, String id) {
    if (state.marker == null || (id != null && !state.marker.get(2).equals(id))) {
      return false;
    }
    long n = Long.parseLong(state.marker.get(0));
    state.activating = false;
    long from = state.profileGeneration;
    if (!state.generations.containsKey(n)) {
      throw new IllegalStateException("marker names missing generation " + n);
    }
    state.profileGeneration = n;
    state.currentSystem = state.generations.get(n);
    int exit = 0;
    if (state.failRollbackActivation) {
      state.failRollbackActivation = false;
      exit = 4;
    }
    state.lastRollback =
        state.marker.get(2) + "|" + exit + "|" + (who.equals("revert") ? "deployer" : who);
    state.marker = null;
    state.watchdogDue = null;
    state.bootWatchdogDue = null;
    state.rollbackLog.add(
        who + ": " + from + " -> " + n + (exit != 0 ? " (activation failed)" : ""));
    return true;
  }

  private CommandResult rollbackNow(String id) {
    if (state.marker != null && !state.marker.get(2).equals(id)) {
      return CommandResult.of(
          HostProtocol.EXIT_OTHER_DEPLOYMENT,
          state(),
          "fleet: marker belongs to another deployment\n");
    }
    boolean ran = rollbackScript("deployer", id);
    return CommandResult.of(0, "rollback-ran=" + (ran ? "yes" : "no") + "\n" + state(), "");
  }

  private CommandResult confirm(String id) {
    if (state.marker == null) {
      return CommandResult.of(
          HostProtocol.EXIT_NO_MARKER,
          state(),
          "fleet: no rollback marker: the host was rolled back\n");
    }
    if (!state.marker.get(2).equals(id)) {
      // Another deployment's: its watchdog stays armed.
      return CommandResult.of(
          HostProtocol.EXIT_OTHER_DEPLOYMENT,
          state(),
          "fleet: marker belongs to another deployment\n");
    }
    state.watchdogDue = null;
    state.marker = null;
    state.bootWatchdogDue = null;
    state.confirmations++;
    return CommandResult.of(0, state(), "");
  }

  private CommandResult revert(String id, long prevGen, String prevSystem) {
    if (state.marker != null) {
      return CommandResult.of(
          HostProtocol.EXIT_MARKER_EXISTS, state(), "fleet: " + HostProtocol.MARKER + " exists\n");
    }
    state.marker = List.of(Long.toString(prevGen), prevSystem, id, state.bootId, prevSystem);
    rollbackScript("revert", id);
    return CommandResult.of(0, state(), "");
  }

  /** Fires the watchdogs due at {@code now}. */
  public void tick(Instant now) {
    if (state.watchdogDue != null && !now.isBefore(state.watchdogDue)) {
      state.watchdogDue = null;
      rollbackScript("watchdog", state.watchdogId);
    }
    if (state.bootWatchdogDue != null && !now.isBefore(state.bootWatchdogDue)) {
      state.bootWatchdogDue = null;
      rollbackScript("boot-watchdog", null);
    }
  }
}
