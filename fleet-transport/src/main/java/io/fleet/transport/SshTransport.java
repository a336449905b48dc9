package io.fleet.transport;

import io.fleet.api.DeployTarget;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.TransportException;
import io.fleet.api.data.FleetData;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Transport;
import io.fleet.transport.internal.AgentAuth;
import io.fleet.transport.internal.HostKeyCheck;
import io.fleet.transport.internal.SshAgent;
import io.fleet.transport.internal.SshAlgorithms;
import io.fleet.transport.internal.SshConnection;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.schmizz.keepalive.KeepAlive;
import net.schmizz.keepalive.KeepAliveProvider;
import net.schmizz.keepalive.KeepAliveRunner;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.DisconnectReason;
import net.schmizz.sshj.connection.channel.direct.DirectConnection;
import net.schmizz.sshj.userauth.UserAuthException;
import net.schmizz.sshj.userauth.method.AuthMethod;
import net.schmizz.sshj.userauth.method.AuthPublickey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Transport} that reaches hosts over SSH, built on sshj.
 *
 * <p>Every {@link #connect} opens a new SSH connection to the host's {@link Host#deployTarget()}
 * (user, address, port, and jump hosts with OpenSSH {@code ProxyJump} semantics, tunnelled through
 * {@code direct-tcpip} channels); commands on one connection run in their own channels, so they may
 * run concurrently. Users authenticate with private key files ({@link Builder#identityFile(Path)},
 * by default {@code ~/.ssh/id_ed25519}, {@code id_ecdsa} and {@code id_rsa} where they exist) and
 * with the keys of an ssh-agent ({@code SSH_AUTH_SOCK}, or {@link Builder#sshAgent(Path)}), which
 * signs without handing out its private keys. Commands with {@code sudo()} run through {@code sudo
 * -n} when the login user is not root.
 *
 * <p>Host keys are never trusted blindly: the key recorded in the fleet data ({@code
 * hosts.<name>.encryptionKey}, see {@link Builder#pinnedHostKeys(FleetData)}) is pinned when
 * present, {@code ~/.ssh/known_hosts} decides otherwise, and an unknown key is accepted only with
 * {@link Builder#acceptUnknownHostKeys(boolean)}, and then logged.
 *
 * <pre>{@code
 * try (SshTransport ssh = SshTransport.builder()
 *         .pinnedHostKeys(fleetData)
 *         .identityFile(Path.of("/home/ops/.ssh/deploy_ed25519"))
 *         .build();
 *     Connection c = ssh.connect(host)) {
 *   CommandResult r = c.run(Command.of("nixos-version"));
 * }
 * }</pre>
 */
public final class SshTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(SshTransport.class);

  private final Map<String, String> pinnedKeys;
  private final Optional<Path> knownHosts;
  private final boolean acceptUnknownHostKeys;
  private final List<Path> identityFiles;
  private final Optional<SshAgent> agent;
  private final Duration connectTimeout;
  private final Duration commandTimeout;
  private final Duration idleTimeout;
  private final Duration keepAliveInterval;
  private final List<String> ciphers;
  private final Set<SshConnection> open = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> opened = new ConcurrentHashMap<>();
  private final ExecutorService pumps;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SshTransport(Builder b) {
    this.pinnedKeys = Map.copyOf(b.pinnedKeys);
    this.knownHosts = b.knownHosts;
    this.acceptUnknownHostKeys = b.acceptUnknownHostKeys;
    this.identityFiles = List.copyOf(b.identityFiles);
    this.agent = b.agentSocket.filter(Files::exists).map(SshAgent::new);
    this.connectTimeout = b.connectTimeout;
    this.commandTimeout = b.commandTimeout;
    this.idleTimeout = b.idleTimeout;
    this.keepAliveInterval = b.keepAliveInterval;
    this.ciphers = List.copyOf(b.ciphers);
    this.pumps = Executors.newCachedThreadPool(daemon("fleet-ssh-stream"));
  }

  /** A builder with the defaults described on its methods. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens a new, authenticated SSH connection to {@code host}.
   *
   * @throws TransportException with reason {@code UNREACHABLE} (refused, no route, no answer within
   *     the connect timeout), {@code HOST_KEY_MISMATCH}, {@code HOST_KEY_UNKNOWN} or {@code
   *     AUTHENTICATION}
   */
  @Override
  public Connection connect(Host host) {
    if (closed.get()) {
      throw new IllegalStateException("this SshTransport is closed; build a new one");
    }
    DeployTarget target = host.deployTarget();
    Optional<String> pin = Optional.ofNullable(pinnedKeys.get(host.name()));
    if (pin.isPresent()) {
      try {
        HostKeyCheck.fingerprintOfLine(pin.get());
      } catch (IllegalArgumentException e) {
        throw new FleetConfigException(
            "host "
                + host.name()
                + ": the pinned host key (hosts."
                + host.name()
                + ".encryptionKey) is not an OpenSSH public key line 'ssh-ed25519 AAAA…': fix it"
                + " in the fleet data");
      }
    }
    List<SSHClient> chain = new ArrayList<>();
    try {
      chain.add(open(host.name(), target, pin, true, chain));
    } catch (ClosedDuringAuthentication e) {
      // sshd went away mid-handshake (as it does while an activation restarts it): one more try.
      closeAll(chain);
      chain.clear();
      pauseBeforeRetry();
      try {
        chain.add(open(host.name(), target, pin, true, chain));
      } catch (RuntimeException again) {
        closeAll(chain);
        throw again;
      }
    } catch (RuntimeException e) {
      closeAll(chain);
      throw e;
    }
    opened.computeIfAbsent(host.name(), k -> new AtomicInteger()).incrementAndGet();
    SshConnection c =
        new SshConnection(
            host.name(),
            target.spec(),
            target.needsSudo(),
            chain,
            commandTimeout,
            pumps,
            open::remove);
    open.add(c);
    LOG.debug("host {}: connected to {}", host.name(), target.spec());
    return c;
  }

  /**
   * How many connections this transport has opened to {@code host} so far (jump hosts not counted);
   * for reports and tests.
   */
  public int connectionsOpened(String host) {
    AtomicInteger n = opened.get(host);
    return n == null ? 0 : n.get();
  }

  /** Connects to {@code target}, through its jump hosts (added to {@code chain}) first. */
  private SSHClient open(
      String host,
      DeployTarget target,
      Optional<String> pin,
      boolean isHost,
      List<SSHClient> chain) {
    SSHClient via = null;
    if (target.jumpHost().isPresent()) {
      via = open(host, target.jumpHost().get(), Optional.empty(), false, chain);
      chain.add(via);
    }
    String label = isHost ? host : host + "'s jump host " + target.spec();
    HostKeyCheck check = new HostKeyCheck(label, pin, knownHosts, acceptUnknownHostKeys);
    DefaultConfig config = new DefaultConfig();
    SshAlgorithms.prefer(config, ciphers);
    config.setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
    SSHClient client = new SSHClient(config);
    client.addHostKeyVerifier(check);
    client.setConnectTimeout(millis(connectTimeout));
    client.setTimeout(millis(connectTimeout));
    client.getTransport().setTimeoutMs(millis(connectTimeout));
    client.getConnection().setTimeoutMs(millis(connectTimeout));
    // A host is declared lost once it has left idleTimeout / interval keepalives unanswered. sshj
    // starts the keepalive thread on connect, and only if the interval is set by then.
    KeepAlive keepAlive = client.getConnection().getKeepAlive();
    int intervalSeconds = (int) Math.max(1, keepAliveInterval.toSeconds());
    if (keepAlive instanceof KeepAliveRunner) {
      ((KeepAliveRunner) keepAlive)
          .setMaxAliveCount((int) Math.max(1, idleTimeout.toSeconds() / intervalSeconds));
    }
    keepAlive.setKeepAliveInterval(intervalSeconds);
    String phase = "connecting";
    try {
      if (via == null) {
        client.connect(target.address(), target.port());
      } else {
        DirectConnection tunnel = via.newDirectConnection(target.address(), target.port());
        client.connectVia(tunnel, target.address(), target.port());
      }
      phase = "authenticating";
      client.auth(target.user(), authMethods(client));
      return client;
    } catch (UserAuthException e) {
      boolean hungUp = !client.isConnected();
      close(client);
      if (hungUp) {
        // A refused key leaves the transport up; a transport that is gone was not a refusal.
        throw new ClosedDuringAuthentication(
            host,
            label
                + " ("
                + target.spec()
                + ") closed the connection while authenticating user "
                + target.user()
                + ": sshd may be restarting there; try again",
            e);
      }
      throw new TransportException(
          host,
          TransportException.Reason.AUTHENTICATION,
          label
              + " ("
              + target.spec()
              + ") refused the user key(s) "
              + keyNames()
              + " for user "
              + target.user()
              + ": add the matching public key to ~"
              + target.user()
              + "/.ssh/authorized_keys there, or configure the right identity file",
          e);
    } catch (IOException e) {
      close(client);
      Optional<TransportException> refusal = check.refusal();
      if (refusal.isPresent()) {
        TransportException r = refusal.get();
        throw new TransportException(host, r.reason(), r.getMessage(), e);
      }
      throw connectFailure(host, label, target, phase, e);
    }
  }

  /** The server hung up during authentication: a lost connection, retried once by connect. */
  private static final class ClosedDuringAuthentication extends TransportException {
    private static final long serialVersionUID = 1L;

    ClosedDuringAuthentication(String host, String message, Throwable cause) {
      super(host, TransportException.Reason.CONNECTION_LOST, message, cause);
    }
  }

  private static void pauseBeforeRetry() {
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private TransportException connectFailure(
      String host, String label, DeployTarget target, String phase, IOException e) {
    String at = label + " (" + target.spec() + ")";
    if (e instanceof ConnectException) {
      return new TransportException(
          host,
          TransportException.Reason.UNREACHABLE,
          "cannot connect to "
              + at
              + ": "
              + e.getMessage()
              + "; check the address and port and that sshd runs there",
          e);
    }
    if (e instanceof UnknownHostException) {
      return new TransportException(
          host,
          TransportException.Reason.UNREACHABLE,
          "cannot resolve the address of " + at + ": check the host name in its deploy target",
          e);
    }
    if (e instanceof NoRouteToHostException) {
      return new TransportException(
          host,
          TransportException.Reason.UNREACHABLE,
          "no route to " + at + ": check the network between here and the host",
          e);
    }
    if (e instanceof SocketTimeoutException
        || e.getCause() instanceof SocketTimeoutException
        || isTimeout(e)) {
      return new TransportException(
          host,
          TransportException.Reason.UNREACHABLE,
          at
              + " did not answer within the connect timeout of "
              + connectTimeout.toSeconds()
              + "s while "
              + phase
              + ": check that the host is up and reachable on that port, or raise the connect"
              + " timeout",
          e);
    }
    if (e instanceof net.schmizz.sshj.common.SSHException
        && ((net.schmizz.sshj.common.SSHException) e).getDisconnectReason()
            == DisconnectReason.HOST_KEY_NOT_VERIFIABLE) {
      return new TransportException(
          host,
          TransportException.Reason.HOST_KEY_UNKNOWN,
          "could not verify the host key of " + at + ": " + e.getMessage(),
          e);
    }
    return new TransportException(
        host,
        TransportException.Reason.UNREACHABLE,
        "failed while "
            + phase
            + " to "
            + at
            + ": "
            + e
            + "; check that an SSH server answers there",
        e);
  }

  private static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException
          || t instanceof SocketTimeoutException
          || (t.getMessage() != null && t.getMessage().contains("Timeout expired"))) {
        return true;
      }
    }
    return false;
  }

  private List<AuthMethod> authMethods(SSHClient client) throws IOException {
    List<AuthMethod> methods = new ArrayList<>();
    for (Path p : effectiveIdentityFiles()) {
      methods.add(new AuthPublickey(client.loadKeys(p.toString())));
    }
    if (agent.isPresent()) {
      try {
        for (SshAgent.Identity id : agent.get().identities()) {
          methods.add(new AgentAuth(agent.get(), id));
        }
      } catch (IOException e) {
        LOG.warn("cannot use the ssh-agent at {}: {}", agent.get().socket(), e.getMessage());
      }
    }
    return methods;
  }

  private List<Path> effectiveIdentityFiles() {
    if (!identityFiles.isEmpty()) {
      return identityFiles;
    }
    List<Path> found = new ArrayList<>();
    Path ssh = Paths.get(System.getProperty("user.home"), ".ssh");
    for (String name : List.of("id_ed25519", "id_ecdsa", "id_rsa")) {
      if (Files.isRegularFile(ssh.resolve(name))) {
        found.add(ssh.resolve(name));
      }
    }
    return found;
  }

  private String keyNames() {
    List<Path> files = effectiveIdentityFiles();
    String names = files.isEmpty() ? "(no key file found in ~/.ssh)" : files.toString();
    return agent.map(a -> names + " and those of the ssh-agent at " + a.socket()).orElse(names);
  }

  private static int millis(Duration d) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
  }

  private static void close(SSHClient c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      LOG.debug("closing a failed connection: {}", e.toString());
    }
  }

  private static void closeAll(List<SSHClient> chain) {
    for (int i = chain.size() - 1; i >= 0; i--) {
      close(chain.get(i));
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Closes every connection still open, and the transport's threads; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (SshConnection c : List.copyOf(open)) {
      c.close();
    }
    pumps.shutdownNow();
  }

  /** Builds an {@link SshTransport}. */
  public static final class Builder {
    private final Map<String, String> pinnedKeys = new LinkedHashMap<>();
    private Optional<Path> knownHosts =
        Optional.of(Paths.get(System.getProperty("user.home"), ".ssh", "known_hosts"));
    private boolean acceptUnknownHostKeys;
    private final List<Path> identityFiles = new ArrayList<>();
    private Optional<Path> agentSocket =
        Optional.ofNullable(System.getenv("SSH_AUTH_SOCK"))
            .filter(s -> !s.isEmpty())
            .map(Paths::get);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration commandTimeout = Duration.ofMinutes(30);
    private Duration idleTimeout = Duration.ofSeconds(60);
    private Duration keepAliveInterval = Duration.ofSeconds(15);
    private List<String> ciphers = SshAlgorithms.CIPHERS;

    private Builder() {}

    /**
     * Pins the host keys recorded in {@code data} ({@code hosts.<name>.encryptionKey}): a host with
     * a recorded key must offer exactly that key.
     */
    public Builder pinnedHostKeys(FleetData data) {
      data.hosts().forEach((name, h) -> h.encryptionKey().ifPresent(k -> pinnedKeys.put(name, k)));
      return this;
    }

    /** Pins host keys given as host name → OpenSSH public key line ({@code ssh-ed25519 AAAA…}). */
    public Builder pinnedHostKeys(Map<String, String> keysByHost) {
      pinnedKeys.putAll(keysByHost);
      return this;
    }

    /**
     * The {@code known_hosts} file consulted for hosts without a pinned key; default {@code
     * ~/.ssh/known_hosts}. It is only read, never written.
     */
    public Builder knownHosts(Path file) {
      this.knownHosts = Optional.of(file);
      return this;
    }

    /**
     * Whether to accept a host key that is neither pinned nor in {@code known_hosts} (each
     * acceptance is logged at WARN with its fingerprint); default {@code false}. A key that
     * contradicts a pin or {@code known_hosts} is refused regardless.
     */
    public Builder acceptUnknownHostKeys(boolean accept) {
      this.acceptUnknownHostKeys = accept;
      return this;
    }

    /**
     * Adds a private key file (OpenSSH, PEM or PuTTY format, unencrypted) to authenticate with;
     * when none is added, {@code ~/.ssh/id_ed25519}, {@code id_ecdsa} and {@code id_rsa} are tried
     * where they exist.
     */
    public Builder identityFile(Path file) {
      if (!Files.isRegularFile(file)) {
        throw new FleetConfigException(
            "SSH identity file " + file + " does not exist: give the path of a private key");
      }
      identityFiles.add(file);
      return this;
    }

    /**
     * Also authenticates with the keys of the ssh-agent listening on {@code socket}; by default the
     * agent named by {@code SSH_AUTH_SOCK} is used when that socket exists. The agent signs; its
     * private keys never reach this process. Key files are tried first.
     */
    public Builder sshAgent(Path socket) {
      this.agentSocket = Optional.of(socket);
      return this;
    }

    /** Does not use any ssh-agent, not even the one {@code SSH_AUTH_SOCK} names. */
    public Builder noSshAgent() {
      this.agentSocket = Optional.empty();
      return this;
    }

    /**
     * The longest to wait for a host to accept the TCP connection, finish the SSH handshake and
     * authenticate (per hop); default 10 s.
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connect timeout");
      return this;
    }

    /** The longest a command may run when it sets no timeout itself; default 30 min. */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive(timeout, "command timeout");
      return this;
    }

    /**
     * How long an open connection may go without an answer from its host before it is declared
     * lost; default 60 s. It is counted in unanswered keepalives (see {@link #keepAliveInterval}),
     * so a live but quiet host keeps its connection however long it stays quiet.
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive(timeout, "idle timeout");
      return this;
    }

    /**
     * How often to send an SSH keepalive on an open connection; default 15 s. Whole seconds (at
     * least one) are used.
     */
    public Builder keepAliveInterval(Duration interval) {
      this.keepAliveInterval = positive(interval, "keepalive interval");
      return this;
    }

    /**
     * The ciphers to offer first, most preferred first, by their SSH names ({@code
     * aes128-gcm@openssh.com}, {@code aes256-ctr}, {@code chacha20-poly1305@openssh.com}, …); the
     * others sshj supports follow. The server picks the first it also supports. Default: AES-GCM,
     * then AES-CTR, then chacha20-poly1305, because the JDK runs AES on the processor's AES
     * instructions while sshj computes chacha20-poly1305 in plain Java, at about a third of the
     * speed for bulk copies. MACs (for the CTR ciphers) prefer {@code
     * hmac-sha2-256-etm@openssh.com}.
     *
     * @throws FleetConfigException (from {@link #build()}) if a name is not a cipher sshj supports
     */
    public Builder ciphers(String... names) {
      this.ciphers = List.of(names);
      return this;
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new FleetConfigException("the SSH " + what + " must be positive, got " + d);
      }
      return d;
    }

    /** The transport. */
    public SshTransport build() {
      SshAlgorithms.prefer(new DefaultConfig(), ciphers);
      if (keepAliveInterval.compareTo(idleTimeout) >= 0) {
        throw new FleetConfigException(
            "the SSH keepalive interval ("
                + keepAliveInterval
                + ") must be shorter than the idle timeout ("
                + idleTimeout
                + "), or live but quiet connections would be dropped");
      }
      return new SshTransport(this);
    }
  }

  /** What this is: an SSH transport and how it checks host keys. */
  @Override
  public String toString() {
    return "SshTransport{"
        + (pinnedKeys.isEmpty() ? "" : pinnedKeys.size() + " pinned host keys, ")
        + knownHosts.map(p -> "known hosts " + p + ", ").orElse("")
        + (acceptUnknownHostKeys ? "accepts unknown host keys, " : "")
        + open.size()
        + " open connections"
        + (closed.get() ? ", closed" : "")
        + "}";
  }
}
