package io.fleet.transport.e2e;

import io.fleet.api.DeployTarget;
import io.fleet.api.Host;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real systemd test host: Debian 12 booted with {@code systemd-nspawn --boot} (systemd 252 as PID
 * 1, the real OpenSSH server, real {@code sudo}, Debian's nix 2.8), sharing this machine's network,
 * with its sshd on its own {@code 127.0.0.1:<port>}.
 *
 * <p>The root tree is built once by {@code build-systemd-root.sh} (debootstrap, about a minute and
 * 340 MB) into {@value #CACHE_DEFAULT} (or {@code $FLEET_TEST_ROOT_CACHE}), under a file lock so
 * two JVMs never build it twice, and rebuilt when the script changes or the tree is incomplete.
 * Each host is an overlay on that tree: its own writable layer with its own host key, port,
 * authorized keys, {@code /nix} store and profile, and the boot-time rollback watchdog ({@code
 * fleet-rollback-boot.timer}/{@code .service}) installed as the NixOS module defines it, with the
 * module's own condition script and {@link HostProtocol#ROLLBACK_SCRIPT}. The overlay is mounted
 * here (not by nspawn), so {@link #path} shows the host's files from outside; {@code /run} is the
 * container's own tmpfs and is read through {@link #exec}.
 *
 * <p>Users: {@code root} and {@code deploy} (sudo with NOPASSWD) both authorize {@link
 * SshdHost#clientKey()}. {@link #reboot()} shuts the container down and boots it again on the same
 * layer, as a machine reboots: {@code /run} is new, the marker under {@code /var/lib/fleet} stays.
 */
public final class SystemdHost implements NixTestHost, AutoCloseable {
  /** Where the root tree is cached unless {@code $FLEET_TEST_ROOT_CACHE} says otherwise. */
  public static final String CACHE_DEFAULT = "/var/cache/fleet-test";

  /** The control directory the test flake's systems read (persistent, seen from outside). */
  public static final String CONTROL = "/var/lib/fleet-test";

  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);
  private static Path tree;

  private final String name;
  private final Path dir;
  private final Path root;
  private final int port;
  private Process nspawn;
  private long leader;
  private boolean closed;

  private SystemdHost(String name, Path dir, int port) {
    this.name = name;
    this.dir = dir;
    this.root = dir.resolve("root");
    this.port = port;
  }

  // ------------------------------------------------------------------ the root tree

  /**
   * The root tree, built if it is missing or incomplete. Skips the calling test where the tools or
   * root are missing (fails it under {@code CI=true}).
   */
  public static synchronized Path rootTree() {
    if (tree != null) {
      return tree;
    }
    for (String tool : List.of("debootstrap", "systemd-nspawn", "nsenter", "mount", "umount")) {
      ExternalTools.require(tool);
    }
    ExternalTools.require("ssh-keygen");
    ExternalTools.require("nix-store");
    if (!"root".equals(System.getProperty("user.name"))) {
      String msg = "SystemdHost needs root (debootstrap, overlay mounts, systemd-nspawn)";
      if (ExternalTools.isCi()) {
        org.junit.jupiter.api.Assertions.fail(msg + "; CI=true, so it must not be skipped");
      }
      org.junit.jupiter.api.Assumptions.abort(msg);
    }
    try {
      byte[] script;
      try (InputStream in = SystemdHost.class.getResourceAsStream("build-systemd-root.sh")) {
        script = in.readAllBytes();
      }
      String env = System.getenv("FLEET_TEST_ROOT_CACHE");
      Path cache = Files.createDirectories(Path.of(env != null ? env : CACHE_DEFAULT));
      // The tree's name has the script's hash: a changed script makes a new tree.
      Path t = cache.resolve("bookworm-" + sha256(script).substring(0, 12));
      try (FileChannel ch =
              FileChannel.open(
                  cache.resolve("build.lock"),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE);
          FileLock lock = ch.lock()) {
        if (!Files.exists(t.resolve(".fleet-test-root"))) {
          Path sh = cache.resolve("build-systemd-root.sh");
          Files.write(sh, script);
          Path log = cache.resolve("build.log");
          long started = System.nanoTime();
          Process p =
              new ProcessBuilder("sh", sh.toString(), t.toString(), debianMirror())
                  .redirectErrorStream(true)
                  .redirectOutput(log.toFile())
                  .start();
          if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(
                "building the systemd test hosts' root tree failed; see "
                    + log
                    + ":\n"
                    + tail(log));
          }
          System.out.printf(
              "e2e figures: built the systemd root tree %s in %d s%n",
              t, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
        }
      }
      tree = t;
      return t;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The Debian mirror apt already uses ({@code $FLEET_TEST_DEBIAN_MIRROR} wins). */
  static String debianMirror() throws IOException {
    String env = System.getenv("FLEET_TEST_DEBIAN_MIRROR");
    if (env != null && !env.isBlank()) {
      return env;
    }
    Pattern uri = Pattern.compile("(?m)^(?:URIs:\\s*|deb\\s+(?:\\[[^]]*]\\s+)?)(https?://\\S+)");
    List<Path> sources = new ArrayList<>();
    sources.add(Path.of("/etc/apt/sources.list"));
    Path d = Path.of("/etc/apt/sources.list.d");
    if (Files.isDirectory(d)) {
      try (var s = Files.list(d)) {
        s.sorted().forEach(sources::add);
      }
    }
    for (Path f : sources) {
      if (Files.isRegularFile(f)) {
        for (Matcher m = uri.matcher(Files.readString(f)); m.find(); ) {
          String u = m.group(1);
          if (u.endsWith("/debian") || u.endsWith("/debian/")) {
            return u;
          }
        }
      }
    }
    return "http://deb.debian.org/debian";
  }

  // ------------------------------------------------------------------ a host

  /** Starts a host named {@code name} whose boot-time watchdog fires 600 s after boot. */
  public static SystemdHost start(String name) {
    return start(name, Duration.ofSeconds(600));
  }

  /**
   * Starts a host named {@code name}: a fresh layer over {@link #rootTree()} (host key, port,
   * authorized keys, boot watchdog with {@code bootWindow}), booted and answering SSH.
   */
  public static SystemdHost start(String name, Duration bootWindow) {
    Path base = rootTree();
    try {
      Path dir = Files.createTempDirectory("fleet-systemd-" + name + "-");
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      SystemdHost h = new SystemdHost(name, dir, port);
      // A JVM that is stopped (not killed) still shuts its containers down and unmounts them.
      Runtime.getRuntime().addShutdownHook(new Thread(h::close, "close " + name));
      try {
        h.mount(base);
        h.configure(bootWindow);
        h.boot();
      } catch (RuntimeException | IOException e) {
        h.close();
        throw e;
      }
      return h;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void mount(Path base) throws IOException {
    for (String d : List.of("upper", "work", "root")) {
      Files.createDirectories(dir.resolve(d));
    }
    NixTestHost.check(
        run(
            List.of(
                "mount",
                "-t",
                "overlay",
                "overlay",
                "-o",
                "lowerdir="
                    + base
                    + ",upperdir="
                    + dir.resolve("upper")
                    + ",workdir="
                    + dir.resolve("work"),
                root.toString()),
            null),
        "mount the overlay of " + name);
  }

  private void configure(Duration bootWindow) throws IOException {
    Path ssh = root.resolve("etc/ssh");
    SshdHost.generateKey(ssh.resolve("ssh_host_ed25519_key"), "root@" + name);
    Files.writeString(
        ssh.resolve("sshd_config.d/fleet-test.conf"),
        String.join(
            "\n",
            "Port " + port,
            "ListenAddress 127.0.0.1",
            "HostKey /etc/ssh/ssh_host_ed25519_key",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "UseDNS no",
            "MaxSessions 64",
            "MaxStartups 100",
            "LogLevel VERBOSE",
            ""));
    String pub = Files.readString(Path.of(SshdHost.clientKey() + ".pub"));
    for (String home : List.of("root", "home/deploy")) {
      Path d = Files.createDirectories(root.resolve(home).resolve(".ssh"));
      Files.writeString(d.resolve("authorized_keys"), pub);
    }
    NixTestHost.check(
        run(
            List.of("chroot", root.toString(), "chown", "-R", "deploy:deploy", "/home/deploy"),
            null),
        "chown deploy's home");
    NixTestHost.check(
        run(
            List.of(
                "chmod",
                "700",
                root.resolve("root/.ssh").toString(),
                root.resolve("home/deploy/.ssh").toString()),
            null),
        "chmod .ssh");
    Files.createDirectories(root.resolve("var/lib/fleet"));
    Files.createDirectories(root.resolve(CONTROL.substring(1)));
    // The host builds (on the target, or as a remote builder): offline, so no binary cache to ask
    // (nix would retry cache.nixos.org for seconds before every build).
    Path nixConf = root.resolve("etc/nix/nix.conf");
    Files.writeString(nixConf, Files.readString(nixConf) + "substituters =\n");
    installBootWatchdog(bootWindow);
  }

  /**
   * The NixOS module's {@code fleet-rollback-boot} timer and service, written as the unit files
   * NixOS makes of them; the condition script is the module's own text, the rollback script {@link
   * HostProtocol#ROLLBACK_SCRIPT} (which the module's {@code rollback.sh} equals).
   */
  private void installBootWatchdog(Duration window) throws IOException {
    Path lib = Files.createDirectories(root.resolve("usr/local/lib/fleet"));
    Path rollback = lib.resolve("fleet-rollback");
    Files.writeString(rollback, "#!/bin/sh\n" + HostProtocol.ROLLBACK_SCRIPT);
    Path condition = lib.resolve("fleet-rollback-marker-from-earlier-boot");
    Files.writeString(condition, moduleConditionScript());
    NixTestHost.check(
        run(List.of("chmod", "755", rollback.toString(), condition.toString()), null), "chmod");
    Path units = root.resolve("etc/systemd/system");
    String description = "Roll back an unconfirmed fleet deployment after a reboot";
    Files.writeString(
        units.resolve(HostProtocol.BOOT_WATCHDOG_UNIT + ".timer"),
        String.join(
            "\n",
            "[Unit]",
            "Description=" + description,
            "ConditionPathExists=" + HostProtocol.MARKER,
            "",
            "[Timer]",
            "OnBootSec=" + window.toSeconds() + "s",
            "AccuracySec=1s",
            "",
            "[Install]",
            "WantedBy=timers.target",
            ""));
    Files.writeString(
        units.resolve(HostProtocol.BOOT_WATCHDOG_UNIT + ".service"),
        String.join(
            "\n",
            "[Unit]",
            "Description=" + description,
            "ConditionPathExists=" + HostProtocol.MARKER,
            "",
            "[Service]",
            "Type=oneshot",
            "ExecCondition=/usr/local/lib/fleet/fleet-rollback-marker-from-earlier-boot",
            "ExecStart=/usr/local/lib/fleet/fleet-rollback",
            ""));
    Path wants = Files.createDirectories(units.resolve("timers.target.wants"));
    Files.createSymbolicLink(
        wants.resolve(HostProtocol.BOOT_WATCHDOG_UNIT + ".timer"),
        Path.of("../" + HostProtocol.BOOT_WATCHDOG_UNIT + ".timer"));
  }

  /**
   * The text of the module's {@code markerFromEarlierBoot} script, its {@code ${marker}} filled.
   */
  static String moduleConditionScript() throws IOException {
    Path module = Path.of("../fleet-nix/src/main/nix/nixos/rollback-watchdog.nix");
    String nix = Files.readString(module);
    Matcher m =
        Pattern.compile(
                "markerFromEarlierBoot = (?:pkgs\\.writeScript|builtins\\.toFile) \"[^\"]*\" ''\\n(.*?)\\n\\s*'';",
                Pattern.DOTALL)
            .matcher(nix);
    if (!m.find()) {
      throw new IllegalStateException(module + " has no markerFromEarlierBoot script");
    }
    List<String> lines = Arrays.asList(m.group(1).split("\n", -1));
    int indent =
        lines.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l.length() >= indent ? l.substring(indent) : l.strip()).append('\n');
    }
    return sb.toString().replace("${marker}", HostProtocol.MARKER);
  }

  /** Boots the container and waits until sshd answers. */
  private synchronized void boot() throws IOException {
    Path console = dir.resolve("console.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                "systemd-nspawn",
                "--quiet",
                "--directory=" + root,
                "--machine=fleet-" + name + "-" + port,
                "--boot",
                "--register=no",
                "--keep-unit",
                "--console=passive")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()));
    pb.environment().put("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY", "1");
    nspawn = pb.start();
    long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!nspawn.isAlive()) {
        throw new IllegalStateException(
            "systemd-nspawn of test host " + name + " exited: " + Files.readString(console));
      }
      if (leader == 0) {
        leader = findLeader(nspawn.pid());
      }
      if (leader != 0 && portOpen()) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException(
        "test host "
            + name
            + " did not answer SSH within "
            + BOOT_TIMEOUT
            + ": "
            + Files.readString(console));
  }

  private boolean portOpen() {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The container's PID 1, seen from here: the descendant of nspawn whose namespace pid is 1. */
  private static long findLeader(long nspawnPid) {
    return ProcessHandle.of(nspawnPid).stream()
        .flatMap(ProcessHandle::descendants)
        .filter(
            h -> {
              try {
                for (String l :
                    Files.readAllLines(Path.of("/proc", Long.toString(h.pid()), "status"))) {
                  if (l.startsWith("NSpid:")) {
                    String[] f = l.trim().split("\\s+");
                    return f.length > 2 && f[f.length - 1].equals("1");
                  }
                }
              } catch (IOException e) {
                // gone
              }
              return false;
            })
        .mapToLong(ProcessHandle::pid)
        .findFirst()
        .orElse(0);
  }

  /**
   * Reboots the host as a machine reboots: a clean shutdown of the container (SIGTERM to nspawn:
   * systemd stops every unit, transient timers are gone), then a new boot on the same layer.
   */
  public synchronized void reboot() {
    shutdown();
    try {
      boot();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void shutdown() {
    if (nspawn == null) {
      return;
    }
    nspawn.destroy();
    try {
      if (!nspawn.waitFor(20, TimeUnit.SECONDS)) {
        nspawn.destroyForcibly();
        nspawn.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    nspawn = null;
    leader = 0;
  }

  // ------------------------------------------------------------------ views and actions

  /** The host's name. */
  public String name() {
    return name;
  }

  /** The loopback port its sshd listens on. */
  public int port() {
    return port;
  }

  /** The deploy target {@code <user>@127.0.0.1:<port>}. */
  public DeployTarget target(String user) {
    return DeployTarget.builder().user(user).address("127.0.0.1").port(port).build();
  }

  /** A {@link Host} named {@link #name()} deployed as {@code root}. */
  public Host host() {
    return Host.builder().name(name).target(target("root")).build();
  }

  /** The host's public key line {@code ssh-ed25519 AAAA… root@<name>}. */
  public String hostKeyLine() {
    return read(root.resolve("etc/ssh/ssh_host_ed25519_key.pub")).trim();
  }

  /** Where the test sees {@code insidePath} (not for {@code /run}, the container's own tmpfs). */
  public Path path(String insidePath) {
    if (insidePath.equals("/run") || insidePath.startsWith("/run/")) {
      throw new IllegalArgumentException(insidePath + " is the container's tmpfs: use exec");
    }
    return root.resolve(insidePath.substring(1));
  }

  /** Writes a control file for the test systems ({@value #CONTROL}/{@code name}). */
  public void control(String file, String content) {
    try {
      Files.writeString(path(CONTROL + "/" + file), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes a control file. */
  public void clearControl(String file) {
    try {
      Files.deleteIfExists(path(CONTROL + "/" + file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code argv} as root inside the host (all its namespaces), without SSH. */
  public CommandResult exec(InputStream stdin, String... argv) {
    if (leader == 0) {
      throw new IllegalStateException("test host " + name + " is not running");
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "nsenter",
                "--target",
                Long.toString(leader),
                "--mount",
                "--uts",
                "--ipc",
                "--pid",
                "--",
                "env",
                "-i",
                "PATH=" + PATH));
    cmd.addAll(Arrays.asList(argv));
    return run(cmd, stdin);
  }

  /** {@link #exec(InputStream, String...)} without input. */
  public CommandResult exec(String... argv) {
    return exec(null, argv);
  }

  /** {@code systemctl is-active <unit>}'s answer ({@code active}, {@code inactive}, …). */
  public String isActive(String unit) {
    return exec("systemctl", "is-active", unit).stdoutText().trim();
  }

  /** What {@code /run/current-system} points at, if it exists. */
  public Optional<String> currentSystem() {
    CommandResult r = exec("readlink", "/run/current-system");
    return r.isSuccess() ? Optional.of(r.stdoutText().trim()) : Optional.empty();
  }

  /** Whether the rollback marker exists. */
  public boolean hasMarker() {
    return Files.exists(path(HostProtocol.MARKER));
  }

  /** The lines of {@code /var/lib/fleet/<file>}, or empty if it does not exist. */
  public Optional<String> stateFile(String file) {
    Path p = path(HostProtocol.STATE_DIR + "/" + file);
    return Files.exists(p) ? Optional.of(read(p)) : Optional.empty();
  }

  /** SSH logins the host's sshd accepted so far (from its journal). */
  public int acceptedLogins() {
    return NixTestHost.acceptedLogins(
        exec("journalctl", "--no-pager", "-o", "cat", "_COMM=sshd").stdoutText());
  }

  /**
   * Kills every SSH connection of the host at once (sshd and every session process), then starts
   * sshd again: the host and its units keep running, the deployer's connections drop.
   */
  public void dropSshConnections() {
    exec("pkill", "-KILL", "-x", "sshd");
    exec("systemctl", "reset-failed", "ssh.service");
    NixTestHost.check(exec("systemctl", "start", "ssh.service"), "start ssh.service on " + name);
  }

  /** The end of the host's journal, for failure messages. */
  public String journal() {
    return exec("journalctl", "--no-pager", "-n", "80").stdoutText();
  }

  /** Shuts the container down, unmounts its layer and deletes it; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    shutdown();
    run(List.of("umount", root.toString()), null);
    run(List.of("rm", "-rf", dir.toString()), null);
  }

  @Override
  public String toString() {
    return "SystemdHost{" + name + " at 127.0.0.1:" + port + "}";
  }

  // ------------------------------------------------------------------ helpers

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String tail(Path log) throws IOException {
    String s = Files.readString(log, StandardCharsets.ISO_8859_1);
    return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static CommandResult run(List<String> argv, InputStream stdin) {
    return SshdHost.runProcess(argv, stdin);
  }
}
