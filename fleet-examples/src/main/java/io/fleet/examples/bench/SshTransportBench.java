package io.fleet.examples.bench;

import io.fleet.api.Host;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.transport.SshTransport;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures {@link SshTransport} against a throwaway OpenSSH server on loopback: connect and
 * authenticate, command round trips on one connection, concurrent commands multiplexed on one
 * connection, and streaming throughput in both directions with the heap it took.
 *
 * <p>Needs {@code /usr/sbin/sshd} and {@code ssh-keygen} (see {@link BenchSshd}). Run: {@code mvn
 * -q -DskipTests -pl fleet-examples -am package exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.SshTransportBench} (optional argument: MiB to stream,
 * default 512).
 */
public final class SshTransportBench {
  private SshTransportBench() {}

  /** Runs the benchmark and prints its figures. */
  public static void main(String[] args) throws Exception {
    long mib = args.length > 0 ? Long.parseLong(args[0]) : 512;
    try (BenchSshd sshd = BenchSshd.start();
        SshTransport ssh = sshd.transport().build()) {
      bench(ssh, sshd.host(), mib);
    }
  }

  private static void bench(SshTransport ssh, Host host, long mib) throws Exception {
    // Warm up the JIT and the server.
    for (int i = 0; i < 5; i++) {
      try (Connection c = ssh.connect(host)) {
        c.run(Command.of("true"));
      }
    }
    int connects = 20;
    long[] connectNanos = new long[connects];
    for (int i = 0; i < connects; i++) {
      long t = System.nanoTime();
      Connection c = ssh.connect(host);
      connectNanos[i] = System.nanoTime() - t;
      c.close();
    }
    System.out.printf(
        "connect + authenticate (ed25519, pinned host key): median %.1f ms, max %.1f ms over %d%n",
        median(connectNanos) / 1e6, Arrays.stream(connectNanos).max().getAsLong() / 1e6, connects);

    try (Connection c = ssh.connect(host)) {
      int n = 50;
      long[] rt = new long[n];
      for (int i = 0; i < n; i++) {
        long t = System.nanoTime();
        CommandResult r = c.run(Command.of("true"));
        rt[i] = System.nanoTime() - t;
        if (!r.isSuccess()) {
          throw new IllegalStateException("true failed: " + r.stderrText());
        }
      }
      System.out.printf(
          "command round trip on one pooled connection: median %.2f ms over %d%n",
          median(rt) / 1e6, n);

      int parallel = 32;
      ExecutorService pool = Executors.newFixedThreadPool(parallel);
      long t = System.nanoTime();
      List<Future<CommandResult>> fs = new ArrayList<>();
      for (int i = 0; i < parallel; i++) {
        fs.add(pool.submit(() -> c.run(Command.of("sleep", "0.5"))));
      }
      for (Future<CommandResult> f : fs) {
        f.get();
      }
      pool.shutdown();
      System.out.printf(
          "%d concurrent 'sleep 0.5' multiplexed on one connection: %.0f ms in all%n",
          parallel, (System.nanoTime() - t) / 1e6);

      long bytes = mib * 1024 * 1024;
      HeapWatch heap = new HeapWatch();
      heap.start();
      t = System.nanoTime();
      CommandResult up =
          c.run(
              Command.of("sh", "-c", "cat > /dev/null"),
              new Zeros(bytes),
              OutputStream.nullOutputStream());
      double upSecs = (System.nanoTime() - t) / 1e9;
      long upHeap = heap.stopAndPeak();
      if (!up.isSuccess()) {
        throw new IllegalStateException("upload failed: " + up.stderrText());
      }
      System.out.printf(
          "stream %d MiB to the host (stdin): %.0f MiB/s, peak heap in use %.0f MiB%n",
          mib, mib / upSecs, upHeap / 1048576.0);

      AtomicLong received = new AtomicLong();
      OutputStream counter =
          new OutputStream() {
            @Override
            public void write(int b) {
              received.incrementAndGet();
            }

            @Override
            public void write(byte[] b, int off, int len) {
              received.addAndGet(len);
            }
          };
      heap = new HeapWatch();
      heap.start();
      t = System.nanoTime();
      CommandResult down =
          c.run(
              Command.of("head", "-c", Long.toString(bytes), "/dev/zero"),
              InputStream.nullInputStream(),
              counter);
      double downSecs = (System.nanoTime() - t) / 1e9;
      long downHeap = heap.stopAndPeak();
      if (!down.isSuccess() || received.get() != bytes) {
        throw new IllegalStateException("download failed: " + down.stderrText());
      }
      System.out.printf(
          "stream %d MiB from the host (stdout): %.0f MiB/s, peak heap in use %.0f MiB%n",
          mib, mib / downSecs, downHeap / 1048576.0);
    }
    System.out.printf("max heap: %.0f MiB%n", Runtime.getRuntime().maxMemory() / 1048576.0);
  }

  private static double median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** {@code size} zero bytes. */
  private static final class Zeros extends InputStream {
    private long left;

    Zeros(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      if (left == 0) {
        return -1;
      }
      left--;
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      Arrays.fill(b, off, off + n, (byte) 0);
      left -= n;
      return n;
    }
  }

  /** Samples the heap in use while a transfer runs. */
  private static final class HeapWatch extends Thread {
    private volatile boolean done;
    private long peak;

    HeapWatch() {
      setDaemon(true);
      System.gc();
    }

    @Override
    public void run() {
      Runtime rt = Runtime.getRuntime();
      while (!done) {
        peak = Math.max(peak, rt.totalMemory() - rt.freeMemory());
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    long stopAndPeak() throws InterruptedException {
      done = true;
      join();
      return peak;
    }
  }
}
