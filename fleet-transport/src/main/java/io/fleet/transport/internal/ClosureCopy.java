package io.fleet.transport.internal;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStream;
import io.fleet.api.DeploymentException;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Copies the store paths a host lacks: optionally lets the host substitute them from its caches
 * first ({@link HostProtocol#SUBSTITUTE_SCRIPT}), then streams {@link Evaluator#export} of the rest
 * into {@code nix-store --import} on the host without holding the stream in memory, optionally
 * compressed with zstd ({@link HostProtocol#importCompressed}). Reports progress in bytes and
 * paths, and counts the bytes it puts on the wire.
 */
public final class ClosureCopy {
  /** What a copy did. */
  public static final class Result {
    final List<String> copied;
    final long bytes;
    final int substituted;

    /** The bytes sent to the host's import (after compression, when compressed). */
    final long wireBytes;

    final boolean compressed;

    Result(List<String> copied, long bytes, int substituted, long wireBytes, boolean compressed) {
      this.copied = copied;
      this.bytes = bytes;
      this.substituted = substituted;
      this.wireBytes = wireBytes;
      this.compressed = compressed;
    }
  }

  /** The zstd level of compressed copies: zstd's own default, fast and already worth it. */
  static final int ZSTD_LEVEL = 3;

  /** Copies up to this many bytes are exported into memory first instead of through a pipe. */
  static final long IN_MEMORY_LIMIT = 1 << 20;

  private final Evaluator evaluator;
  private final Events events;

  ClosureCopy(Evaluator evaluator, Events events) {
    this.evaluator = evaluator;
    this.events = events;
  }

  /**
   * Copies {@code missing} (in closure order, references first) over {@code conn}, compressed with
   * zstd when {@code compress} (the caller checked that the host has {@code zstd}).
   *
   * @throws DeploymentException if the host refuses the import, with its error
   * @throws io.fleet.api.TransportException if the connection fails
   */
  Result copy(
      Connection conn,
      String host,
      List<StorePathInfo> missing,
      boolean substitute,
      boolean compress,
      boolean sudo,
      Duration timeout) {
    if (missing.isEmpty()) {
      return new Result(List.of(), 0, 0, 0, false);
    }
    List<StorePathInfo> toSend = missing;
    int substituted = 0;
    if (substitute) {
      List<String> paths = missing.stream().map(StorePathInfo::path).collect(Collectors.toList());
      CommandResult r = conn.run(HostProtocol.substitute(paths, sudo, timeout));
      if (!r.isSuccess()) {
        throw new DeploymentException(
            host,
            "substitution on "
                + host
                + " failed (exit "
                + r.exitCode()
                + "): "
                + r.stderrText().trim(),
            null);
      }
      Set<String> still =
          new HashSet<>(HostProtocol.parse(r.stdoutText()).getOrDefault("missing", List.of()));
      toSend = missing.stream().filter(p -> still.contains(p.path())).collect(Collectors.toList());
      substituted = missing.size() - toSend.size();
      events.progress(
          host,
          DeployStep.COPY,
          "host substituted " + substituted + " of " + missing.size() + " paths",
          0,
          0);
    }
    if (toSend.isEmpty()) {
      return new Result(List.of(), 0, substituted, 0, false);
    }
    return stream(conn, host, toSend, substituted, compress, sudo, timeout);
  }

  private Result stream(
      Connection conn,
      String host,
      List<StorePathInfo> paths,
      int substituted,
      boolean compress,
      boolean sudo,
      Duration timeout) {
    Map<String, StorePathInfo> byPath =
        paths.stream().collect(Collectors.toMap(StorePathInfo::path, Function.identity()));
    long totalBytes = paths.stream().mapToLong(StorePathInfo::narSize).sum();
    List<String> names = paths.stream().map(StorePathInfo::path).collect(Collectors.toList());
    AtomicReference<Throwable> exportError = new AtomicReference<>();
    if (totalBytes <= IN_MEMORY_LIMIT) {
      // Small copies: export on this thread into memory, saving a thread hand-off per host.
      java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
      evaluator.export(names, buf);
      byte[] bytes = buf.toByteArray();
      if (compress) {
        bytes = Zstd.compress(bytes, ZSTD_LEVEL);
      }
      return finish(
          conn,
          host,
          paths,
          names,
          byPath,
          totalBytes,
          substituted,
          compress,
          sudo,
          timeout,
          new java.io.ByteArrayInputStream(bytes),
          null,
          new AtomicReference<>());
    }
    StreamPipe pipe = new StreamPipe(64);
    InputStream pipeIn = pipe.source();
    Thread exporter =
        new Thread(
            () -> {
              try (OutputStream o =
                  new BufferedOutputStream(
                      compress ? new ZstdOutputStream(pipe.sink(), ZSTD_LEVEL) : pipe.sink(),
                      1 << 16)) {
                evaluator.export(names, o);
              } catch (IOException | RuntimeException e) {
                exportError.set(e);
              }
            },
            "fleet-export-" + host);
    exporter.setDaemon(true);
    exporter.start();
    return finish(
        conn,
        host,
        paths,
        names,
        byPath,
        totalBytes,
        substituted,
        compress,
        sudo,
        timeout,
        pipeIn,
        exporter,
        exportError);
  }

  private Result finish(
      Connection conn,
      String host,
      List<StorePathInfo> paths,
      List<String> names,
      Map<String, StorePathInfo> byPath,
      long totalBytes,
      int substituted,
      boolean compress,
      boolean sudo,
      Duration timeout,
      InputStream source,
      Thread exporter,
      AtomicReference<Throwable> exportError) {
    List<String> imported = new ArrayList<>();
    AtomicLong doneBytes = new AtomicLong();
    OutputStream lines =
        new LineSink(
            line -> {
              StorePathInfo info = byPath.get(line);
              if (info != null) {
                synchronized (imported) {
                  imported.add(line);
                }
                long d = doneBytes.addAndGet(info.narSize());
                events.progress(host, DeployStep.COPY, line, d, totalBytes);
              }
            });
    CountingInputStream pipeIn = new CountingInputStream(source);
    io.fleet.api.spi.Command command =
        compress
            ? HostProtocol.importCompressed(sudo, timeout)
            : HostProtocol.importPaths(sudo, timeout);
    String what = compress ? "zstd -d | nix-store --import" : "nix-store --import";
    CommandResult r;
    try {
      r = conn.run(command, pipeIn, lines);
    } finally {
      try {
        pipeIn.close(); // unblocks the exporter if the host stopped reading
      } catch (IOException ignored) {
        // this pipe's close does not throw
      }
    }
    if (!r.isSuccess() && exporter != null) {
      // only a failure needs the exporter's own error, if it had one
      try {
        exporter.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!r.isSuccess()) {
      throw new DeploymentException(
          host,
          what
              + " on "
              + host
              + " failed (exit "
              + r.exitCode()
              + ") after "
              + imported.size()
              + " of "
              + paths.size()
              + " paths: "
              + r.stderrText().trim(),
          null);
    }
    if (exportError.get() != null) {
      throw new DeploymentException(
          host,
          "exporting the closure for " + host + " failed: " + exportError.get().getMessage(),
          exportError.get());
    }
    if (imported.size() < paths.size()) {
      Set<String> got = new HashSet<>(imported);
      List<String> lost = names.stream().filter(p -> !got.contains(p)).collect(Collectors.toList());
      throw new DeploymentException(
          host, what + " on " + host + " did not import " + lost.size() + " paths: " + lost, null);
    }
    return new Result(
        List.copyOf(imported), doneBytes.get(), substituted, pipeIn.count.get(), compress);
  }

  /** Whether zstd-jni's native library loads on this machine (it ships for the common ones). */
  static boolean zstdAvailable() {
    try {
      com.github.luben.zstd.util.Native.load();
      return true;
    } catch (LinkageError | RuntimeException e) {
      return false;
    }
  }

  /** Counts the bytes the connection reads, i.e. what goes on the wire. */
  private static final class CountingInputStream extends java.io.FilterInputStream {
    final AtomicLong count = new AtomicLong();

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count.incrementAndGet();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count.addAndGet(n);
      }
      return n;
    }
  }

  /** Splits what the host prints into lines. */
  private static final class LineSink extends OutputStream {
    private final java.util.function.Consumer<String> onLine;
    private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

    LineSink(java.util.function.Consumer<String> onLine) {
      this.onLine = onLine;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        onLine.accept(buf.toString(StandardCharsets.UTF_8).trim());
        buf.reset();
      } else {
        buf.write(b);
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      for (int i = off; i < off + len; i++) {
        write(b[i]);
      }
    }
  }
}
