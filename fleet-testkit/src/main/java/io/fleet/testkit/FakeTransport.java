package io.fleet.testkit;

import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.TransportException;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Shell;
import io.fleet.api.spi.Transport;
import io.fleet.testkit.internal.PosixWords;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link Transport} to {@link FakeHost}s. Like a real SSH transport it sends each command as one
 * line of shell text made by {@link Shell#join}; the fake host gets the argv back from a strict
 * POSIX word parser, so quoting is exercised for real: an argument that would not survive a real
 * shell fails here too.
 */
public final class FakeTransport implements Transport {
  private final Map<String, FakeHost> hosts = new ConcurrentHashMap<>();
  private final List<FakeConnection> open = new ArrayList<>();
  private volatile boolean closed;

  /** A transport to {@code hosts}, found by host name. */
  public FakeTransport(Iterable<FakeHost> hosts) {
    for (FakeHost h : hosts) {
      this.hosts.put(h.name(), h);
    }
  }

  @Override
  public Connection connect(Host host) {
    if (closed) {
      throw new TransportException(
          host.name(), TransportException.Reason.OTHER, "the fake transport is closed");
    }
    FakeHost fake = hosts.get(host.name());
    if (fake == null) {
      throw new TransportException(
          host.name(),
          TransportException.Reason.UNREACHABLE,
          "no fake host named "
              + Names.quote(host.name())
              + "; the fake fleet has "
              + hosts.keySet());
    }
    if (!fake.isReachable()) {
      throw new TransportException(
          host.name(),
          TransportException.Reason.UNREACHABLE,
          "cannot connect to "
              + host.deployTarget().spec()
              + ": the fake host "
              + host.name()
              + " is unreachable");
    }
    FakeConnection c = new FakeConnection(fake);
    synchronized (open) {
      open.add(c);
    }
    return c;
  }

  @Override
  public void close() {
    closed = true;
    List<FakeConnection> all;
    synchronized (open) {
      all = new ArrayList<>(open);
      open.clear();
    }
    all.forEach(FakeConnection::close);
  }

  /** A connection to one fake host. */
  final class FakeConnection implements Connection {
    private final FakeHost host;
    private final int number;
    private volatile boolean isOpen = true;

    FakeConnection(FakeHost host) {
      this.host = host;
      this.number = host.register(this);
    }

    int number() {
      return number;
    }

    void drop() {
      isOpen = false;
    }

    @Override
    public String host() {
      return host.name();
    }

    private List<String> wire(Command command) {
      // What a real transport sends: one line of shell text; parse it back strictly.
      String line = Shell.join(command.argv());
      try {
        return PosixWords.parse(line);
      } catch (IllegalArgumentException e) {
        throw new TransportException(
            host.name(),
            TransportException.Reason.OTHER,
            "the command line " + Names.quote(line) + " is not safely quoted: " + e.getMessage(),
            e);
      }
    }

    @Override
    public CommandResult run(Command command) {
      List<String> argv = wire(command);
      check();
      host.beforeCommand();
      return host.execute(
          this,
          argv,
          command.env(),
          command.sudo(),
          command.stdin().orElse(new byte[0]),
          null,
          null,
          command.timeout());
    }

    @Override
    public CommandResult run(Command command, InputStream stdin, OutputStream stdout) {
      List<String> argv = wire(command);
      check();
      host.beforeCommand();
      return host.execute(
          this, argv, command.env(), command.sudo(), new byte[0], stdin, stdout, command.timeout());
    }

    private void check() {
      if (!isOpen) {
        throw new TransportException(
            host.name(),
            TransportException.Reason.CONNECTION_LOST,
            "connection to " + host.name() + " is closed");
      }
    }

    @Override
    public boolean isOpen() {
      return isOpen;
    }

    @Override
    public void close() {
      isOpen = false;
      host.unregister(this);
    }
  }

  /** What this is: the fake hosts it reaches. */
  @Override
  public String toString() {
    return "FakeTransport{" + hosts.size() + " fake hosts" + (closed ? ", closed" : "") + "}";
  }
}
