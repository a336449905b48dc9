package io.fleet.transport.e2e;

import io.fleet.api.DeployTarget;
import io.fleet.api.Host;
import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.ExternalTools;
import io.fleet.transport.SshTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH test host on a loopback port: {@code /usr/sbin/sshd} running as root in its own
 * mount namespace ({@code unshare --mount}), where the host has its own private {@code /nix}
 * (store, database, system profile), {@code /etc/ssh} (a fresh ed25519 host key, the authorized
 * keys), {@code /run}, {@code /var/lib/fleet} and an empty {@code /root} (so this machine's shell
 * start-up files do not run in its sessions). It has no systemd: it is for the transport and the
 * secrets over SSH; deployments run against real systemd hosts ({@link SystemdHost}).
 *
 * <p>Needs root, {@code sshd}, {@code ssh-keygen}, {@code unshare} and {@code nsenter}; {@link
 * #start} skips the calling test where they are missing (fails it under {@code CI=true}).
 *
 * <pre>{@code
 * try (SshdHost h = SshdHost.start("web-1");
 *     SshTransport ssh = SshdHost.transport(h)) {   // h's key pinned, clientKey() as identity
 *   ssh.connect(h.host()).run(Command.of("nix-store", "--version"));
 *   Files.readString(h.path("/var/lib/fleet/rollback-marker"));   // the host's files, from outside
 * }
 * }</pre>
 *
 * <p>Outside view: {@link #path(String)} maps a path on the host ({@code /nix/...}, {@code
 * /etc/ssh/...}, {@code /run/...}, {@code /var/lib/fleet/...}) to where the test can read it.
 * {@link #exec} runs a command inside the host's namespace without SSH (for setup and checks).
 * Fault injection: {@link #killSshd()} kills sshd and every SSH session (the host stays up: its
 * timers and detached units keep running); {@link #restartSshd()} brings sshd back on the same
 * port.
 */
public final class SshdHost implements NixTestHost, AutoCloseable {
  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static Path clientKey;

  private final String name;
  private final Path root;
  private final int port;
  private final Process anchor;
  private Process sshd;
  private boolean closed;

  private SshdHost(String name, Path root, int port, Process anchor) {
    this.name = name;
    this.root = root;
    this.port = port;
    this.anchor = anchor;
  }

  /**
   * The private key (ed25519, unencrypted OpenSSH file) that every {@code SshdHost} of this JVM
   * authorizes for root; generated once.
   */
  public static synchronized Path clientKey() {
    if (clientKey == null) {
      try {
        Path dir = Files.createTempDirectory("fleet-client-key");
        dir.toFile().deleteOnExit();
        clientKey = generateKey(dir.resolve("id_ed25519"), "fleet-test-client");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return clientKey;
  }

  /** Generates an unencrypted ed25519 key pair at {@code file} (and {@code file.pub}). */
  public static Path generateKey(Path file, String comment) {
    ExternalTools.require("ssh-keygen");
    run(
        List.of(
            "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file.toString()),
        null);
    return file;
  }

  /**
   * Starts a host named {@code name}: a fresh root directory, host key, authorized {@link
   * #clientKey()}, and sshd listening on a free loopback port.
   */
  public static SshdHost start(String name) {
    ExternalTools.require("sshd");
    ExternalTools.require("unshare");
    ExternalTools.require("nsenter");
    ExternalTools.require("nix-store");
    if (!"root".equals(System.getProperty("user.name"))) {
      String msg = "SshdHost needs root (mount namespaces, sshd)";
      if (ExternalTools.isCi()) {
        org.junit.jupiter.api.Assertions.fail(msg + "; CI=true, so it must not be skipped");
      }
      org.junit.jupiter.api.Assumptions.abort(msg);
    }
    try {
      Path root = Files.createTempDirectory("fleet-sshd-" + name + "-");
      for (String d :
          List.of(
              "nix/store",
              "nix/var/nix/profiles",
              "etc/ssh",
              "run/sshd",
              "run/secrets",
              "var/lib/fleet",
              "root")) {
        Files.createDirectories(root.resolve(d));
      }
      Files.setPosixFilePermissions(
          root.resolve("run/sshd"), PosixFilePermissions.fromString("rwxr-xr-x"));
      generateKey(root.resolve("etc/ssh/ssh_host_ed25519_key"), "root@" + name);
      Files.copy(Path.of(clientKey() + ".pub"), root.resolve("etc/ssh/authorized_keys"));
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Files.writeString(root.resolve("etc/ssh/sshd_config"), sshdConfig(port));
      // The anchor holds the mount namespace for the host's whole life, so sshd can be killed and
      // restarted while the host's timers and detached units keep running.
      String script =
          "set -e\n"
              + "r=$1\n"
              + "mkdir -p /var/lib/fleet /nix\n"
              + "mount --bind \"$r/nix\" /nix\n"
              + "mount --bind \"$r/etc/ssh\" /etc/ssh\n"
              + "mount --bind \"$r/run\" /run\n"
              + "mount --bind \"$r/var/lib/fleet\" /var/lib/fleet\n"
              + "mount --bind \"$r/root\" /root\n"
              + "echo ready\n"
              + "exec sleep 2147483647\n";
      Process anchor =
          new ProcessBuilder(
                  "unshare",
                  "--mount",
                  "--propagation",
                  "private",
                  "--",
                  "/bin/sh",
                  "-c",
                  script,
                  "sh",
                  root.toString())
              .redirectErrorStream(true)
              .start();
      byte[] line = new byte[6];
      int n = anchor.getInputStream().readNBytes(line, 0, 6);
      if (n != 6 || !"ready\n".equals(new String(line, StandardCharsets.UTF_8))) {
        String rest = new String(anchor.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        anchor.destroyForcibly();
        throw new IllegalStateException(
            "could not set up the mount namespace of test host "
                + name
                + " (needs root and unshare --mount): "
                + new String(line, 0, Math.max(0, n), StandardCharsets.UTF_8)
                + rest);
      }
      SshdHost host = new SshdHost(name, root, port, anchor);
      host.startSshd();
      return host;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sshdConfig(int port) {
    return String.join(
        "\n",
        "Port " + port,
        "ListenAddress 127.0.0.1",
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "AuthorizedKeysFile /etc/ssh/authorized_keys",
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "AllowTcpForwarding yes",
        "MaxSessions 64",
        "MaxStartups 100",
        "PidFile /run/sshd.pid",
        "LogLevel VERBOSE",
        "SetEnv PATH=" + PATH,
        "");
  }

  private synchronized void startSshd() {
    try {
      Path log = root.resolve("sshd.log");
      long before = Files.exists(log) ? Files.size(log) : 0;
      sshd =
          new ProcessBuilder(
                  "nsenter",
                  "--target",
                  Long.toString(anchor.pid()),
                  "--mount",
                  "--",
                  "/usr/sbin/sshd",
                  "-D",
                  "-e",
                  "-f",
                  "/etc/ssh/sshd_config")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
        if (text.length() > before && text.substring((int) before).contains("Server listening")) {
          return;
        }
        if (!sshd.isAlive()) {
          break;
        }
        Thread.sleep(50);
      }
      throw new IllegalStateException(
          "sshd of test host " + name + " did not start: " + Files.readString(log));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * An {@link SshTransport} for {@code hosts}: their host keys pinned (as the fleet data would),
   * {@link #clientKey()} as the identity, no ssh-agent, a 5 s connect timeout.
   */
  public static SshTransport transport(SshdHost... hosts) {
    Map<String, String> keys = new LinkedHashMap<>();
    for (SshdHost h : hosts) {
      keys.put(h.name(), h.hostKeyLine());
    }
    return SshTransport.builder()
        .pinnedHostKeys(keys)
        .identityFile(clientKey())
        .noSshAgent()
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** The host's name. */
  public String name() {
    return name;
  }

  /** The loopback port sshd listens on. */
  public int port() {
    return port;
  }

  /** The deploy target {@code root@127.0.0.1:<port>}. */
  public DeployTarget target() {
    return DeployTarget.builder().user("root").address("127.0.0.1").port(port).build();
  }

  /** A {@link Host} named {@link #name()} with {@link #target()}. */
  public Host host() {
    return Host.builder().name(name).target(target()).build();
  }

  /** The host's public key line {@code ssh-ed25519 AAAA… root@<name>}. */
  public String hostKeyLine() {
    return read(path("/etc/ssh/ssh_host_ed25519_key.pub")).trim();
  }

  /** The host's private key file (outside path), as the secrets tests decrypt with. */
  public Path hostPrivateKey() {
    return path("/etc/ssh/ssh_host_ed25519_key");
  }

  /** Adds a public key line to the host's authorized keys. */
  public void authorize(String publicKeyLine) {
    try {
      Files.writeString(
          path("/etc/ssh/authorized_keys"),
          publicKeyLine.trim() + "\n",
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Where the test sees {@code insidePath}: the host's {@code /nix}, {@code /etc/ssh}, {@code /run}
   * and {@code /var/lib/fleet} are directories under {@link #root()}.
   */
  public Path path(String insidePath) {
    for (String prefix : List.of("/nix", "/etc/ssh", "/run", "/var/lib/fleet")) {
      if (insidePath.equals(prefix) || insidePath.startsWith(prefix + "/")) {
        return root.resolve(insidePath.substring(1));
      }
    }
    throw new IllegalArgumentException(
        insidePath
            + " is not private to the test host (only /nix, /etc/ssh, /run, /var/lib/fleet)");
  }

  /** The host's root directory (outside path). */
  public Path root() {
    return root;
  }

  /**
   * Runs {@code argv} inside the host's mount namespace, as root, without SSH, with {@code stdin}
   * (may be null) as standard input; for test setup and checks.
   */
  public CommandResult exec(InputStream stdin, String... argv) {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            "nsenter",
            "--target",
            Long.toString(anchor.pid()),
            "--mount",
            "--",
            "env",
            "PATH=" + PATH));
    cmd.addAll(Arrays.asList(argv));
    return run(cmd, stdin);
  }

  /** {@link #exec(InputStream, String...)} without input. */
  public CommandResult exec(String... argv) {
    return exec(null, argv);
  }

  /** What {@code /run/current-system} points at, if it exists. */
  public Optional<String> currentSystem() {
    Path p = path("/run/current-system");
    try {
      return Files.isSymbolicLink(p)
          ? Optional.of(Files.readSymbolicLink(p).toString())
          : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the host's store holds {@code storePath} (checked in its own database). */
  public boolean hasStorePath(String storePath) {
    return exec("nix-store", "--check-validity", storePath).isSuccess();
  }

  /** How many SSH logins sshd has accepted so far. */
  public int acceptedLogins() {
    return NixTestHost.acceptedLogins(read(root.resolve("sshd.log")));
  }

  /** sshd's log so far (for failure messages). */
  public String sshdLog() {
    return read(root.resolve("sshd.log"));
  }

  /**
   * Kills sshd and every SSH session of the host at once (the TCP connections drop, new ones are
   * refused); the host stays up, its timers and detached units keep running.
   */
  public synchronized void killSshd() {
    if (sshd == null) {
      return;
    }
    List<ProcessHandle> sessions = new ArrayList<>();
    sshd.descendants()
        .filter(h -> h.info().command().map(c -> c.endsWith("sshd")).orElse(false))
        .forEach(sessions::add);
    sshd.destroyForcibly();
    sessions.forEach(ProcessHandle::destroyForcibly);
    try {
      sshd.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sshd = null;
  }

  /**
   * Freezes ({@code SIGSTOP}) sshd and every SSH session of the host: connections stay open but
   * nothing answers, as when the network silently drops packets. {@link #thaw()} undoes it.
   */
  public synchronized void freeze() {
    signalSshd("-STOP");
  }

  /** Resumes what {@link #freeze()} stopped. */
  public synchronized void thaw() {
    signalSshd("-CONT");
  }

  private void signalSshd(String signal) {
    if (sshd == null) {
      return;
    }
    List<String> argv = new ArrayList<>(List.of("kill", signal, Long.toString(sshd.pid())));
    sshd.descendants()
        .filter(h -> h.info().command().map(c -> c.endsWith("sshd")).orElse(false))
        .forEach(h -> argv.add(Long.toString(h.pid())));
    NixTestHost.check(run(argv, null), "kill " + signal);
  }

  /** Starts sshd again on the same port (after {@link #killSshd()}). */
  public synchronized void restartSshd() {
    killSshd();
    startSshd();
  }

  /** Stops sshd and every process of the host, and deletes its files; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    killSshd();
    String ns = namespaceOf(anchor.pid());
    // Every process left in the host's mount namespace (timers, detached units) belongs to it.
    if (ns != null) {
      ProcessHandle.allProcesses()
          .filter(h -> h.pid() != anchor.pid() && ns.equals(namespaceOf(h.pid())))
          .forEach(ProcessHandle::destroyForcibly);
    }
    anchor.destroyForcibly();
    try {
      anchor.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    run(List.of("chmod", "-R", "u+w", root.toString()), null);
    run(List.of("rm", "-rf", root.toString()), null);
  }

  private static String namespaceOf(long pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "mnt")).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code argv} on this machine with {@code stdin} (may be null); for the test hosts. */
  static CommandResult runProcess(List<String> argv, InputStream stdin) {
    return run(argv, stdin);
  }

  private static CommandResult run(List<String> argv, InputStream stdin) {
    try {
      Process p = new ProcessBuilder(argv).start();
      Thread feeder =
          new Thread(
              () -> {
                try (OutputStream o = p.getOutputStream()) {
                  if (stdin != null) {
                    stdin.transferTo(o);
                  }
                } catch (IOException e) {
                  // the command stopped reading; its exit code tells
                }
              });
      feeder.start();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Thread errs =
          new Thread(
              () -> {
                try {
                  p.getErrorStream().transferTo(err);
                } catch (IOException e) {
                  // ends with the process
                }
              });
      errs.start();
      byte[] out = p.getInputStream().readAllBytes();
      int code = p.waitFor();
      errs.join();
      feeder.join();
      return new CommandResult(code, out, err.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
