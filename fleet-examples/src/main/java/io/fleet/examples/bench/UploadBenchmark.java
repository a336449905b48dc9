package io.fleet.examples.bench;

import io.fleet.api.Host;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.transport.SshTransport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams a closure-sized file (default 256 MiB of random bytes) through {@link SshTransport} and
 * (with its default cipher order, AES-GCM first, and with sshj's own first choice
 * chacha20-poly1305) and through OpenSSH's {@code ssh} (its default, chacha20-poly1305, and {@code
 * -c aes128-gcm@openssh.com}) to the same throwaway sshd on loopback ({@link BenchSshd}), side by
 * side, rounds alternating: up into {@code cat > /dev/null}, up into {@code cat > FILE}, and down
 * from {@code cat FILE}. Ours goes the way the deployer copies closures: a pooled connection's
 * {@code run(command, stdin, stdout)} with the data streamed on standard input. Each transfer is
 * timed from connecting to the command's exit (the {@code ssh} process's whole life), and its CPU
 * is measured on the client (this JVM; the {@code ssh} process) and on the server (the sshd's
 * reaped children). The ciphers both sides negotiated are read from sshd's log.
 *
 * <p>Run: {@code mvn -q -DskipTests -pl fleet-examples -am package exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.UploadBenchmark -Dexec.args="256 3"} (MiB, rounds).
 */
public final class UploadBenchmark {
  private static final Pattern KEX =
      Pattern.compile("kex: client->server cipher: (\\S+) MAC: (\\S+)");

  private static final String OPENSSH = "OpenSSH ssh";
  private static final String OPENSSH_GCM = "OpenSSH ssh aes-gcm";

  private UploadBenchmark() {}

  /** Runs the benchmark and prints its figures. */
  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    try (BenchSshd sshd = BenchSshd.start("LogLevel DEBUG1");
        SshTransport ssh = sshd.transport().build();
        SshTransport chacha = sshd.transport().ciphers("chacha20-poly1305@openssh.com").build()) {
      Map<String, SshTransport> sides = new LinkedHashMap<>();
      sides.put("SshTransport", ssh);
      sides.put("SshTransport chacha", chacha);
      sides.put(OPENSSH, null);
      sides.put(OPENSSH_GCM, null);
      new UploadBenchmark().run(sshd, sides, mib, rounds);
    }
  }

  private final Map<String, List<double[]>> results = new LinkedHashMap<>();
  private final Map<String, String> ciphers = new LinkedHashMap<>();
  private final double tick = clockTick();

  private void run(BenchSshd sshd, Map<String, SshTransport> sides, int mib, int rounds)
      throws Exception {
    Path file = sshd.dir.resolve("closure.bin");
    Path received = sshd.dir.resolve("received.bin");
    BenchSshd.run("sh", "-c", "head -c " + (mib * 1048576L) + " /dev/urandom > '" + file + "'");
    long bytes = Files.size(file);
    System.out.printf(
        "%d MiB of random bytes, %d rounds, load average %s%n",
        mib, rounds, Files.readString(Path.of("/proc/loadavg")).trim());
    Host host = sshd.host();
    // Warm up: the JIT (ours) and the page cache (both), not counted.
    for (Map.Entry<String, SshTransport> side : sides.entrySet()) {
      transfer(sshd, side.getKey(), side.getValue(), host, "cat > /dev/null", file, null, bytes);
    }
    List<String> order = new ArrayList<>(sides.keySet());
    for (int round = 1; round <= rounds; round++) {
      // Each round starts with another side, so no side always runs on a cooler machine.
      for (int k = 0; k < order.size(); k++) {
        String who = order.get((k + round) % order.size());
        SshTransport ssh = sides.get(who);
        record(
            "up   cat > /dev/null",
            who,
            transfer(sshd, who, ssh, host, "cat > /dev/null", file, null, bytes));
        Files.deleteIfExists(received);
        record(
            "up   cat > FILE",
            who,
            transfer(sshd, who, ssh, host, "cat > '" + received + "'", file, null, bytes));
        if (Files.size(received) != bytes || Files.mismatch(file, received) != -1) {
          throw new IllegalStateException(who + ": the received file differs from the sent one");
        }
        record(
            "down cat FILE",
            who,
            transfer(sshd, who, ssh, host, "cat '" + file + "'", null, bytes, bytes));
      }
    }
    System.out.println();
    System.out.printf(
        "%-22s %-20s %9s %9s %12s %12s%n",
        "transfer", "client", "median", "best", "client CPU", "server CPU");
    for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
      String[] k = e.getKey().split("\\|");
      List<double[]> rs = e.getValue();
      double[] rates = rs.stream().mapToDouble(r -> mib / r[0]).sorted().toArray();
      double clientCpu = rs.stream().mapToDouble(r -> r[1]).average().orElse(0);
      double serverCpu = rs.stream().mapToDouble(r -> r[2]).average().orElse(0);
      System.out.printf(
          "%-22s %-20s %6.0f MiB/s %6.0f MiB/s %9.2f s %11.2f s%n",
          k[0], k[1], rates[rates.length / 2], rates[rates.length - 1], clientCpu, serverCpu);
    }
    System.out.println("negotiated (from sshd's log): " + ciphers);
    System.out.printf(
        "load average after: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
  }

  private void record(String transfer, String who, double[] r) {
    results.computeIfAbsent(transfer + "|" + who, k -> new ArrayList<>()).add(r);
    System.out.printf(
        "  %-22s %-20s %6.0f MiB/s  client CPU %.2f s  server CPU %.2f s%n",
        transfer, who, r[3] / 1048576.0 / r[0], r[1], r[2]);
  }

  private double[] transfer(
      BenchSshd sshd,
      String who,
      SshTransport ssh,
      Host host,
      String line,
      Path in,
      Long down,
      long bytes)
      throws Exception {
    return ssh == null
        ? openssh(sshd, who, line, in, down, bytes)
        : ours(sshd, who, ssh, host, line, in, down, bytes);
  }

  /** {wall s, client CPU s, server CPU s, bytes} of one transfer through SshTransport. */
  private double[] ours(
      BenchSshd sshd,
      String who,
      SshTransport ssh,
      Host host,
      String line,
      Path in,
      Long down,
      long bytes)
      throws Exception {
    long server = childCpu(sshd.pid());
    long self = selfCpu(false);
    long t = System.nanoTime();
    Counter counter = new Counter();
    CommandResult r;
    try (Connection c = ssh.connect(host);
        InputStream stdin = in == null ? InputStream.nullInputStream() : Files.newInputStream(in)) {
      r = c.run(Command.of("sh", "-c", line), stdin, counter);
    }
    double wall = (System.nanoTime() - t) / 1e9;
    double client = (selfCpu(false) - self) / tick;
    check("sshj", line, r.exitCode(), r.stderrText(), down, counter.n);
    noteCipher(sshd, who);
    return new double[] {wall, client, serverCpu(sshd, server), bytes};
  }

  /** The same through an {@code ssh} process. */
  private double[] openssh(BenchSshd sshd, String who, String line, Path in, Long down, long bytes)
      throws Exception {
    List<String> argv = new ArrayList<>();
    if (who.equals(OPENSSH_GCM)) {
      argv.addAll(List.of("ssh", "-c", "aes128-gcm@openssh.com"));
    } else {
      argv.add("ssh");
    }
    argv.addAll(
        List.of(
            "-F",
            "/dev/null",
            "-p",
            Integer.toString(sshd.port),
            "-i",
            sshd.dir.resolve("client").toString(),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "UserKnownHostsFile=" + knownHosts(sshd),
            sshd.user + "@127.0.0.1",
            line));
    long server = childCpu(sshd.pid());
    long children = selfCpu(true);
    long t = System.nanoTime();
    ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.PIPE);
    pb.redirectInput(
        in == null
            ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
            : ProcessBuilder.Redirect.from(in.toFile()));
    Process p = pb.start();
    Counter counter = new Counter();
    p.getInputStream().transferTo(down == null ? OutputStream.nullOutputStream() : counter);
    String err = new String(p.getErrorStream().readAllBytes());
    int exit = p.waitFor();
    double wall = (System.nanoTime() - t) / 1e9;
    double client = (selfCpu(true) - children) / tick;
    check("ssh", line, exit, err, down, counter.n);
    noteCipher(sshd, who);
    return new double[] {wall, client, serverCpu(sshd, server), bytes};
  }

  private static void check(String who, String line, int exit, String err, Long down, long got) {
    if (exit != 0) {
      throw new IllegalStateException(who + " " + line + " exited " + exit + ": " + err);
    }
    if (down != null && got != down) {
      throw new IllegalStateException(who + " " + line + " delivered " + got + " of " + down);
    }
  }

  private static Path knownHosts(BenchSshd sshd) throws IOException {
    Path f = sshd.dir.resolve("known_hosts");
    if (!Files.exists(f)) {
      String key = Files.readString(sshd.dir.resolve("host.pub")).trim();
      Files.writeString(f, "[127.0.0.1]:" + sshd.port + " " + key + "\n");
    }
    return f;
  }

  private void noteCipher(BenchSshd sshd, String who) throws IOException {
    Matcher m = KEX.matcher(sshd.log());
    String last = null;
    while (m.find()) {
      last = m.group(1) + " + " + m.group(2);
    }
    if (last != null) {
      ciphers.put(who, last);
    }
  }

  /** The server's CPU since {@code before}: sshd's reaped session processes (ticks → s). */
  private double serverCpu(BenchSshd sshd, long before) throws InterruptedException {
    // The session's processes are reaped by the listener a moment after the connection closes.
    long now = childCpu(sshd.pid());
    for (int i = 0; i < 20; i++) {
      Thread.sleep(25);
      long again = childCpu(sshd.pid());
      if (again == now && now != before) {
        break;
      }
      now = again;
    }
    return (now - before) / tick;
  }

  private static long childCpu(long pid) {
    long[] f = stat(Path.of("/proc/" + pid + "/stat"));
    return f[15] + f[16];
  }

  /** This process's own CPU (utime + stime), or that of its reaped children. */
  private static long selfCpu(boolean children) {
    long[] f = stat(Path.of("/proc/self/stat"));
    return children ? f[15] + f[16] : f[13] + f[14];
  }

  /** The numeric fields of a /proc stat file, 0-based as in proc(5) minus one. */
  private static long[] stat(Path p) {
    try {
      String s = Files.readString(p);
      String[] rest = s.substring(s.lastIndexOf(')') + 2).split(" ");
      long[] f = new long[rest.length + 2];
      for (int i = 0; i < rest.length; i++) {
        try {
          f[i + 2] = Long.parseLong(rest[i]);
        } catch (NumberFormatException e) {
          f[i + 2] = 0;
        }
      }
      return f;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + p, e);
    }
  }

  private static double clockTick() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
      String s = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Double.parseDouble(s);
    } catch (IOException | InterruptedException | NumberFormatException e) {
      return 100;
    }
  }

  /** Counts the bytes written to it. */
  private static final class Counter extends OutputStream {
    long n;

    @Override
    public void write(int b) {
      n++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      n += len;
    }
  }
}
