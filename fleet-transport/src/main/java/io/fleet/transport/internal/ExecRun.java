package io.fleet.transport.internal;

import io.fleet.api.Host;
import io.fleet.api.TransportException;
import io.fleet.api.exec.ExecEvent;
import io.fleet.api.exec.ExecHostResult;
import io.fleet.api.exec.ExecListener;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Transport;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of {@code io.fleet.transport.FleetExec}: a bounded pool of workers, one host each at a
 * time, and one watchdog thread that ends a host's connection when its timeout passes.
 */
public final class ExecRun {
  private static final Logger LOG = LoggerFactory.getLogger("io.fleet.transport.FleetExec");
  private static final AtomicInteger RUNS = new AtomicInteger();

  /** How long {@code timeout} on the host waits after its TERM before it sends KILL. */
  private static final Duration KILL_AFTER = Duration.ofSeconds(5);

  /**
   * How much longer than the timeout this side waits, when the host stops the command itself, for
   * the host's verdict (and the command's output) before it closes the connection.
   */
  private static final Duration HOST_GRACE = KILL_AFTER.plusSeconds(3);

  private final Transport transport;
  private final Command command;
  private final List<Host> hosts;
  private final int parallelism;
  private final Duration timeout;
  private final int tailBytes;
  private final boolean stopOnHost;
  private final List<ExecListener> listeners;
  private final Clock clock;
  private final AtomicInteger finished = new AtomicInteger();

  /** A run of {@code command} on {@code hosts}; see {@code FleetExec.Run} for the parameters. */
  public ExecRun(
      Transport transport,
      Command command,
      List<Host> hosts,
      int parallelism,
      Duration timeout,
      int tailBytes,
      boolean stopOnHost,
      List<ExecListener> listeners,
      Clock clock) {
    this.transport = transport;
    this.command = command;
    this.hosts = List.copyOf(hosts);
    this.parallelism = Math.min(parallelism, this.hosts.size());
    this.timeout = timeout;
    this.tailBytes = tailBytes;
    this.stopOnHost = stopOnHost;
    this.listeners = listeners;
    this.clock = clock;
  }

  /** Runs on every host and returns the report. */
  public ExecReport execute() {
    int run = RUNS.incrementAndGet();
    Instant started = clock.instant();
    LOG.info(
        "exec {} on {} host(s), parallelism {}", command.argv().get(0), hosts.size(), parallelism);
    ExecutorService workers = Executors.newFixedThreadPool(parallelism, named("fleet-exec-" + run));
    ScheduledExecutorService watchdog =
        Executors.newSingleThreadScheduledExecutor(named("fleet-exec-" + run + "-watchdog"));
    ExecutorService closer = Executors.newCachedThreadPool(named("fleet-exec-" + run + "-close"));
    List<Future<ExecHostResult>> futures = new ArrayList<>();
    List<ExecHostResult> results = new ArrayList<>();
    boolean cancelled = false;
    try {
      for (Host h : hosts) {
        futures.add(workers.submit(() -> runOn(h, watchdog, closer)));
      }
      for (int i = 0; i < hosts.size(); i++) {
        Future<ExecHostResult> f = futures.get(i);
        ExecHostResult r = null;
        if (!cancelled) {
          try {
            r = f.get();
          } catch (InterruptedException e) {
            cancelled = true;
            futures.forEach(x -> x.cancel(true));
          } catch (ExecutionException e) {
            r =
                ExecHostResult.builder()
                    .host(hosts.get(i).name())
                    .outcome(ExecOutcome.ERROR)
                    .error(e.getCause().toString())
                    .build();
          }
        }
        if (r == null && cancelled) {
          r = finishedOrNotRun(f, hosts.get(i));
        }
        results.add(r);
      }
    } finally {
      workers.shutdownNow();
      watchdog.shutdownNow();
      closer.shutdown();
    }
    if (cancelled) {
      Thread.currentThread().interrupt();
    }
    ExecReport report =
        ExecReport.builder()
            .argv(command.argv())
            .sudo(command.sudo())
            .timeout(timeout)
            .parallelism(parallelism)
            .startedAt(started)
            .finishedAt(clock.instant())
            .cancelled(cancelled)
            .hosts(results)
            .build();
    LOG.info("{}", report.summary());
    return report;
  }

  private static ExecHostResult finishedOrNotRun(Future<ExecHostResult> f, Host h) {
    if (f.isDone() && !f.isCancelled()) {
      try {
        return f.get(0, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // Fall through: it did not finish cleanly.
      }
    }
    return ExecHostResult.builder()
        .host(h.name())
        .outcome(ExecOutcome.NOT_RUN)
        .error("the run was cancelled")
        .build();
  }

  private ExecHostResult runOn(
      Host host, ScheduledExecutorService watchdog, ExecutorService closer) {
    Instant startedAt = clock.instant();
    long t0 = System.nanoTime();
    emit(
        new ExecEvent(
            ExecEvent.Type.STARTED, host.name(), startedAt, null, finished.get(), total()));
    Deadline deadline = new Deadline(Thread.currentThread());
    ScheduledFuture<?> timer =
        watchdog.schedule(
            () -> deadline.expire(closer),
            timeout.toNanos() + (stopOnHost ? HOST_GRACE.toNanos() : 0),
            TimeUnit.NANOSECONDS);
    TailCapture out = new TailCapture(tailBytes);
    long connectNanos = 0;
    ExecHostResult.Builder r = ExecHostResult.builder().host(host.name()).startedAt(startedAt);
    try (Connection c = transport.connect(host)) {
      connectNanos = System.nanoTime() - t0;
      if (deadline.attach(c)) {
        throw new TransportException(
            host.name(), TransportException.Reason.TIMEOUT, timeoutMessage(host));
      }
      long left = Math.max(1_000_000, timeout.toNanos() - connectNanos);
      long runStart = System.nanoTime();
      CommandResult result =
          c.run(timed(left), new ByteArrayInputStream(command.stdin().orElse(new byte[0])), out);
      byte[] err = result.stderr();
      boolean stoppedByHost =
          stopOnHost
              && (result.exitCode() == 124 || result.exitCode() == 137)
              && System.nanoTime() - runStart >= left - 50_000_000L;
      r.exitCode(result.exitCode())
          .outcome(
              stoppedByHost
                  ? ExecOutcome.TIMEOUT
                  : result.isSuccess() ? ExecOutcome.SUCCESS : ExecOutcome.NONZERO_EXIT)
          .stderrTail(TailCapture.tail(err, tailBytes))
          .stderrBytes(err.length);
      if (stoppedByHost) {
        r.transportReason(TransportException.Reason.TIMEOUT)
            .error(
                "connecting to "
                    + host.name()
                    + " and running "
                    + command.argv().get(0)
                    + " took longer than "
                    + timeout
                    + ", so the host stopped the command (exit code "
                    + result.exitCode()
                    + "): give exec a longer timeout, or find out why it hangs there");
      }
      if (deadline.finish()) {
        // The command ended on its own just as the timeout passed: its result stands.
        Thread.interrupted();
      }
    } catch (TransportException e) {
      boolean expired = deadline.finish();
      ExecOutcome outcome = expired ? ExecOutcome.TIMEOUT : ExecOutcome.of(e.reason());
      r.outcome(outcome)
          .transportReason(expired ? TransportException.Reason.TIMEOUT : e.reason())
          .error(expired ? timeoutMessage(host) : e.getMessage());
    } catch (RuntimeException e) {
      boolean expired = deadline.finish();
      r.outcome(expired ? ExecOutcome.TIMEOUT : ExecOutcome.ERROR)
          .error(expired ? timeoutMessage(host) : e.toString());
      if (!expired) {
        LOG.warn("exec on {} failed unexpectedly", host.name(), e);
      }
    } finally {
      timer.cancel(false);
      if (deadline.expired()) {
        Thread.interrupted(); // the watchdog's interrupt is not for the worker's next host
      }
    }
    ExecHostResult result =
        r.stdoutTail(out.text())
            .stdoutBytes(out.total())
            .connectTime(Duration.ofNanos(connectNanos))
            .duration(Duration.ofNanos(System.nanoTime() - t0))
            .build();
    emit(
        new ExecEvent(
            ExecEvent.Type.FINISHED,
            host.name(),
            clock.instant(),
            result,
            finished.incrementAndGet(),
            total()));
    return result;
  }

  /**
   * The command with {@code left} nanoseconds to run: with {@link #stopOnHost}, wrapped in
   * coreutils' {@code timeout} so the host itself stops it (TERM, then KILL {@link #KILL_AFTER}
   * later) even if this side's connection is gone, and given {@link #HOST_GRACE} more here.
   */
  private Command timed(long left) {
    if (!stopOnHost) {
      return Command.builder().from(command).timeout(Duration.ofNanos(left)).build();
    }
    List<String> argv = new ArrayList<>();
    argv.add("timeout");
    argv.add("--kill-after=" + KILL_AFTER.toSeconds() + "s");
    argv.add(String.format(Locale.ROOT, "%.3fs", left / 1e9));
    argv.addAll(command.argv());
    return Command.builder()
        .from(command)
        .argv(argv)
        .timeout(Duration.ofNanos(left).plus(HOST_GRACE))
        .build();
  }

  private String timeoutMessage(Host host) {
    return "connecting to "
        + host.name()
        + " and running "
        + command.argv().get(0)
        + " took longer than "
        + timeout
        + ", so the command's connection was closed: give exec a longer timeout, or find out"
        + " why it hangs there";
  }

  private int total() {
    return hosts.size();
  }

  private void emit(ExecEvent e) {
    LOG.debug("{}", e);
    for (ExecListener l : listeners) {
      try {
        l.onEvent(e);
      } catch (RuntimeException ex) {
        LOG.warn("exec listener {} failed on {}", l, e, ex);
      }
    }
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * A host's timeout: when it passes while the host is still running, its worker is interrupted and
   * its connection closed (for transports blocked in I/O that ignore interrupts). {@link #finish}
   * and {@link #expire} decide, under one lock, which came first.
   */
  private static final class Deadline {
    private final Thread worker;
    private Connection connection;
    private boolean done;
    private boolean expired;

    Deadline(Thread worker) {
      this.worker = worker;
    }

    /** Records the host's connection; whether the timeout has already passed. */
    synchronized boolean attach(Connection c) {
      connection = c;
      return expired;
    }

    /**
     * Interrupts the worker, then closes its connection on {@code closer}: a close may block (on a
     * fake host that is busy, or a dead TCP peer), and must not hold up other hosts' timeouts.
     */
    void expire(ExecutorService closer) {
      Connection c;
      synchronized (this) {
        if (done) {
          return;
        }
        expired = true;
        c = connection;
        worker.interrupt();
      }
      if (c != null) {
        closer.execute(() -> closeQuietly(c));
      }
    }

    /** Marks the host finished; whether the timeout had passed first. */
    synchronized boolean finish() {
      done = true;
      return expired;
    }

    synchronized boolean expired() {
      return expired;
    }

    private static void closeQuietly(Connection c) {
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.debug("closing the connection to {} after its timeout failed: {}", c.host(), e);
      }
    }
  }
}
