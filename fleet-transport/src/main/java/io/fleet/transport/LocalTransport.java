package io.fleet.transport;

import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Transport;
import io.fleet.transport.internal.LocalConnection;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link Transport} for the machine the library runs on: every command is a child process
 * started from its argv (no shell), with the same semantics as over SSH ({@code env K=V …} for the
 * environment, {@code sudo -n} for {@code sudo()} commands unless this process runs as root,
 * streaming input and output, a timeout). Whatever host it is asked to connect to, it runs here;
 * use it for a fleet's local machine and for generators that run locally.
 */
public final class LocalTransport implements Transport {
  private final Duration commandTimeout;
  private final boolean needsSudo;
  private final Set<LocalConnection> open = ConcurrentHashMap.newKeySet();
  private final ExecutorService pumps;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** A local transport whose commands may run 30 minutes unless they set their own timeout. */
  public LocalTransport() {
    this(Duration.ofMinutes(30));
  }

  /** A local transport whose commands may run {@code commandTimeout} by default. */
  public LocalTransport(Duration commandTimeout) {
    if (commandTimeout == null || commandTimeout.isNegative() || commandTimeout.isZero()) {
      throw new FleetConfigException("the command timeout must be positive, got " + commandTimeout);
    }
    this.commandTimeout = commandTimeout;
    this.needsSudo = !"root".equals(System.getProperty("user.name"));
    AtomicInteger n = new AtomicInteger();
    this.pumps =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fleet-local-stream-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** A new connection that runs {@code host}'s commands on this machine. */
  @Override
  public Connection connect(Host host) {
    if (closed.get()) {
      throw new IllegalStateException("this LocalTransport is closed; make a new one");
    }
    LocalConnection c =
        new LocalConnection(host.name(), needsSudo, commandTimeout, pumps, open::remove);
    open.add(c);
    return c;
  }

  /** Closes every connection still open; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      for (LocalConnection c : List.copyOf(open)) {
        c.close();
      }
      pumps.shutdownNow();
    }
  }

  /** What this is: commands on this machine. */
  @Override
  public String toString() {
    return "LocalTransport{this machine"
        + (needsSudo ? ", through sudo" : "")
        + (closed.get() ? ", closed" : "")
        + "}";
  }
}
