package io.fleet.examples.cli;

import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeCommandHandler;
import io.fleet.testkit.FakeHost;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code exec} can run on {@code --fake} hosts: a handful of commands, alone or as the lines
 * of an {@code sh -c} script ({@code --script}), with {@code $1}…{@code $9} and {@code $@}. Known:
 * {@code hostname}, {@code whoami} ({@code root} with {@code --sudo}), {@code echo}, {@code cat}
 * (standard input back), {@code true}, {@code false}, {@code exit N}, {@code sleep SECONDS} (really
 * sleeps, stopped at the host-side {@code timeout} limit with exit 124 as coreutils' {@code
 * timeout} does). Anything else is left to the other handlers (the secrets pipelines), or fails as
 * a command the fake host does not understand ({@code ERROR} in the exec report).
 */
final class FakeShell implements FakeCommandHandler {
  private static final Set<String> KNOWN_SET =
      Set.of("hostname", "whoami", "echo", "cat", "true", "false", "exit", "sleep");

  @Override
  public Optional<CommandResult> handle(FakeHost host, FakeCommand command) {
    List<String> argv = command.argv();
    long limitMs = -1;
    if (argv.size() > 3
        && argv.get(0).equals("timeout")
        && argv.get(1).startsWith("--kill-after=")
        && argv.get(2).matches("[0-9]+(\\.[0-9]+)?s")) {
      String t = argv.get(2);
      limitMs = Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000);
      argv = argv.subList(3, argv.size());
    }
    if (argv.isEmpty()) {
      return Optional.empty();
    }
    Result r = new Result(host, command, limitMs);
    if (argv.size() >= 3 && argv.get(0).equals("sh") && argv.get(1).equals("-c")) {
      List<String> args = argv.subList(Math.min(argv.size(), 4), argv.size());
      List<List<String>> lines = new ArrayList<>();
      for (String line : argv.get(2).split("[\n;]")) {
        List<String> words = words(line.trim(), args);
        if (!words.isEmpty() && !words.get(0).startsWith("#")) {
          if (!KNOWN_SET.contains(words.get(0))) {
            return Optional.empty();
          }
          lines.add(words);
        }
      }
      for (List<String> words : lines) {
        if (!r.run(words)) {
          break;
        }
      }
    } else if (KNOWN_SET.contains(argv.get(0))) {
      r.run(argv);
    } else {
      return Optional.empty();
    }
    return Optional.of(CommandResult.of(r.exit, r.out.toString(), r.err.toString()));
  }

  /** Splits a script line into words, substituting the script's arguments; quotes are dropped. */
  private static List<String> words(String line, List<String> args) {
    List<String> words = new ArrayList<>();
    for (String w : line.split("\\s+")) {
      String u = w.replace("\"", "").replace("'", "");
      if (u.equals("$@")) {
        words.addAll(args);
        continue;
      }
      for (int i = 9; i >= 1; i--) {
        u = u.replace("$" + i, i <= args.size() ? args.get(i - 1) : "");
      }
      if (!u.isEmpty()) {
        words.add(u);
      }
    }
    return words;
  }

  /** The state of one command or script on one host. */
  private static final class Result {
    final FakeHost host;
    final FakeCommand command;
    long limitMs;
    final StringBuilder out = new StringBuilder();
    final StringBuilder err = new StringBuilder();
    int exit;

    Result(FakeHost host, FakeCommand command, long limitMs) {
      this.host = host;
      this.command = command;
      this.limitMs = limitMs;
    }

    /** Runs one command; false when the script must stop here. */
    boolean run(List<String> w) {
      String p = w.get(0);
      List<String> args = w.subList(1, w.size());
      switch (p) {
        case "hostname" -> ok(host.name() + "\n");
        case "whoami" -> ok((command.sudo() ? "root" : "deploy") + "\n");
        case "echo" -> ok(String.join(" ", args) + "\n");
        case "cat" -> ok(new String(command.stdin(), StandardCharsets.UTF_8));
        case "true" -> exit = 0;
        case "false" -> exit = 1;
        case "exit" -> {
          exit = args.isEmpty() ? exit : parse(args.get(0));
          return false;
        }
        case "sleep" -> {
          return sleep(args);
        }
        default -> throw new IllegalStateException("not a fake command: " + p);
      }
      return true;
    }

    private void ok(String text) {
      out.append(text);
      exit = 0;
    }

    private boolean sleep(List<String> args) {
      long ms;
      try {
        ms = Math.round(Double.parseDouble(args.isEmpty() ? "x" : args.get(0)) * 1000);
      } catch (NumberFormatException e) {
        err.append("sleep: invalid time interval\n");
        exit = 1;
        return true;
      }
      boolean timedOut = limitMs >= 0 && ms > limitMs;
      long wait = timedOut ? limitMs : ms;
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exit = 130;
        return false;
      }
      if (limitMs >= 0) {
        limitMs -= wait;
      }
      if (timedOut) {
        exit = 124;
        return false;
      }
      exit = 0;
      return true;
    }

    private static int parse(String s) {
      try {
        return Integer.parseInt(s) & 0xff;
      } catch (NumberFormatException e) {
        return 2;
      }
    }
  }
}
