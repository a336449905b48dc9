package io.fleet.api.spi;

import io.fleet.api.Host;

/**
 * Opens connections to hosts. Implementations: {@code io.fleet.transport.SshTransport}, {@code
 * io.fleet.transport.LocalTransport}, and the testkit's fake hosts.
 *
 * <p>Contract: every {@link #connect} returns a <em>new</em> connection (the deployer confirms a
 * switch over a fresh one, to prove the host still accepts connections); a transport may pool
 * underlying sessions only where that does not defeat this. Failures to connect are {@link
 * io.fleet.api.TransportException}s with the host and reason. Closing the transport closes every
 * connection it opened; {@link #close()} may be called more than once.
 */
public interface Transport extends AutoCloseable {
  /**
   * Opens a new connection to {@code host} (reached at {@link Host#deployTarget()}, through its
   * jump host if it has one), authenticated and with the host's key checked.
   *
   * @throws io.fleet.api.TransportException if the host cannot be reached or authenticated
   */
  Connection connect(Host host);

  /** Closes every connection still open. */
  @Override
  void close();
}
