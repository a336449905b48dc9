package io.fleet.nix.internal;

import io.fleet.api.EvaluationException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs one {@code nix} (or {@code nix-store}) process: standard output is collected or streamed,
 * standard error is read line by line on a second thread (so neither pipe can fill up and block the
 * other).
 */
public final class NixProcess {
  private NixProcess() {}

  /** What a finished process left behind. */
  public static final class Outcome {
    private final List<String> command;
    private final int exitCode;
    private final byte[] stdout;
    private final boolean memoryLimitExceeded;
    private final long peakRssBytes;

    Outcome(
        List<String> command,
        int exitCode,
        byte[] stdout,
        boolean memoryLimitExceeded,
        long peakRssBytes) {
      this.command = command;
      this.exitCode = exitCode;
      this.stdout = stdout;
      this.memoryLimitExceeded = memoryLimitExceeded;
      this.peakRssBytes = peakRssBytes;
    }

    /** Whether the process was killed because its resident memory passed the limit. */
    public boolean memoryLimitExceeded() {
      return memoryLimitExceeded;
    }

    /** The highest resident memory seen while it ran, in bytes; 0 when it was not watched. */
    public long peakRssBytes() {
      return peakRssBytes;
    }

    /** The argv that ran. */
    public List<String> command() {
      return command;
    }

    /** The exit code. */
    public int exitCode() {
      return exitCode;
    }

    /** Standard output, when it was collected (empty when streamed). */
    public String stdout() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  /**
   * Runs {@code command}; standard output goes to {@code stdoutSink} when given, otherwise it is
   * collected into the outcome. Every line of standard error goes to {@code stderrLines}.
   *
   * @throws EvaluationException if the program cannot be started (with how to install nix)
   */
  public static Outcome run(
      List<String> command, OutputStream stdoutSink, Consumer<String> stderrLines) {
    return run(command, stdoutSink, stderrLines, 0);
  }

  /**
   * As {@link #run(List, OutputStream, Consumer)}, and when {@code memoryLimitBytes} is positive
   * the process is killed as soon as its resident memory passes it ({@link
   * Outcome#memoryLimitExceeded()}).
   */
  public static Outcome run(
      List<String> command,
      OutputStream stdoutSink,
      Consumer<String> stderrLines,
      long memoryLimitBytes) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new EvaluationException(
          "cannot run "
              + command.get(0)
              + " ("
              + e.getMessage()
              + "): the nix CLI is not installed or not on PATH. Install it with "
              + "'apt-get install nix-bin' (Debian/Ubuntu) or from https://nixos.org/download, "
              + "or configure its location with NixEvaluator.builder().nixBinary(...)",
          command,
          e);
    }
    MemoryWatch watch = memoryLimitBytes > 0 ? MemoryWatch.start(process, memoryLimitBytes) : null;
    Thread errReader =
        new Thread(() -> readLines(process.getErrorStream(), stderrLines), "nix-stderr-reader");
    errReader.setDaemon(true);
    errReader.start();
    ByteArrayOutputStream collected = new ByteArrayOutputStream();
    OutputStream sink = stdoutSink != null ? stdoutSink : collected;
    try (InputStream in = process.getInputStream()) {
      in.transferTo(sink);
      sink.flush();
    } catch (IOException e) {
      process.destroyForcibly();
      if (watch != null) {
        watch.close();
      }
      throw new EvaluationException(
          "reading the output of " + String.join(" ", command) + " failed: " + e.getMessage(),
          command,
          e);
    }
    int exit;
    try {
      exit = process.waitFor();
      errReader.join();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new EvaluationException("interrupted while running " + command.get(0), command, e);
    } finally {
      if (watch != null) {
        watch.close();
      }
    }
    return new Outcome(
        List.copyOf(command),
        exit,
        collected.toByteArray(),
        watch != null && watch.exceeded(),
        watch == null ? 0 : watch.peakBytes());
  }

  private static void readLines(InputStream in, Consumer<String> lines) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        try {
          lines.accept(line);
        } catch (RuntimeException e) {
          // A misbehaving listener must not stop us draining the pipe (nix would block).
        }
      }
    } catch (IOException e) {
      // The process went away; what it wrote so far has been passed on.
    }
  }
}
