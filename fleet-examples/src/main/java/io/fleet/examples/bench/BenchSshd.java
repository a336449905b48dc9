package io.fleet.examples.bench;

import io.fleet.api.DeployTarget;
import io.fleet.api.Host;
import io.fleet.transport.SshTransport;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A throwaway OpenSSH server on loopback for the SSH benchmarks: fresh ed25519 host and client keys
 * in a temporary directory, the client key authorized. Run as root, sshd gets its own mount
 * namespace with an empty {@code /root}, so the machine's shell start-up files do not count. Needs
 * {@code /usr/sbin/sshd} and {@code ssh-keygen}. Public for the CLI's tests against a real sshd.
 */
public final class BenchSshd implements AutoCloseable {
  final Path dir;
  final int port;
  final String user = System.getProperty("user.name");
  private final Process sshd;

  private BenchSshd(Path dir, int port, Process sshd) {
    this.dir = dir;
    this.port = port;
    this.sshd = sshd;
  }

  /** Starts sshd; {@code extraConfig} lines go into its sshd_config. */
  public static BenchSshd start(String... extraConfig) throws Exception {
    Path dir = Files.createTempDirectory("fleet-ssh-bench");
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host").toString());
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("client").toString());
    Files.copy(dir.resolve("client.pub"), dir.resolve("authorized_keys"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> config =
        new ArrayList<>(
            List.of(
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + dir.resolve("host"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "StrictModes no",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "MaxSessions 100",
                "MaxStartups 100",
                "PidFile none"));
    config.addAll(List.of(extraConfig));
    Files.writeString(dir.resolve("sshd_config"), String.join("\n", config) + "\n");
    boolean root = "root".equals(System.getProperty("user.name"));
    Path emptyHome = Files.createDirectories(dir.resolve("home"));
    List<String> cmd = new ArrayList<>();
    if (root) {
      Files.createDirectories(Path.of("/run/sshd"));
      cmd.addAll(
          List.of(
              "unshare",
              "--mount",
              "--propagation",
              "private",
              "--",
              "sh",
              "-c",
              "mount --bind \"$1\" /root && shift && exec \"$@\"",
              "sh",
              emptyHome.toString()));
    }
    cmd.addAll(List.of("/usr/sbin/sshd", "-D", "-e", "-f", dir.resolve("sshd_config").toString()));
    Process sshd =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("sshd.log").toFile())
            .start();
    BenchSshd s = new BenchSshd(dir, port, sshd);
    try {
      s.waitForListening();
    } catch (Exception e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** The host to connect to, as the login user of this process. */
  Host host() {
    return Host.builder()
        .name("bench")
        .target(DeployTarget.builder().user(user).address("127.0.0.1").port(port).build())
        .build();
  }

  /** An SSH transport with the client key and the server's host key pinned. */
  SshTransport.Builder transport() throws IOException {
    String hostKey = Files.readString(dir.resolve("host.pub")).trim();
    return SshTransport.builder()
        .pinnedHostKeys(Map.of("bench", hostKey))
        .identityFile(dir.resolve("client"));
  }

  /** The server's log so far. */
  String log() throws IOException {
    return Files.readString(dir.resolve("sshd.log"), StandardCharsets.ISO_8859_1);
  }

  /** The process id of the listening sshd (session processes are its children). */
  long pid() {
    return sshd.descendants()
        .filter(p -> p.info().command().map(c -> c.endsWith("sshd")).orElse(false))
        .findFirst()
        .orElse(sshd.toHandle())
        .pid();
  }

  private void waitForListening() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(dir.resolve("sshd.log")) && log().contains("Server listening")) {
        return;
      }
      if (!sshd.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("sshd did not start: " + log());
  }

  /** The port it listens on (on 127.0.0.1). */
  public int port() {
    return port;
  }

  /** The login user (this process's). */
  public String user() {
    return user;
  }

  /** The client's private key file (authorized). */
  public Path clientKey() {
    return dir.resolve("client");
  }

  /** The server's public host key line. */
  public String hostKeyLine() throws IOException {
    return Files.readString(dir.resolve("host.pub")).trim();
  }

  @Override
  public void close() throws Exception {
    sshd.descendants().forEach(ProcessHandle::destroy);
    sshd.destroy();
    sshd.waitFor();
    run("rm", "-rf", dir.toString());
  }

  static void run(String... argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", argv) + " failed");
    }
  }
}
