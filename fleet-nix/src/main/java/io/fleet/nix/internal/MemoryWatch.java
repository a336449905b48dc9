package io.fleet.nix.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Watches a process's resident memory ({@code VmRSS} in {@code /proc/PID/status}, polled every
 * {@value #INTERVAL_MS} ms on its own daemon thread; summed with its descendants', so a wrapper
 * script such as {@code time nix …} is counted by the nix it starts) and kills it and them
 * (SIGKILL) as soon as the sum passes a limit. Nix's evaluator only grows (its garbage collector
 * rarely returns memory), so a process past the limit will not come back under it.
 */
final class MemoryWatch implements AutoCloseable {
  static final long INTERVAL_MS = 20;

  private final Process process;
  private final long limitBytes;
  private final Thread thread;
  private volatile boolean exceeded;
  private volatile long peakBytes;
  private volatile boolean stopped;

  private MemoryWatch(Process process, long limitBytes) {
    this.process = process;
    this.limitBytes = limitBytes;
    this.thread = new Thread(this::poll, "nix-memory-watch-" + process.pid());
    thread.setDaemon(true);
  }

  /** Starts watching {@code process} against {@code limitBytes}. */
  static MemoryWatch start(Process process, long limitBytes) {
    MemoryWatch w = new MemoryWatch(process, limitBytes);
    w.thread.start();
    return w;
  }

  /** Whether the process passed the limit and was killed for it. */
  boolean exceeded() {
    return exceeded;
  }

  /** The highest resident memory seen, in bytes. */
  long peakBytes() {
    return peakBytes;
  }

  private void poll() {
    while (!stopped && process.isAlive()) {
      long rss = rss();
      if (rss > peakBytes) {
        peakBytes = rss;
      }
      if (rss > limitBytes) {
        exceeded = true;
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        return;
      }
      try {
        TimeUnit.MILLISECONDS.sleep(INTERVAL_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** VmRSS of the process and its descendants, in bytes. */
  private long rss() {
    long sum = rss(process.pid());
    for (ProcessHandle h : (Iterable<ProcessHandle>) process.descendants()::iterator) {
      sum += rss(h.pid());
    }
    return sum;
  }

  /** VmRSS of one process in bytes, or 0 when it is gone (or not readable). */
  private static long rss(long pid) {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Exited between two polls, or a zombie without VmRSS.
    }
    return 0;
  }

  /** Stops watching (the process has ended). */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
