package io.fleet.transport.internal;

import java.io.IOException;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.SSHPacket;
import net.schmizz.sshj.transport.TransportException;
import net.schmizz.sshj.userauth.UserAuthException;
import net.schmizz.sshj.userauth.method.AbstractAuthMethod;

/**
 * SSH {@code publickey} authentication (RFC 4252, section 7) with a key held by an ssh-agent: the
 * signed request is sent at once, its signature made by the agent.
 */
public final class AgentAuth extends AbstractAuthMethod {
  private final SshAgent agent;
  private final SshAgent.Identity identity;

  /** Authenticates with {@code identity} of {@code agent}. */
  public AgentAuth(SshAgent agent, SshAgent.Identity identity) {
    super("publickey");
    this.agent = agent;
    this.identity = identity;
  }

  @Override
  public void request() throws UserAuthException, TransportException {
    SSHPacket req = buildReq();
    req.putBoolean(true).putString(SshAgent.algorithm(identity)).putString(identity.blob);
    byte[] toSign =
        new Buffer.PlainBuffer()
            .putString(params.getTransport().getSessionID())
            .putBuffer(req)
            .getCompactData();
    try {
      req.putString(agent.sign(identity, toSign));
    } catch (IOException e) {
      throw new UserAuthException("ssh-agent could not sign with " + identity, e);
    }
    params.getTransport().write(req);
  }

  @Override
  public String toString() {
    return "ssh-agent key " + identity;
  }
}
